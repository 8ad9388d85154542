"""Two builds on one OUT: the second is refused in one line (exit 6) while the first runs, and the
first finishes with every row, each once. The first runs in a thread of this process (the session's
Ray), the second through the CLI entry point: the lease is the only thing between them."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.build import run_build
from steplabel.pipeline.cli import main
from steplabel.pipeline.config import load_config
from steplabel.pipeline.preflight import EXIT_BUSY
from steplabel.pipeline.store import read_chains, read_manifest
from tests.support.builds import done_shards

pytestmark = pytest.mark.integration


def test_second_build_on_the_same_out_is_refused_and_the_first_is_intact(tmp_path, ray_session, capsys):
    config = yaml.safe_load((Path(__file__).parents[2] / "configs" / "sample.yaml").read_text())
    config["input"]["repeat"] = 3
    config["labelers"] = [{"name": "outcome"}, {"name": "math_steps"}]
    config["merge"]["order"] = ["math_steps", "outcome"]
    out = tmp_path / "out"
    config["run"].update(out=str(out), shard_size=50)
    path = tmp_path / "build.yaml"
    path.write_text(yaml.safe_dump(config))

    results: list = []
    first = threading.Thread(target=lambda: results.append(run_build(load_config(path))))
    first.start()
    deadline = time.monotonic() + 600  # generous: a loaded machine starts Ray slowly
    while done_shards(out) == 0:
        assert first.is_alive(), "the first build ended before writing a shard"
        assert time.monotonic() < deadline, "no shard written within 600 s"
        time.sleep(0.05)
    assert main(["build", str(path)]) == EXIT_BUSY  # refused before it reads the input or starts Ray
    said = capsys.readouterr().err
    assert "is being built by another run" in said and "Traceback" not in said
    assert first.is_alive(), "the first build finished before the second was refused"
    first.join(timeout=600)

    manifest = read_manifest(out)
    assert results and results[0].manifest["status"] == manifest["status"] == "done"
    ids = read_chains(out)["chain_id"].to_pylist() + read_chains(out, quarantine=True)["chain_id"].to_pylist()
    assert len(ids) == len(set(ids)) == manifest["counts"]["rows"]
    assert len(list((out / "data").glob("shard-*.parquet"))) == manifest["shards_total"]
