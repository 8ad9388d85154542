"""An outage is never data: the loopback server goes down in the middle of a build that samples,
judges and rolls out (a policy that never solves one problem: its steps abstain and the card
counts it). The build stops with the affected shards unwritten (none quarantined, no
abstain for a failed request); a re-run with the server back writes exactly the rows of a build
that saw no outage, and across both runs the server answers every request once and only the
requests the outage-free build needed."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import load_config
from steplabel.pipeline.store import read_chains
from tests.support import sample_problems, scripts_from_sample
from tests.support.openai_server import OpenAIServer
from tests.support.scripts import rollout_policy, sample_chains, write_problems

pytestmark = pytest.mark.integration

PROBLEMS = [p for p in sample_problems() if p.get("domain", "math") == "math"][:4]
OUTAGE_S = float(os.environ.get("STEPLABEL_TEST_OUTAGE_S", "1.0"))  # 30 for the figure


def _config(tmp_path: Path, base_url: str, out: str) -> Path:
    problems = write_problems(tmp_path / "problems.jsonl", PROBLEMS)
    # small retry settings: a request during the outage fails for good in about a tenth of a second
    endpoint = {"base_url": base_url, "timeout": 2.0, "max_retries": 1, "backoff_base": 0.05, "max_concurrency": 4}
    config = {
        "name": "llm-outage",
        "input": {"kind": "files", "path": str(problems)},
        "generation": {"policy": {**endpoint, "model": "policy", "max_concurrency": 2}, "n": 2, "seed": 0,
                       "max_tokens": 200},
        "segment": {"splitter": "blank_line"},
        "labelers": [{"name": "judge", "options": {"endpoint": {**endpoint, "model": "judge-model"}}},
                     {"name": "rollout", "options": {"endpoint": {**endpoint, "model": "policy", "api": "completions"},
                                                     "k": 2, "mode": "binary"}}],
        "merge": {"policy": "priority", "order": ["judge", "rollout"]},
        "run": {"out": out, "shard_size": 4, "batch_size": 4},
    }
    path = tmp_path / f"{Path(out).name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _comparable(out: Path) -> list[dict]:
    """The rows without what legitimately differs between builds (ids, timings, cache flags)."""
    rows = read_chains(out).to_pylist()
    for r in rows:
        r.pop("build", None)
        for s in r["steps"]:
            for v in s["verdicts"]:
                v.pop("cost", None)
                v.pop("cached", None)
    return sorted(rows, key=lambda r: r["chain_id"])


def _outage(srv: OpenAIServer, after: int, seconds: float, done: threading.Event,
            build_returned: threading.Event) -> None:
    """Once `after` answers were served: refuse new work, let answers on the wire land, go down,
    come back `seconds` later, and not before the build has returned (on a loaded machine a build
    can spend longer than a short outage between two requests, and would then never see it)."""
    while srv.stats()["served_total"] < after:
        time.sleep(0.01)
    srv.configure(faults={"rate": 1.0, "kinds": ["drop"]})  # answer nothing more...
    while srv.state.in_flight:  # ...and let every answer already written reach the client
        time.sleep(0.01)
    srv.stop()  # connection refused from here
    done.set()
    time.sleep(seconds)
    build_returned.wait(600)
    srv.configure(faults={})
    srv.restart()


def test_outage_mid_build_then_rerun_matches_a_build_without_outage(tmp_path, ray_session):
    script = scripts_from_sample(PROBLEMS)
    # the policy never solves one problem with a wrong sampled chain: its steps abstain, the card counts it
    unsolved = next(p["problem_id"] for p in PROBLEMS if any(c["first_error"] >= 0 for c in p["chains"][:2]))
    script["policy"].update(rollout_policy(sample_chains(), unsolved=frozenset({unsolved})))
    with OpenAIServer(script, models=["policy", "judge-model"]) as srv:  # listed: no probe request
        reference = run_build(load_config(_config(tmp_path, srv.base_url, str(tmp_path / "reference"))))
        assert reference.stopped is None
        needed = srv.stats()["served"]
        assert max(needed.values()) == 1 and len(needed) >= 20
        srv.reset()

        cfg = _config(tmp_path, srv.base_url, str(tmp_path / "out"))
        went_down, returned = threading.Event(), threading.Event()
        watcher = threading.Thread(target=_outage, args=(srv, len(needed) // 3, OUTAGE_S, went_down, returned),
                                   daemon=True)
        watcher.start()
        try:
            first = run_build(load_config(cfg))
        finally:
            returned.set()
        served_first = srv.stats()["served_total"]
        watcher.join(OUTAGE_S + 30)
        assert went_down.is_set() and not watcher.is_alive() and srv.port is not None
        assert first.stopped and "RequestsFailed" in first.stopped, first.stopped
        assert first.shards_written < first.shards_total
        manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
        assert manifest["status"] == "stopped"
        for row in read_chains(tmp_path / "out").to_pylist():  # what was written is whole and honest
            assert row["status"] != "quarantined"
            for v in (v for s in row["steps"] for v in s["verdicts"]):
                assert "request failed" not in v["evidence"], v
        assert not list((tmp_path / "out").glob("quarantine/*.parquet"))

        second = run_build(load_config(cfg))
        stats = srv.stats()
    print(json.dumps({"outage_s": OUTAGE_S, "requests_needed": len(needed), "served_first_run": served_first,
                      "served_both_runs": stats["served_total"], "shards": first.shards_total,
                      "shards_written_first_run": first.shards_written, "first_run_stopped": first.stopped[:160]}))
    assert second.stopped is None and second.shards_skipped == first.shards_written
    assert _comparable(tmp_path / "out") == _comparable(tmp_path / "reference")
    served = stats["served"]
    assert max(served.values()) == 1, "a request was answered twice"
    assert set(served) == set(needed), "the two runs sent other requests than an outage-free build"
    # each request counted once, as answered or as failed (with its two attempts: max_retries 1), per run and in all
    first_run = first.manifest["llm"]["this_run"]["total"]
    assert first_run["answered"] == served_first and first_run["failed"] > 0
    assert first_run["failed_attempts"] == 2 * first_run["failed"]
    assert first_run["requests"] == first_run["answered"] + first_run["failed"]
    second_run, all_runs = second.manifest["llm"]["this_run"]["total"], second.manifest["llm"]["all_runs"]["total"]
    assert second_run["answered"] == stats["served_total"] - served_first
    assert all_runs["answered"] == stats["served_total"]
    assert all_runs["failed"] == first_run["failed"] + second_run["failed"]
    card_usage = (tmp_path / "out" / "README.md").read_text().split("## LLM requests")[1]
    assert (f"| **total** | all runs | {all_runs['answered']} | {all_runs['failed']} | {all_runs['failed_attempts']} |"
            in card_usage)
    counts = json.loads((tmp_path / "out" / "manifest.json").read_text())["counts"]
    assert counts["rows"] == len(PROBLEMS) * 2 == sum(v for k, v in counts.items() if k != "rows")
    card = (tmp_path / "out" / "README.md").read_text()
    assert "| problems the rollout policy never solved (their steps abstain) | 1 |" in card
    never = 0
    for r in _comparable(tmp_path / "out"):
        if r["problem_id"] != unsolved:
            continue
        for v in (v for s in r["steps"] for v in s["verdicts"] if v["labeler"] == "rollout"):
            if v["rating"] is None:
                never += "never solved" in v["evidence"]
            else:  # a right chain is its own right rollout from every prefix
                assert v["rating"] == 1 and "the chain itself reaches the right answer" in v["evidence"], v
    assert never > 0
