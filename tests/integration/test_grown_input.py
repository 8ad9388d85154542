"""Last night's build, re-run on the same OUT over an input grown by 10 % and reordered: only the
new chains are labeled and only their judge requests reach the (loopback) endpoint; every finished
shard is reused as it was, and the manifest says which build wrote each shard."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.build import run_build
from steplabel.pipeline.check import plan
from steplabel.pipeline.config import load_config
from steplabel.pipeline.store import read_chains
from tests.support import sample_problems, scripts_from_sample
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.integration

PROBLEMS = [p for p in sample_problems() if p.get("domain", "math") == "math"]
RECORDS = [{"problem_id": p["problem_id"], "problem": p["problem"], "answer": p["reference"]["answer"],
            "text": c["text"]} for p in PROBLEMS for c in p["chains"]][:22]


def _config(tmp_path: Path, base_url: str, records: list[dict], out: str = "out", cache: str | None = None) -> Path:
    (tmp_path / "chains.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    endpoint = {"base_url": base_url, "model": "judge-model", "timeout": 5.0, "max_concurrency": 8}
    config = {
        "name": "nightly",
        "input": {"kind": "files", "path": str(tmp_path / "chains.jsonl")},
        "labelers": [{"name": "outcome"}, {"name": "judge", "options": {"endpoint": endpoint, "votes": 1}}],
        "merge": {"policy": "priority", "order": ["judge", "outcome"]},
        "run": {"out": str(tmp_path / out), "shard_size": 4, "batch_size": 4, "cache": cache},
    }
    path = tmp_path / "nightly.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _probes(result) -> int:
    """Requests of the build's sampling check (once per build that sends requests; never cached)."""
    return int(result.manifest["llm"]["this_run"].get("probe", {}).get("answered", 0))


def test_grown_input_labels_only_the_new_chains(tmp_path, ray_session):
    assert len(RECORDS) == 22
    with OpenAIServer(scripts_from_sample(PROBLEMS), models=["judge-model"]) as srv:
        first = run_build(load_config(_config(tmp_path, srv.base_url, RECORDS[:20])))
        assert first.manifest["status"] == "done" and first.shards_written == first.shards_total >= 5
        n_old = first.shards_total
        per_chain = (srv.stats()["served_total"] - _probes(first)) / 20
        assert per_chain >= 1 and srv.stats()["max_served_per_key"] == 1
        before = {r["chain_id"]: r for r in read_chains(first.out).to_pylist()}
        srv.reset()

        grown = RECORDS[:20][::-1] + RECORDS[20:]  # 10 % more, and in another order
        config = load_config(_config(tmp_path, srv.base_url, grown))
        existing = plan(config, probe=False).facts["out"]["existing"]  # what `steplabel check` says first
        assert (existing["shards_reused"], existing["chains_to_build"]) == (n_old, 2)
        second = run_build(config)
        # judge requests for the two new chains only (and the new build's sampling check)
        assert srv.stats()["served_total"] == 2 * per_chain + _probes(second)

    assert second.manifest["status"] == "done"
    assert second.shards_skipped == n_old and second.shards_total == n_old + second.shards_written
    assert 1 <= second.shards_written <= 2  # the two new chains (one shard, or two if their problems split)
    old_id, new_id = first.manifest["build"]["build_id"], second.manifest["build"]["build_id"]
    assert old_id != new_id and set(second.manifest["builds"]) == {old_id, new_id}
    writers = Counter(e["build_id"] for e in second.manifest["shards"].values())
    assert writers == {new_id: second.shards_written, old_id: n_old}
    rows = read_chains(second.out).to_pylist()
    assert len(rows) == 22 and len({r["chain_id"] for r in rows}) == 22
    for row in rows:
        if row["chain_id"] in before:  # reused as written last night, not labeled again
            assert row == before[row["chain_id"]]
        else:
            assert row["build"]["build_id"] == new_id
    # no verdict came from the cache: nothing old went through a labeler again
    assert not any(v["cached"] for r in rows for s in r["steps"] for v in s["verdicts"])

    third = run_build(config)  # the next night, nothing new: nothing built, still the same build
    assert (third.shards_written, third.manifest["build"]["build_id"]) == (0, new_id)
    assert set(third.manifest["builds"]) == {old_id, new_id}


def test_builds_into_new_outs_share_run_cache_and_pay_nothing_twice(tmp_path, ray_session):
    with OpenAIServer(scripts_from_sample(PROBLEMS), models=["judge-model"]) as srv:
        monday = run_build(load_config(_config(tmp_path, srv.base_url, RECORDS[:8], "monday", str(tmp_path / "shared"))))
        paid = srv.stats()["served_total"]
        assert monday.manifest["status"] == "done" and paid >= 8 and not (tmp_path / "monday" / "cache" / "llm").exists()
        tuesday = run_build(load_config(_config(tmp_path, srv.base_url, RECORDS[:8], "tuesday", str(tmp_path / "shared"))))
        # every judge request answered from the shared cache (the sampling check asks the server itself)
        assert srv.stats()["served_total"] == paid + _probes(tuesday)
    assert tuesday.manifest["status"] == "done"
    assert monday.manifest["build"]["config_hash"] == tuesday.manifest["build"]["config_hash"]
    judged = [v for r in read_chains(tuesday.out).to_pylist() for s in r["steps"] for v in s["verdicts"]
              if v["labeler"] == "judge"]
    assert judged and all(v["cached"] for v in judged)
