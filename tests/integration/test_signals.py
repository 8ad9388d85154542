"""SIGINT (Ctrl-C, sent to the terminal's whole process group) and SIGTERM (what a scheduler sends
the process) stop a build in one line that says what was finished and that a re-run resumes: exit
130 / 143, the manifest `stopped`, no temporary or part file, the lease released; the re-run builds
only what was missing. The build to stop resumes one that wrote five shards, and a `[gate]` row in
its sixth holds it for as long as the test needs: the signal arrives while it works."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.labelers import REGISTRY
from steplabel.pipeline.lease import live_holder
from steplabel.pipeline.store import read_chains, read_manifest
from tests.support.builds import cli_env, done_shards

pytestmark = pytest.mark.integration

# the build command, with the test's gate labeler registered (as a plugin would be)
_BUILD = """
import sys
from steplabel.pipeline.labelers import REGISTRY
REGISTRY["gate"] = "tests.support.labelers:GateLabeler"
from steplabel.pipeline.cli import main
sys.exit(main(["build", sys.argv[1]]))
"""
RAY_LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+ [EWF] \d+ \d+\]")  # Ray's C++ error/warning lines


def _config(tmp_path: Path, gated: bool) -> BuildConfig:
    records = [{"problem": f"What is {i} + 4?" + (" [gate]" if i == 11 else ""), "answer": str(i + 4),
                "text": f"{i} + 4 = {i + 4}"} for i in range(12 if gated else 10)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return BuildConfig(name="signals", input=InputConfig(kind="files", path=str(tmp_path / "in.jsonl")),
                       labelers=[LabelerConfig(name="outcome"),
                                 LabelerConfig(name="gate", options={"gate": str(tmp_path / "gate")})],
                       merge=MergeConfig(order=["outcome"]),
                       run=RunConfig(out=str(tmp_path / "out"), shard_size=2, batch_size=2))


def _start(tmp_path: Path) -> subprocess.Popen:
    path = tmp_path / "c.json"  # JSON is YAML
    path.write_text(json.dumps(_config(tmp_path, gated=True).model_dump(mode="json")))
    return subprocess.Popen([sys.executable, "-c", _BUILD, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=cli_env(), start_new_session=True,
                            cwd=Path(__file__).resolve().parents[2])


def _left_behind(out: Path) -> list[str]:
    return [str(p.relative_to(out)) for p in out.rglob("*")
            if ".tmp-" in p.name or p.name.startswith(".write-probe") or "parts" in p.parts]


@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGTERM to the process"])
def test_a_signal_stops_the_build_in_one_line_and_a_rerun_resumes(ray_session, tmp_path, how, monkeypatch):
    name, code = ("SIGINT", 130) if how.startswith("SIGINT") else ("SIGTERM", 143)
    monkeypatch.setitem(REGISTRY, "gate", "tests.support.labelers:GateLabeler")
    out = tmp_path / "out"
    assert run_build(_config(tmp_path, gated=False)).shards_written == 5
    proc = _start(tmp_path)
    deadline = time.monotonic() + 600  # generous: a loaded machine is slow to start the stages
    while not (tmp_path / "gate.waiting").exists():  # the build is at work on its sixth shard
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build did not reach its gated row within 600 s"
        time.sleep(0.05)
    if how.startswith("SIGINT"):
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == code, err
    said = [line for line in err.splitlines() if line.startswith("interrupted")]
    assert len(said) == 1 and said[0].startswith(f"interrupted by {name}: "), err
    assert re.search(r": 5 of 6 shards are written and kept in .*; re-run the same command to resume$", said[0])
    assert "Traceback" not in err and not [line for line in err.splitlines() if RAY_LOG_LINE.match(line)], err
    manifest = read_manifest(out)
    assert manifest["status"] == "stopped" and manifest["stopped_reason"] == f"interrupted by {name}"
    assert done_shards(out) == 5 and _left_behind(out) == [] and live_holder(out) is None

    (tmp_path / "gate").touch()  # the re-run may finish
    again = run_build(_config(tmp_path, gated=True))
    assert again.manifest["status"] == "done" and again.shards_skipped == 5 and again.shards_written == 1
    assert read_chains(out).num_rows == 12
