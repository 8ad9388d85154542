"""Exports without Ray: each format's records, the neutral option, export.json, and the
Math-Shepherd layout read back with the rules OpenRLHF's process-reward dataset applies."""
from __future__ import annotations

import json
import re

import pytest

from steplabel.pipeline.export import EXPORTERS, ExportOptions, export
from steplabel.pipeline.exporters.base import Skip, labeled_steps
from tests.support.builds import chain_of, step, write_build

RIGHT, WRONG = ("outcome", 1, "answer 5 matches"), ("math_steps", -1, "2 + 3 = 6 is false (2 + 3 = 5)")


@pytest.fixture
def build(tmp_path):
    chains = [
        chain_of("ok", [step(0, "2 + 3 = 5", 1, RIGHT), step(1, "The answer is 5.", 1, RIGHT)]),
        chain_of("bad", [step(0, "Add them.", 0, ("judge", 0, "restates")), step(1, "2 + 3 = 6", -1, WRONG),
                      step(2, "The answer is 6.", None)]),
        chain_of("unrated", [step(0, "Hmm.", None), step(1, "5", 1, RIGHT)]),
        chain_of("kept-for-audit", [step(0, "2 + 3 = 5", 1, RIGHT)], status="filtered"),
        chain_of("tagged", [step(0, "Russian for 'to': к и, and the tag ки itself", 1, RIGHT)]),
    ]
    return write_build(tmp_path / "build", chains, build_id="b0123456789a")


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def openrlhf_labels(text: str, labels: list, placeholder: str, reward_tokens: list[str]) -> list[tuple[str, str]]:
    """OpenRLHF's ProcessRewardDataset.__getitem__ rules on a word-level tokenizer: the placeholder is
    one token, every label is a reward token, label k goes to the k-th placeholder (labels are cut to
    the number of placeholders; fewer labels than placeholders fails). Returns (text before, label)."""
    assert all(label in reward_tokens for label in labels), labels
    tokens = re.findall(r"\S+", text)
    positions = [i for i, t in enumerate(tokens) if t == placeholder]
    assert len(labels) >= len(positions), "fewer labels than placeholders: the label assignment fails"
    starts = [0] + [p + 1 for p in positions[:-1]]
    return [(" ".join(tokens[s:p]), label) for s, p, label in zip(starts, positions, labels)]


def test_math_shepherd_parses_with_openrlhf_rules_one_reward_token_per_placeholder_in_order(build):
    report = export(build, "math-shepherd")
    records = {r["chain_id"]: r for r in _jsonl(report.path / "math-shepherd.jsonl")}
    assert set(records) == {"ok", "bad"}
    for chain_id, rec in records.items():
        pairs = openrlhf_labels(rec["input"], rec["label"], "ки", ["+", "-"])
        assert len(pairs) == len(rec["label"]) == rec["input"].count("ки")  # none cut, none missing
    assert [lab for _, lab in openrlhf_labels(records["bad"]["input"], records["bad"]["label"], "ки", ["+", "-"])] \
        == ["+", "-"]
    before_first, _ = openrlhf_labels(records["ok"]["input"], records["ok"]["label"], "ки", ["+", "-"])[0]
    assert before_first == "What is 2 + 3? 2 + 3 = 5"  # the problem, then the first step
    assert report.skipped == {"status filtered": 1, "first step unlabeled": 1, "text contains the placeholder": 1}


def test_math_shepherd_placeholder_and_tokens_are_the_users(build):
    options = ExportOptions(placeholder="<step>", positive_token="good", negative_token="bad", neutral="incorrect")
    export(build, "math-shepherd", build / "ms", options)
    records = {r["chain_id"]: r for r in _jsonl(build / "ms" / "math-shepherd.jsonl")}
    assert set(records) == {"ok", "bad", "tagged"}  # "ки" is plain text now
    pairs = openrlhf_labels(records["bad"]["input"], records["bad"]["label"], "<step>", ["good", "bad"])
    assert [lab for _, lab in pairs] == ["bad", "bad"]  # neutral counted as incorrect
    assert "ки" not in records["bad"]["input"]


