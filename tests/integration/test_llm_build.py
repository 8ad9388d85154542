"""An end-to-end build that samples chains and judges them through the loopback server while 20 %
of requests fail in mixed ways; it is killed after its first shard and resumed (again while a
request fails after retries: those shards wait). Every chain ends labeled, none quarantined for a
failed request, and the server answers no request twice."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import load_config
from steplabel.pipeline.llm.budget import read_ledger
from steplabel.pipeline.llm.cache import RequestCache
from steplabel.pipeline.store import connect, read_chains
from tests.support import sample_problems, scripts_from_sample
from tests.support.openai_server import OpenAIServer
from tests.support.builds import cli_env, done_shards
from tests.support.scripts import write_problems

pytestmark = pytest.mark.integration

PROBLEMS = [p for p in sample_problems() if p.get("domain", "math") == "math"][:16]
FAULTS = {"rate": 0.2, "seed": 11}  # every kind: 429, 500, 503, timeout, drop, malformed, truncated
MODELS = ["policy", "judge-model"]  # listed by the server, as vLLM lists what it serves: no model probe request


def _config(tmp_path: Path, base_url: str) -> Path:
    problems = write_problems(tmp_path / "problems.jsonl", PROBLEMS)
    endpoint = {"base_url": base_url, "timeout": 1.0, "max_retries": 3, "backoff_base": 0.05, "max_concurrency": 16}
    config = {
        "name": "llm-faults",
        "input": {"kind": "files", "path": str(problems)},
        # two requests in flight: the generate stage takes 2 x n rows a call, so shards land one by one
        "generation": {"policy": {**endpoint, "model": "policy", "max_concurrency": 2}, "n": 4, "seed": 0,
                       "max_tokens": 200},
        "segment": {"splitter": "blank_line"},
        "labelers": [{"name": "outcome"},
                     {"name": "judge", "options": {"endpoint": {**endpoint, "model": "judge-model"}, "votes": 1}}],
        "merge": {"policy": "priority", "order": ["judge", "outcome"]},
        "run": {"out": str(tmp_path / "out"), "shard_size": 8, "batch_size": 8},
    }
    path = tmp_path / "llm.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_faulty_endpoints_killed_and_resumed_build_pays_each_request_once(tmp_path, ray_session):
    script = scripts_from_sample(PROBLEMS)
    with OpenAIServer(script, latency=0.1, hang=3.0, faults=FAULTS, models=MODELS) as srv:
        cfg_path = _config(tmp_path, srv.base_url)
        out = tmp_path / "out"
        proc = subprocess.Popen([sys.executable, "-m", "steplabel.pipeline.cli", "build", str(cfg_path)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=cli_env(), start_new_session=True)
        deadline = time.monotonic() + 600  # generous: a loaded machine starts Ray slowly
        while done_shards(out) == 0:
            assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
            assert time.monotonic() < deadline, "no shard written within 600 s"
            time.sleep(0.02)
        # stop answering, let the answers already decided be sent and land in the cache (every sample
        # handed out is one cache entry, but the sampling probe's, which no build reuses), then kill: a
        # request the server answered is one the build received
        srv.configure(faults={"rate": 1.0, "kinds": ["timeout"]}, hang=30.0)
        settle, cache = time.monotonic() + 300, RequestCache(out / "cache")
        probed = read_ledger(out / "cache")["probe"]["samples"]
        while time.monotonic() < settle and (srv.stats()["answering"]
                                             or len(cache) + probed < srv.stats()["choices_served"]):
            time.sleep(0.05)
        settled = len(cache) + probed >= srv.stats()["choices_served"]
        cache.close()
        assert settled, "the killed build's cache never caught up with the answers the server sent"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        done_at_kill = done_shards(out)
        total = json.loads((out / "manifest.json").read_text())["shards_total"]
        assert done_at_kill < total, "the build finished before the kill"
        before = srv.stats()
        assert before["max_served_per_key"] == 1
        # the ledger as the killed build left it: a SIGKILL loses the counts a process had not synced yet
        ledger_path = out / "cache" / "ledger.json"
        ledger_at_kill = json.loads(ledger_path.read_text()) if ledger_path.exists() else {}

        srv.configure(faults=FAULTS, hang=3.0)
        runs = []
        for _ in range(5):  # a shard whose request failed after retries waits for the next run
            runs.append(run_build(load_config(cfg_path)))
            if runs[-1].stopped is None:
                break
            assert "RequestsFailed" in runs[-1].stopped
        result = runs[-1]
        stats = srv.stats()
    assert result.stopped is None and runs[0].shards_skipped == done_at_kill
    twice = {k: n for k, n in stats["served"].items() if n > 1}
    assert not twice, f"answered twice: {twice}; attempts {[stats['attempts'][k] for k in twice]}"
    faults = Counter(stats["faults"])
    assert len(faults) >= 5  # mixed: status codes, hangs, drops, broken bodies
    assert stats["total"] - sum(faults.values()) - stats["abandoned_total"] == stats["served_total"]
    assert sum(faults.values()) >= 0.15 * stats["total"]

    table = read_chains(out)
    rows = table.to_pylist()
    assert len(rows) == len(PROBLEMS) * 4 and len({r["chain_id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["status"] != "quarantined", r["status_reason"]  # a failed request is never a result
        assert r["text"] and r["generator"]["finish_reason"] == "stop" and r["steps"]
        for step in r["steps"]:
            judged = [v for v in step["verdicts"] if v["labeler"] == "judge"]
            assert len(judged) == 1
            assert judged[0]["rating"] is not None, judged[0]
    # the sampled chains are the scripted ones, in sample-index order (seed + index)
    by_problem = {p["problem"]: [c["text"] for c in p["chains"]] for p in PROBLEMS}
    for r in rows:
        chains = by_problem[r["problem"]]
        assert r["text"] == chains[r["generator"]["sample_index"] % len(chains)]
    # the judge's labels are the gold first errors wherever the judge answered
    con = connect(out)
    labeled = con.execute("SELECT count(*) FROM chains WHERE status = 'labeled'").fetchall()[0][0]
    assert labeled >= 0.9 * len(rows)
    ledger = json.loads((out / "cache" / "ledger.json").read_text())
    # every policy request the re-runs got an answer to is in the ledger (a request failed after retries is too)
    paid_after_kill = stats["served_by_model"]["policy"] - before["served_by_model"].get("policy", 0)
    assert ledger["policy"]["requests"] - ledger_at_kill.get("policy", {}).get("requests", 0) >= paid_after_kill
    assert ledger["policy"]["requests"] > 0 and ledger["judge"]["completion_tokens"] > 0
    assert "sk-" not in (out / "manifest.json").read_text()


def test_budget_stops_the_build_cleanly_and_a_larger_budget_resumes_it(tmp_path, ray_session):
    with OpenAIServer(scripts_from_sample(PROBLEMS), models=MODELS) as srv:
        cfg_path = _config(tmp_path, srv.base_url)
        data = yaml.safe_load(cfg_path.read_text())
        data["generation"]["budget"] = {"max_requests": 6}
        data["labelers"] = [{"name": "outcome"}]
        data["merge"]["order"] = ["outcome"]
        cfg_path.write_text(yaml.safe_dump(data))
        stopped = run_build(load_config(cfg_path))
        assert stopped.stopped and "BudgetExhausted" in stopped.stopped
        assert json.loads((tmp_path / "out" / "manifest.json").read_text())["status"] == "stopped"
        served = srv.stats()["served_total"]
        assert 6 <= served <= 8  # the ceiling (the sampling probe's three included), give or take requests in flight
        data["generation"]["budget"] = {"max_requests": 1000}  # not part of the config hash: a resume
        cfg_path.write_text(yaml.safe_dump(data))
        done = run_build(load_config(cfg_path))
        assert done.stopped is None and len(read_chains(tmp_path / "out")) == len(PROBLEMS) * 4
        assert srv.stats()["max_served_per_key"] == 1
        ledger = read_ledger(tmp_path / "out" / "cache")
        assert ledger["policy"]["answered"] == len(PROBLEMS)  # one request (n=4) per problem, ever
        assert ledger["probe"]["answered"] == 3  # the sampling probe: once per build, not again on resume
        assert srv.stats()["served_total"] == ledger["total"]["answered"] == len(PROBLEMS) + 3 + \
            ledger.get("check", {}).get("answered", 0)
