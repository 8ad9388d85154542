"""A cascaded build through Ray and the loopback server (outcome, math_steps, a judge that fails its
consistency checks on some chains, binary rollouts; merge priority) writes the merged ratings of
the same build without the cascade, for fewer requests; rows say which labeler skipped which step
and why; manifest and card count the saving; and the progress events, the manifest, the card and
the server's own count of answered requests agree."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.store import connect, read_chains
from tests.support.openai_server import OpenAIServer
from tests.support.scripts import as_problem_records, endpoint, judge_script, rollout_policy, sample_chains

pytestmark = pytest.mark.integration


def _config(tmp_path, base_url, cascade: bool) -> BuildConfig:
    return BuildConfig(
        name="cascade-sample",
        input=InputConfig(kind="files", path=str(tmp_path / "sample.jsonl")),
        labelers=[
            # listed out of merge order on purpose: the cascade runs them in merge order
            LabelerConfig(name="rollout", options={"endpoint": endpoint(base_url, "policy", api="completions"),
                                                   "k": 4, "mode": "binary"}),
            LabelerConfig(name="judge", options={"endpoint": endpoint(base_url, "judge-model")}),
            LabelerConfig(name="outcome"), LabelerConfig(name="math_steps"),
        ],
        merge=MergeConfig(policy="priority", order=["math_steps", "outcome", "judge", "rollout"], cascade=cascade),
        run=RunConfig(out=str(tmp_path / ("cascade" if cascade else "full")), shard_size=12, batch_size=8),
    )


def _merged(out) -> dict[str, list]:
    return {r["chain_id"]: [(s["rating"], s["decided_by"], s["score"]) for s in r["steps"]] + [r["first_error"]]
            for r in read_chains(out).to_pylist()}


def test_a_cascaded_build_writes_the_full_builds_ratings_for_fewer_requests(ray_session, tmp_path):
    chains = [c for c in sample_chains() if c["problem_id"] <= "math-010"]  # ten problems, about 35 chains
    judge = judge_script(chains, lambda n, c: c["first_error"])
    for n, entry in enumerate(judge):
        if n % 3 == 0:  # a judge that gives one stock sentence for every step: its ratings are not trusted
            entry["reason"] = "This step is correct."
    (tmp_path / "sample.jsonl").write_text("".join(json.dumps(r) + "\n" for r in as_problem_records(chains)))
    with OpenAIServer(script={"policy": rollout_policy(chains), "judge": judge}) as srv:
        full = run_build(_config(tmp_path, srv.base_url, cascade=False))
        everywhere = srv.stats()
        srv.reset()
        events: list[dict] = []
        cascaded = run_build(_config(tmp_path, srv.base_url, cascade=True), on_shard=events.append)
        asked = srv.stats()
    assert full.manifest["status"] == cascaded.manifest["status"] == "done"
    assert _merged(cascaded.out) == _merged(full.out)
    assert asked["served_total"] < everywhere["served_total"]
    assert asked["served_by_model"]["judge-model"] < everywhere["served_by_model"]["judge-model"]

    con = connect(cascaded.out)
    skipped = con.execute("""SELECT labeler, json_extract_string(evidence, '$.why') FROM verdicts
                             WHERE starts_with(evidence, '{"cascade": "skipped"')""").fetchall()
    assert {labeler for labeler, _ in skipped} == {"judge", "rollout"}
    assert all(why.startswith(("rated ", "after step ")) for _, why in skipped)
    # every step has a verdict of each LLM labeler: an answer, an abstain, or a skip that says why
    per_step = con.execute("""SELECT count(DISTINCT labeler) FILTER (labeler IN ('judge', 'rollout')), count(*)
                              FROM steps LEFT JOIN verdicts USING (chain_id, step_index)
                              GROUP BY chain_id, step_index""").fetchall()
    assert len(per_step) == sum(len(c["steps"]) for c in chains) and {n for n, _ in per_step} == {2}

    saving = cascaded.manifest["cascade"]
    assert saving["judge"]["chains_skipped"] > 0 and saving["judge"]["samples_not_asked"] > 0
    assert saving["judge"]["chains_asked"] + saving["judge"]["chains_skipped"] == len(chains)
    card = (cascaded.out / "README.md").read_text()
    assert "## Cascade" in card and f"| judge | {saving['judge']['chains_asked']} |" in card

    # one count of answered requests everywhere: progress, manifest, card, the server
    answered = asked["served_total"]
    assert events and events[-1]["llm_answered"] == answered == events[-1]["llm_requests"]
    assert events[-1]["llm_failed"] == 0 and events[-1]["llm_cache_hits"] >= 0
    this_run = cascaded.manifest["llm"]["this_run"]["total"]
    assert this_run["answered"] == answered and this_run["failed"] == 0
    probed = cascaded.manifest["sampling"]["endpoints"]  # three requests to each endpoint sampled from
    assert [(p["role"], p["reproducible"]) for p in probed] == [("rollout", True), ("judge", True)]
    run = cascaded.manifest["llm"]["this_run"]
    assert run["probe"]["answered"] == 3 * len(probed)
    # the start's endpoint check asks a server that does not list a model one request for it: counted too
    assert run["check"]["answered"] == 2
    for model, role in (("judge-model", "judge"), ("policy", "rollout")):
        assert run[role]["answered"] + 3 + 1 == asked["served_by_model"][model]
    assert f"| **total** | this run | {answered} | 0 | 0 | 0 |" in card
    assert "| rollout | `policy` at http://127.0.0.1:" in card and "| yes (0) |" in card
