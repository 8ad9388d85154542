"""The driver's pass over the input keeps keys only, and they are the ids the importers give."""
from __future__ import annotations

import json

from steplabel.pipeline.config import InputConfig
from steplabel.pipeline.sources import Intake, iter_chains
from steplabel.pipeline.streaming import read_keys


def test_keys_are_the_importers_ids_duplicates_included(tmp_path):
    records = [{"problem": f"What is {i} + 1?", "answer": str(i + 1), "text": f"{i} + 1 = {i + 1}"} for i in range(5)]
    lines = [json.dumps(r) for r in records]
    lines = lines + [lines[1], lines[3], lines[1], "{not json"]  # copies of two chains and a broken line
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    cfg = InputConfig(kind="files", path=str(tmp_path / "in.jsonl"), repeat=2)
    expected_intake, streamed_intake = Intake(), Intake()
    rows = list(iter_chains(cfg, None, expected_intake))
    keys = read_keys(cfg, None, streamed_intake)
    assert keys["chain_id"].to_pylist() == [r["chain_id"] for r in rows]
    assert keys["problem_id"].to_pylist() == [r["problem_id"] for r in rows]
    assert len(set(keys["chain_id"].to_pylist())) == len(rows) == 18
    assert sum("duplicate of chain" in (r["status_reason"] or "") for r in rows) == 6
    assert streamed_intake.files == expected_intake.files


def test_an_empty_input_has_no_keys(tmp_path):
    (tmp_path / "in.jsonl").write_text("")
    keys = read_keys(InputConfig(kind="files", path=str(tmp_path / "in.jsonl")), None, Intake())
    assert keys.num_rows == 0 and keys.column_names == ["chain_id", "problem_id", "file", "record"]
