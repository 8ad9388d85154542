"""A pool actor that dies mid-build (a lost node, an OOM kill) costs its unfinished shards one more
pass, not the build: Ray does not restart pool actors (their constructor arguments are object
references it cannot keep for a restart, ray-project/ray#53727), so the build streams those shards
again itself."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.labelers import REGISTRY
from steplabel.pipeline.store import read_chains

pytestmark = pytest.mark.integration


def test_a_lost_actor_streams_its_unfinished_shards_again(ray_session, tmp_path, monkeypatch):
    monkeypatch.setitem(REGISTRY, "actor_killer", "tests.support.labelers:ActorKiller")
    records = [{"problem": f"What is {i} + 1?" + (" [kill-actor]" if i == 13 else ""), "answer": str(i + 1),
                "text": f"{i} + 1 = {i + 1}.\n\nThe answer is {i + 1}."} for i in range(24)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    flag = tmp_path / "killed"
    config = BuildConfig(name="lost-actor", input=InputConfig(kind="files", path=str(tmp_path / "in.jsonl")),
                         labelers=[LabelerConfig(name="outcome"),
                                   LabelerConfig(name="actor_killer", options={"flag": str(flag)})],
                         merge=MergeConfig(order=["outcome"]),
                         run=RunConfig(out=str(tmp_path / "out"), shard_size=8, batch_size=4))
    said: list[str] = []
    result = run_build(config, progress=said.append)
    assert flag.exists(), "the actor was never killed"
    assert any("actor was lost" in line and "unfinished shards again" in line for line in said), said
    assert result.manifest["status"] == "done" and result.shards_written == 3
    rows = read_chains(tmp_path / "out").to_pylist()
    assert len(rows) == 24 and len({r["chain_id"] for r in rows}) == 24
    assert all(r["status"] == "labeled" for r in rows)
    assert all(any(v["labeler"] == "actor_killer" for v in r["steps"][-1]["verdicts"]) for r in rows)
