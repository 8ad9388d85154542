"""The math outcome labeler and the one final-answer check it shares with rollout (no Ray)."""
from __future__ import annotations

import pytest

from steplabel.pipeline.labelers import Context, make_labeler
from steplabel.pipeline.schema import Chain
from steplabel.verifiers.math import check_final_answer


def _chain(steps: list[str], answer: str = "12", kind: str = "imported", finish: str | None = "stop") -> dict:
    chain = Chain(
        chain_id="c1", problem_id="p1", problem="How many eggs?", reference={"answer": answer},
        steps=[{"index": i, "text": t} for i, t in enumerate(steps)],
    ).model_dump()
    chain["generator"]["kind"] = kind
    chain["generator"]["finish_reason"] = finish
    return chain


def _label(chain: dict, **options):
    return make_labeler("outcome", options, Context(cache_dir="/tmp/ignored")).label(chain)


def test_right_answer_rates_the_answer_step_plus_one():
    out = _label(_chain(["6 + 6 = 12.", "The answer is \\boxed{12}.", "Done."]))
    assert out.outcome["correct"] is True and out.final_answer == "12"
    assert set(out.verdicts) == {1} and out.verdicts[1]["rating"] == 1
    assert out.verdicts[1]["cost"]["ms"] > 0


def test_wrong_answer_rates_it_minus_one_with_both_answers_in_evidence():
    out = _label(_chain(["So the final answer is 13."]))
    assert out.outcome["correct"] is False and out.verdicts[0]["rating"] == -1
    assert "'13'" in out.verdicts[0]["evidence"] and "'12'" in out.verdicts[0]["evidence"]


def test_empty_box_is_a_wrong_answer():
    out = _label(_chain(["Thus \\boxed{}."]))
    assert out.outcome["correct"] is False and out.verdicts[0]["rating"] == -1


@pytest.mark.parametrize("steps", [
    ["We counted the eggs in the basket one by one, as computed above."],  # prose, no stated result
    ["So the final answer is:"],  # must not extract ':'
])
def test_imported_chain_without_a_final_answer_abstains(steps):
    out = _label(_chain(steps))
    assert out.outcome["correct"] is None and "no final answer" in out.outcome["evidence"]
    assert out.verdicts == {}


def test_an_answer_stated_in_prose_is_found_and_the_evidence_says_where():
    out = _label(_chain(["Each box holds 4 eggs and there are 3 boxes.", "So 3 × 4 = 12.",
                         "There are twelve eggs in all, as computed."]))
    assert out.outcome["correct"] is True and out.final_answer == "12 eggs" and set(out.verdicts) == {2}
    assert "answer found in step 2, there are: 'There are twelve eggs in all, as computed.'" in out.outcome["evidence"]
    wrong = _label(_chain(["Therefore, the farmer collects 13 eggs."]))
    assert wrong.outcome["correct"] is False and wrong.verdicts[0]["rating"] == -1


def test_missing_answer_incorrect_applies_to_sampled_chains_only():
    sampled = _label(_chain(["I think it is a dozen-ish."], kind="sampled"), missing_answer="incorrect")
    assert sampled.outcome["correct"] is False and "missing_answer" in sampled.outcome["evidence"]
    imported = _label(_chain(["I think it is a dozen-ish."]), missing_answer="incorrect")
    assert imported.outcome["correct"] is None
    default = _label(_chain(["I think it is a dozen-ish."], kind="sampled"))
    assert default.outcome["correct"] is None


def test_truncated_generation_and_missing_reference_say_why():
    assert "truncated" in _label(_chain(["The answer is 12."], finish="length")).outcome["evidence"]
    assert _label(_chain(["The answer is 12."], answer="")).outcome == {"correct": None, "evidence": "no reference answer"}


def test_undecidable_comparison_abstains_with_its_cost():
    out = _label(_chain(["The answer is \\boxed{\\operatorname{foo}(3)}."], answer="\\operatorname{bar}(3)"), timeout=0.3)
    if out.outcome["correct"] is None:
        assert out.verdicts[0]["rating"] is None and out.verdicts[0]["cost"]["ms"] > 0


def test_bad_option_is_named():
    with pytest.raises(ValueError, match="missing_answer"):
        make_labeler("outcome", {"missing_answer": "wrong"}, Context(cache_dir="/tmp/ignored"))


@pytest.mark.parametrize("reference,text,answer,result", [
    ("12", "so \\boxed{12}", None, "equal"),
    ("12", "The final answer is: twelve.", None, "equal"),
    ("12", "no answer in this text", None, "no_answer"),
    ("12", None, "13", "not_equal"),
    ("", "\\boxed{12}", None, "no_reference"),
])
def test_check_final_answer(reference, text, answer, result):
    check = check_final_answer(reference, text=text, answer=answer)
    assert check.result == result, check
    assert check.correct is {"equal": True, "not_equal": False}.get(result)
