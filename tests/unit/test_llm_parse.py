"""Judge output parsing: structured, fenced, embedded, ProcessBench-style boxed, partial, malformed."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.labelers.judge import combine
from steplabel.pipeline.labelers.judge_output import normalize_rating, parse_chain, parse_step


def test_chain_json():
    text = json.dumps({"steps": [{"index": 0, "rating": 1, "reason": "ok"}, {"index": 1, "rating": -1, "reason": "18-6 is 12"}],
                       "first_error": 1})
    ratings, problem = parse_chain(text, 2)
    assert ratings == {0: (1, "ok"), 1: (-1, "18-6 is 12")} and problem is None


def test_chain_fenced_with_prose_and_think():
    body = json.dumps({"steps": [{"index": 0, "rating": "+1", "reason": "restates the question"},
                                 {"index": 1, "rating": "incorrect", "reason": "drops the minus sign"}]})
    text = f"<think>{{not json}} hmm</think>Let me check.\n```json\n{body}\n```\nThat is all."
    ratings, problem = parse_chain(text, 2)
    assert {i: r for i, (r, _) in ratings.items()} == {0: 1, 1: -1} and problem is None


def test_chain_embedded_object_and_ratings_list():
    ratings, _ = parse_chain('Here: {"ratings": [1, 0, -1]} done', 3)
    assert {i: r for i, (r, _) in ratings.items()} == {0: 1, 1: 0, 2: -1}
    ratings, _ = parse_chain("[1, 1]", 2)
    assert {i: r for i, (r, _) in ratings.items()} == {0: 1, 1: 1}


def test_chain_boxed_first_error_processbench_style():
    ratings, _ = parse_chain("Paragraph 2 divides wrongly. \\boxed{2}", 4)
    assert {i: r for i, (r, _) in ratings.items()} == {0: 1, 1: 1, 2: -1}  # after the error: unrated
    ratings, _ = parse_chain("All fine: \\boxed{-1}", 3)
    assert {i: r for i, (r, _) in ratings.items()} == {0: 1, 1: 1, 2: 1}
    ratings, problem = parse_chain("\\boxed{7}", 3)  # out of range: no ratings
    assert ratings == {} and problem


def test_chain_first_error_only_json():
    ratings, _ = parse_chain('{"first_error": 0}', 2)
    assert ratings == {0: (-1, "first error")}


def test_chain_partial_and_out_of_range_indices():
    text = json.dumps({"steps": [{"index": 0, "rating": 1, "reason": "sets up x"}, {"index": 9, "rating": -1},
                                 {"index": 1, "rating": 5}]})
    ratings, problem = parse_chain(text, 3)
    assert ratings == {0: (1, "sets up x")} and "2 of 3 steps unrated" in problem


@pytest.mark.parametrize("text", ["", "I think the solution looks {fine, mostly", "null", '{"steps": "all good"}',
                                  '{"steps": [{"index": "x", "rating": 1}]}', "```json\n{broken\n```", "\\boxed{abc}"])
def test_chain_malformed_never_raises(text):
    ratings, problem = parse_chain(text, 3)
    assert ratings == {} and problem


def test_step_parsing():
    assert parse_step('{"rating": -1, "reason": "wrong sum"}')[:2] == (-1, "wrong sum")
    assert parse_step("```\n{\"rating\": \"correct\", \"reason\": \"adds 3 and 4\"}\n```")[0] == 1
    assert parse_step("The step is fine. \\boxed{0}")[0] == 0
    assert parse_step("Rating: -1 because it adds instead of subtracting")[0] == -1
    rating, _, problem = parse_step("no idea")
    assert rating is None and problem


def test_normalize_and_combine():
    assert [normalize_rating(v) for v in (1, -1.0, "0", "+1", "Wrong.", True, 3, None, float("nan"))] == \
        [1, -1, 0, 1, -1, 1, None, None, None]
    assert combine([1, 1, -1], "majority") == 1
    assert combine([1, -1], "majority") == -1  # a tie goes to the lower rating
    assert combine([1, 1, -1], "min") == -1
    assert combine([1, 1, 0, -1], "mean") == 0
    assert combine([], "majority") is None


def test_self_contradicting_or_parroting_answers_abstain():
    steps = [{"index": 0, "rating": 1, "reason": "sets up the sum"}, {"index": 1, "rating": -1, "reason": "18 - 6 is 12"}]
    ratings, problem = parse_chain(json.dumps({"steps": steps, "first_error": 3}), 3)
    assert ratings == {} and "inconsistent answer: first_error=3" in problem
    ratings, problem = parse_chain(json.dumps({"steps": steps, "first_error": -1}), 3)
    assert ratings == {} and problem
    # a first error at a step it did not rate, after the rated ones: that step is the error
    ratings, problem = parse_chain(json.dumps({"steps": steps[:1], "first_error": 1}), 3)
    assert ratings == {0: (1, "sets up the sum"), 1: (-1, "named as the first error")}
    copied = [{"index": 0, "rating": 1, "reason": "..."}, {"index": 1, "rating": -1, "reason": "..."}]
    ratings, problem = parse_chain(json.dumps({"steps": copied, "first_error": 1}), 2)
    assert ratings == {} and "copies the prompt's example" in problem


def test_step_answer_copying_the_example_abstains():
    rating, _, problem = parse_step('{"rating": 1, "reason": "..."}')
    assert rating is None and "copies the prompt's example" in problem


@pytest.mark.parametrize("reasons, why", [
    (["error", "error", "error"], "single word"),
    (["", "", ""], "empty"),
    (["ok", "fine", "wrong"], "single word"),
    (["this step is checked", "this step is checked", "This step is  checked"], "same reason"),
])
def test_degenerate_chain_answers_abstain(reasons, why):
    steps = [{"index": i, "rating": r, "reason": t} for i, (r, t) in enumerate(zip([1, 1, -1], reasons))]
    ratings, problem = parse_chain(json.dumps({"steps": steps, "first_error": 2}), 3)
    assert ratings == {} and "degenerate answer" in problem and why in problem


def test_steps_without_reasons_abstain_but_reasonless_formats_are_read():
    no_reason = json.dumps({"steps": [{"index": 0, "rating": 1}, {"index": 1, "rating": -1}]})
    assert parse_chain(no_reason, 2)[0] == {}
    assert parse_chain("[1, -1]", 2)[0] == {0: (1, ""), 1: (-1, "")}  # a bare list has no reasons to check
    assert parse_chain("\\boxed{1}", 2) == ({}, "degenerate answer: a first-error index with no critique")
    # one terse reason among real ones is fine
    mixed = json.dumps({"steps": [{"index": 0, "rating": 1, "reason": "ok"},
                                  {"index": 1, "rating": -1, "reason": "12 / 4 is 3, not 4"}], "first_error": 1})
    assert parse_chain(mixed, 2)[0] == {0: (1, "ok"), 1: (-1, "12 / 4 is 3, not 4")}


@pytest.mark.parametrize("text", ['{"rating": -1, "reason": "error"}', '{"rating": 1, "reason": ""}',
                                  '{"rating": 1}', "\\boxed{1}"])
def test_degenerate_step_answers_abstain(text):
    rating, _, problem = parse_step(text)
    assert rating is None and "degenerate" in problem


def test_free_text_step_answer_keeps_its_text_as_reason():
    rating, reason, problem = parse_step("The step adds 3 and 4 correctly. \\boxed{1}")
    assert (rating, problem) == (1, None) and reason == "The step adds 3 and 4 correctly."
