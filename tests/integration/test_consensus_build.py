"""A consensus build through Ray and the loopback test server: a chain is kept exactly when the
scripted judge and the rollouts put its first error at the same step, and the card says so."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.store import connect
from tests.support.openai_server import OpenAIServer
from tests.support.scripts import as_problem_records, endpoint, judge_script, rollout_policy, sample_chains

pytestmark = pytest.mark.integration


def test_consensus_keeps_exactly_the_chains_where_judge_and_rollouts_agree(ray_session, tmp_path):
    chains = sample_chains()

    def judged(n: int, c: dict) -> int:  # every third chain: the judge blames the step after the true one
        if n % 3:
            return c["first_error"]
        return (c["first_error"] + 1) % len(c["steps"]) if c["first_error"] >= 0 else 0

    judge = judge_script(chains, judged)
    judged_by_text = {e["match"]: e["first_error"] for e in judge}
    expected_kept = set()
    for c in chains:
        match = next((m for m in judged_by_text if m in c["steps"]), None)
        judge_fe = judged_by_text[match] if match is not None else -1
        if judge_fe == c["first_error"]:
            expected_kept.add(c["text"])
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in as_problem_records(chains)) + "\n")

    with OpenAIServer(script={"policy": rollout_policy(chains), "judge": judge}) as srv:
        config = BuildConfig(
            name="consensus-sample",
            input=InputConfig(kind="files", path=str(path)),
            labelers=[
                LabelerConfig(name="judge", options={"endpoint": endpoint(srv.base_url, "judge-model")}),
                LabelerConfig(name="rollout", options={"endpoint": endpoint(srv.base_url, "policy", api="completions"),
                                                       "k": 4, "mode": "binary"}),
            ],
            merge=MergeConfig(policy="consensus", order=["rollout", "judge"], agree=["judge", "rollout"]),
            run=RunConfig(out=str(tmp_path / "out"), shard_size=40),
        )
        result = run_build(config)
    con = connect(result.out)
    statuses = dict(con.execute("SELECT text, status FROM chains").fetchall())
    assert len(statuses) == len(chains)
    kept = {t for t, s in statuses.items() if s == "labeled"}
    assert kept == expected_kept
    assert 0 < len(kept) < len(chains)
    reasons = [r for (r,) in con.execute("SELECT status_reason FROM chains WHERE status = 'filtered'").fetchall()]
    assert all(r.startswith("[merge] no consensus on the first error: judge=") for r in reasons)
    card = (result.out / "README.md").read_text()
    assert f"{len(chains) - len(kept)} chains were filtered by the merge policy" in card
    assert "| judge | rollout |" in card
    assert "kept only when `judge` and `rollout` put its first error at the same step" in card
    usage = card.split("## LLM requests")[1].split("##")[0]
    assert "| judge | this run |" in usage and "| rollout | all runs |" in usage and "| **total** | this run |" in usage
