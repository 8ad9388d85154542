"""Importers on small records of each format, written by us in the formats' shapes."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.config import InputConfig
from steplabel.pipeline.sources import SourceError, iter_chains


def _write(tmp_path, name, records, as_json=False):
    path = tmp_path / name
    path.write_text(json.dumps(records) if as_json else "\n".join(json.dumps(r) for r in records) + "\n")
    return str(path)


def _human(row):
    return [[v["rating"] for v in s["verdicts"] if v["labeler"] == "human"] for s in row["steps"]]


def test_processbench_keeps_steps_and_the_human_first_error(tmp_path):
    path = _write(tmp_path, "pb.json", [
        {"id": "x-0", "generator": "m", "problem": "p", "steps": ["a", "b", "c"], "label": 1, "final_answer_correct": False},
        {"id": "x-1", "generator": "m", "problem": "p", "steps": ["a", "b"], "label": -1, "final_answer_correct": True},
    ], as_json=True)
    rows = list(iter_chains(InputConfig(kind="processbench", path=path)))
    assert [r["segmenter"] for r in rows] == ["given", "given"]
    assert _human(rows[0]) == [[1], [-1], []] and _human(rows[1]) == [[1], [1]]
    assert rows[0]["generator"]["model"] == "m" and rows[0]["problem_id"] == "x-0"


def test_processbench_records_may_carry_a_reference_answer(tmp_path):
    """ProcessBench has no answers; joined with its source problems' answers, outcome can check them."""
    path = _write(tmp_path, "pb.json", [
        {"id": "x-0", "problem": "p", "steps": ["a", "b"], "label": -1, "answer": 18},
        {"id": "x-1", "problem": "p", "steps": ["a", "b"], "label": -1},
    ], as_json=True)
    rows = list(iter_chains(InputConfig(kind="processbench", path=path)))
    assert [r["reference"]["answer"] for r in rows] == ["18", None]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_anywhere_quarantine_their_record(tmp_path, constant):
    """Python's json reads NaN and Infinity (not JSON numbers); an answer "nan" would label the
    chain -1. The JSONL line, or the one record of a .json list, is quarantined with the reason."""
    good = '{"problem": "What is 2 + 2?", "answer": "4", "text": "2 + 2 = 4"}'
    lines = [good.replace('"4"', constant), good.replace('"text"', f'"meta": {{"w": [1, {constant}]}}, "text"'),
             good, '{"problem": "NaN and Infinity as words", "answer": "4", "text": "2 + 2 = 4"}']
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "in.json").write_text("[" + ", ".join(lines[:2] + lines[3:]) + "]")
    for name, where in (("in.jsonl", ["in.jsonl:1", "in.jsonl:2"]), ("in.json", ["in.json record 0", "in.json record 1"])):
        rows = list(iter_chains(InputConfig(kind="files", path=str(tmp_path / name))))
        bad = [r for r in rows if r["status"] == "quarantined"]
        assert [r["status_reason"] for r in bad] == [
            f"[import] {w}: a non-finite number ({constant}) is not a JSON number" for w in where]
        assert all(r["reference"]["answer"] == "4" for r in rows if r["status"] != "quarantined")
        assert len(rows) - len(bad) == (2 if name == "in.jsonl" else 1)


def test_a_nan_answer_in_parquet_is_quarantined(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"problem": ["What is 1 + 1?", "What is 2 + 2?"], "answer": [float("nan"), 4.0],
                             "text": ["1 + 1 = 2", "2 + 2 = 4"]}), tmp_path / "in.parquet")
    rows = list(iter_chains(InputConfig(kind="files", path=str(tmp_path / "in.parquet"))))
    assert rows[0]["status"] == "quarantined" and "'answer' is nan, not a finite number" in rows[0]["status_reason"]
    assert rows[1]["reference"]["answer"] == "4.0"


def test_a_first_error_outside_the_chain_is_quarantined_not_read_as_no_error(tmp_path):
    path = _write(tmp_path, "pb.json", [
        {"id": "x-0", "generator": "m", "problem": "p", "steps": ["a", "b"], "label": 2},
        {"id": "x-1", "generator": "m", "problem": "p", "steps": ["a", "b"], "label": -3},
    ], as_json=True)
    rows = list(iter_chains(InputConfig(kind="processbench", path=path)))
    assert [r["status"] for r in rows] == ["quarantined", "quarantined"]
    assert "'label' = 2 is out of range for 2 steps" in rows[0]["status_reason"]