@pytest.mark.parametrize("neutral, expected", [("correct", [True, False]), ("incorrect", [False, False]),
                                               ("cut", None)])
def test_neutral_steps_as_the_user_chooses(build, neutral, expected):
    bad = chain_of("bad", [step(0, "Add them.", 0), step(1, "2 + 3 = 6", -1), step(2, "so 6", None)])
    options = ExportOptions(neutral=neutral)
    if expected is None:
        with pytest.raises(Skip, match="neutral"):
            labeled_steps(bad, options)
    else:
        assert [ok for _, ok in labeled_steps(bad, options)] == expected


def test_trl_records_are_bool_labels_up_to_the_first_unrated_step(build):
    folder = export(build, "trl").path
    records = {r["chain_id"]: r for r in _jsonl(folder / "trl.jsonl")}
    assert records["bad"]["completions"] == ["Add them.", "2 + 3 = 6"]
    assert records["bad"]["labels"] == [True, False] and records["ok"]["labels"] == [True, True]
    assert all(type(label) is bool for r in records.values() for label in r["labels"])


def test_chat_steps_one_user_turn_per_step_and_a_reward_reply(build):
    folder = export(build, "chat-steps").path
    records = {r["chain_id"]: r for r in _jsonl(folder / "chat-steps.jsonl")}
    turns = records["bad"]["conversations"]
    assert [t["role"] for t in turns] == ["user", "assistant"] * 2
    assert turns[0]["content"] == "What is 2 + 3? Add them." and turns[2]["content"] == "2 + 3 = 6"
    assert [t["content"] for t in turns[1::2]] == ["+", "-"]


def test_prm800k_keeps_ratings_and_finish_reason(build):
    folder = export(build, "prm800k").path
    records = {r["steplabel"]["chain_id"]: r for r in _jsonl(folder / "prm800k.jsonl")}
    assert [s["completions"][0]["rating"] for s in records["bad"]["label"]["steps"]] == [0, -1]
    assert records["bad"]["label"]["finish_reason"] == "found_error"
    assert records["ok"]["label"]["finish_reason"] == "solution"


def test_export_json_says_where_it_came_from_and_what_was_skipped(build):
    export(build, "chat-steps", build / "chat", ExportOptions(neutral="cut"))
    receipt = json.loads((build / "chat" / "export.json").read_text())
    assert receipt["build_id"] == "b0123456789a" and receipt["config_hash"] == "c0ffee0123456789"
    assert receipt["counts"] == {"chains_read": 5, "written": 2, "skipped": 3}
    assert receipt["skipped"] == {"first step neutral (neutral=cut)": 1, "first step unlabeled": 1,
                                  "status filtered": 1}
    assert receipt["options"]["neutral"] == "cut" and receipt["files"] == ["chat-steps.jsonl"]
    assert "RLHFlow" in receipt["feeds"]


def test_hf_folder_copies_every_stored_chain(build, tmp_path):
    (build / "README.md").write_text("---\nlicense: apache-2.0\n---\n")  # the card's text is not what is tested
    (build / "card").mkdir()
    (build / "card" / "agreement.png").write_bytes(b"\x89PNG")
    report = export(build, "hf", tmp_path / "hf")
    assert report.written == 5 and (tmp_path / "hf" / "data" / "shard-00000.parquet").exists()
    assert {"README.md", "card/agreement.png", "data/shard-00000.parquet"} <= set(report.files)


def test_every_registered_format_writes_something_and_bad_requests_fail_clearly(build, tmp_path):
    for name, fmt in EXPORTERS.items():
        assert (fmt.record is None) != (fmt.write is None) and fmt.feeds, name
    with pytest.raises(ValueError, match="unknown export format 'nope'; choose trl"):
        export(build, "nope")
    with pytest.raises(ValueError, match="names a folder"):
        export(build, "trl", tmp_path / "x.jsonl")
    with pytest.raises(FileNotFoundError, match="not a steplabel build"):
        export(tmp_path, "trl")
    with pytest.raises(ValueError, match="distinct"):
        ExportOptions(positive_token="+", negative_token="+")
