"""A build killed with SIGKILL after its first shard, then re-run, equals an uninterrupted build."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import load_config
from steplabel.pipeline.store import read_chains
from tests.support.builds import cli_env, done_shards

pytestmark = pytest.mark.integration


def _config(tmp_path: Path, out: Path) -> Path:
    config = yaml.safe_load((Path(__file__).parents[2] / "configs" / "sample.yaml").read_text())
    config["input"]["repeat"] = 2  # 240 chains in 10 shards: enough that the kill lands mid-build
    # the math labelers only: this test is about shards and resume, not about starting sandboxes
    config["labelers"] = [{"name": "outcome"}, {"name": "math_steps"}]
    config["merge"]["order"] = ["math_steps", "outcome"]
    config["run"].update(out=str(out), shard_size=25)
    path = tmp_path / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _build(config: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "steplabel.pipeline.cli", "build", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=cli_env(), start_new_session=True)


def _labels(out: Path) -> dict[str, list]:
    table = read_chains(out)
    rows = {}
    for chain_id, steps, first_error in zip(table["chain_id"].to_pylist(), table["steps"].to_pylist(),
                                            table["first_error"].to_pylist()):
        assert chain_id not in rows, f"duplicate chain {chain_id}"
        rows[chain_id] = [first_error, [(s["rating"], s["decided_by"]) for s in steps]]
    return rows


def test_killed_build_resumes_to_the_uninterrupted_result(tmp_path, ray_session):
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"
    killed_cfg = _config(tmp_path, killed_out)
    proc = _build(killed_cfg)
    deadline = time.monotonic() + 600  # generous: a loaded machine starts Ray slowly
    while done_shards(killed_out) == 0:
        assert proc.poll() is None, proc.stdout.read().decode()
        assert time.monotonic() < deadline, "no shard written within 600 s"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver, no cleanup (its actors go with its job)
    proc.wait()
    done_at_kill = done_shards(killed_out)
    manifest = json.loads((killed_out / "manifest.json").read_text())
    assert manifest["status"] == "running" and done_at_kill < manifest["shards_total"], "build finished before the kill"

    said: list[str] = []  # resumed in this process's Ray: a fresh driver, as the CLI's would be
    resumed = run_build(load_config(killed_cfg), progress=said.append)
    assert resumed.stopped is None and resumed.manifest["status"] == "done", said
    assert any(f"{done_at_kill} already done" in line for line in said), said
    run_build(load_config(_config(tmp_path, clean_out)))  # uninterrupted, in this process's Ray

    assert not list(killed_out.rglob(".*.tmp-*")), "temporary files left behind"
    assert _labels(killed_out) == _labels(clean_out)