def test_prm800k_takes_the_chosen_completion_and_its_rating(tmp_path):
    record = {
        "labeler": "l", "timestamp": "t", "generation": 2,
        "question": {"problem": "What is 1+1?", "ground_truth_answer": "2"},
        "label": {"steps": [
            {"completions": [{"text": "1+1=2", "rating": 1}], "human_completion": None, "chosen_completion": 0},
            {"completions": [{"text": "so 3", "rating": -1}, {"text": "so 2", "rating": 1}],
             "human_completion": None, "chosen_completion": None},
        ], "finish_reason": "found_error"},
    }
    (row,) = iter_chains(InputConfig(kind="prm800k", path=_write(tmp_path, "p.jsonl", [record])))
    assert [s["text"] for s in row["steps"]] == ["1+1=2", "so 3"]
    assert _human(row) == [[1], [-1]] and row["reference"]["answer"] == "2"


def test_gsm8k_reference_solution_becomes_a_chain_without_calculator_tags(tmp_path):
    path = _write(tmp_path, "g.jsonl", [{"question": "q?", "answer": "She has 3 + 4 = <<3+4=7>>7.\n#### 7"}])
    (row,) = iter_chains(InputConfig(kind="gsm8k", path=path))
    assert row["reference"]["answer"] == "7" and "<<" not in row["text"]
    assert [s["text"] for s in row["steps"]] == ["She has 3 + 4 = 7.", "The answer is 7."]


def test_gsm8k_example_solutions_give_one_chain_per_model(tmp_path):
    record = {"question": "q?", "ground_truth": "x\nA: 18",
              "6b_finetuning": {"is_correct": False, "solution": "16 - 3 = <<16-3=13>>13\nA: 26"},
              "175b_verification": {"is_correct": True, "solution": "9 * 2 = 18\nA: 18"}}
    rows = list(iter_chains(InputConfig(kind="gsm8k_solutions", path=_write(tmp_path, "s.jsonl", [record]))))
    assert len(rows) == 2 and len({r["chain_id"] for r in rows}) == 2
    assert [r["final_answer"] for r in rows] == ["26", "18"]
    assert rows[0]["steps"][-1]["verdicts"][0]["labeler"] == "source_outcome"
    assert rows[0]["reference"]["answer"] == "18"


def test_math_uses_the_answer_field(tmp_path):
    path = _write(tmp_path, "m.jsonl", [{"problem": "p", "solution": "It is $\\boxed{5}$.", "answer": "5", "unique_id": "u/1"}])
    (row,) = iter_chains(InputConfig(kind="math", path=path))
    assert row["problem_id"] == "u/1" and row["reference"]["answer"] == "5"


def test_field_mapping_for_plain_files(tmp_path):
    path = _write(tmp_path, "f.jsonl", [{"q": "p", "meta": {"gold": "4"}, "cot": "2+2=4\n\nThe answer is 4."}])
    cfg = InputConfig(kind="files", path=path, fields={"problem": "q", "answer": "meta.gold", "text": "cot"})
    (row,) = iter_chains(cfg)
    assert (row["problem"], row["reference"]["answer"], row["text"]) == ("p", "4", "2+2=4\n\nThe answer is 4.")


def test_unknown_field_mapping_key_is_rejected():
    with pytest.raises(ValueError, match="unknown field mapping"):
        InputConfig(kind="files", path="x", fields={"question": "q"})


def test_bad_records_are_quarantined_with_reasons_not_dropped(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"problem": "", "text": "a"}\nnot json\n[1, 2]\n{"id": "no fields"}\n')
    rows = list(iter_chains(InputConfig(kind="processbench", path=str(path))))
    assert len(rows) == 4 and all(r["status"] == "quarantined" for r in rows)
    reasons = " | ".join(r["status_reason"] for r in rows)
    assert "bad.jsonl:2: invalid JSON" in reasons and "a list, not an object" in reasons
    assert "bad.jsonl:4: field 'steps' is missing" in reasons


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no input files"):
        list(iter_chains(InputConfig(kind="files", path=str(tmp_path / "nothing*.jsonl"))))


def test_limit_and_repeat(tmp_path):
    path = _write(tmp_path, "f.jsonl", [{"problem": f"p{i}", "text": "x"} for i in range(5)])
    rows = list(iter_chains(InputConfig(kind="files", path=path, limit=2, repeat=3)))
    assert len(rows) == 6 and len({r["chain_id"] for r in rows}) == 6


def test_hugging_face_source_reads_a_local_dataset_folder(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    _write(folder, "train.jsonl", [{"question": f"q{i}", "gold": str(i), "cot": f"{i} + 0 = {i}"} for i in range(3)])
    cfg = InputConfig(kind="hf", path=str(folder), split="train", fields={"problem": "question", "answer": "gold", "text": "cot"})
    rows = list(iter_chains(cfg))
    assert [r["reference"]["answer"] for r in rows] == ["0", "1", "2"]
    assert rows[0]["source"] == {"dataset": str(folder), "split": "train", "revision": None, "row_index": 0,
                                 "file": f"{folder}:train", "line": None}
