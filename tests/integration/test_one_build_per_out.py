"""Two `steplabel build` runs on one OUT: the second is refused in one line (exit 6) while the first
runs, and the first finishes with every row, each once."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.preflight import EXIT_BUSY
from steplabel.pipeline.store import read_chains, read_manifest
from tests.support.builds import done_shards

pytestmark = pytest.mark.integration


def _cli(config: Path) -> subprocess.Popen:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    return subprocess.Popen([sys.executable, "-m", "steplabel.pipeline.cli", "build", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def test_second_build_on_the_same_out_is_refused_and_the_first_is_intact(tmp_path):
    config = yaml.safe_load((Path(__file__).parents[2] / "configs" / "sample.yaml").read_text())
    config["input"]["repeat"] = 6
    config["labelers"] = [{"name": "outcome"}, {"name": "math_steps"}]
    config["merge"]["order"] = ["math_steps", "outcome"]
    out = tmp_path / "out"
    config["run"].update(out=str(out), shard_size=100)
    path = tmp_path / "build.yaml"
    path.write_text(yaml.safe_dump(config))

    first = _cli(path)
    deadline = time.monotonic() + 180
    while done_shards(out) == 0:
        assert first.poll() is None, first.stdout.read().decode()[-3000:]
        assert time.monotonic() < deadline, "no shard written within 180 s"
        time.sleep(0.05)
    second = _cli(path)
    assert second.wait(timeout=120) == EXIT_BUSY
    said = second.stdout.read().decode()
    assert "is being built by another run" in said and "Traceback" not in said
    assert first.wait(timeout=600) == 0, first.stdout.read().decode()[-3000:]

    manifest = read_manifest(out)
    assert first.poll() == 0 and manifest["status"] == "done"
    ids = read_chains(out)["chain_id"].to_pylist() + read_chains(out, quarantine=True)["chain_id"].to_pylist()
    assert len(ids) == len(set(ids)) == manifest["counts"]["rows"]
    assert len(list((out / "data").glob("shard-*.parquet"))) == manifest["shards_total"]
