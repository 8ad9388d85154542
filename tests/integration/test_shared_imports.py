"""Importing the reference data sets end to end (skipped where ../shared/data is absent)."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, MergeConfig, RunConfig
from steplabel.pipeline.store import connect

pytestmark = pytest.mark.integration


def _build(tmp_path, kind: str, path, limit: int):
    config = BuildConfig(input=InputConfig(kind=kind, path=str(path), limit=limit),
                         merge=MergeConfig(order=["outcome"]), run=RunConfig(out=str(tmp_path / kind), shard_size=40))
    return run_build(config)


def test_processbench_import_keeps_steps_and_human_first_errors(ray_session, shared_data, tmp_path):
    path = shared_data / "processbench" / "gsm8k.json"
    source = json.loads(path.read_text())[:60]
    result = _build(tmp_path, "processbench", path, 60)
    con = connect(result.out)
    rows = dict(con.execute("SELECT problem_id, len(steps) FROM chains").fetchall())
    assert rows == {r["id"]: len(r["steps"]) for r in source}
    human = dict(con.execute("""
        SELECT chain_id, coalesce(min(step_index) FILTER (rating = -1), -1) FROM verdicts
        WHERE labeler = 'human' GROUP BY 1""").fetchall())
    ids = dict(con.execute("SELECT chain_id, problem_id FROM chains").fetchall())
    assert {ids[c]: fe for c, fe in human.items()} == {r["id"]: r["label"] for r in source}


def test_gsm8k_example_solutions_are_labeled_by_outcome(ray_session, shared_data, tmp_path):
    path = shared_data / "gsm8k" / "example_model_solutions.jsonl"
    result = _build(tmp_path, "gsm8k_solutions", path, 25)
    con = connect(result.out)
    assert con.execute("SELECT count(*) FROM chains").fetchall()[0][0] == 100
    # our outcome verdict agrees with the source's is_correct on (nearly) every chain
    agree, total = con.execute("""
        SELECT count(*) FILTER (o.rating = s.rating), count(*) FROM verdicts o JOIN verdicts s
        USING (chain_id, step_index) WHERE o.labeler = 'outcome' AND s.labeler = 'source_outcome'""").fetchall()[0]
    assert total >= 95 and agree / total >= 0.97
