"""Every exit code README.md documents for `steplabel build`, through the command itself, each with
the one line that explains it (the codes 130 and 143 of a signal: tests/integration/test_signals.py).
The build joins the session's Ray, so each costs a build, not a Ray start."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.cli import main
from steplabel.pipeline.lease import Lease
from steplabel.pipeline.preflight import EXIT_BUSY, EXIT_CONFIG, EXIT_DONE, EXIT_INPUT, EXIT_PARTIAL, EXIT_STOPPED
from tests.support import sample_problems, scripts_from_sample
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.integration

RECORDS = [{"problem": f"What is {i} + 2?", "answer": str(i + 2), "text": f"{i} + 2 = {i + 2}"} for i in range(6)]


def _config(tmp_path: Path, **more) -> str:
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    config = {"name": "exit-codes", "input": {"kind": "files", "path": str(tmp_path / "in.jsonl")},
              "run": {"out": str(tmp_path / "out"), "shard_size": 4}, **more}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_0_done(ray_session, tmp_path, capsys):
    assert main(["build", _config(tmp_path)]) == EXIT_DONE
    err = "\n".join(_lines(capsys))
    assert "chains: 6 (6 labeled" in err and "Traceback" not in err


def test_2_config_or_arguments(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("merge: {order: [outcom]}\n")
    assert main(["build", str(broken)]) == EXIT_CONFIG
    assert "merge.order.0: 'outcom' is not a configured labeler" in capsys.readouterr().err
    path = _config(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text(json.dumps(
        {"build": {"build_id": "old", "config_hash": "0" * 16}, "shards": {}}))
    assert main(["build", path]) == EXIT_CONFIG
    (line,) = [line for line in _lines(capsys) if "holds a build of another config" in line]
    assert "choose a new --out or delete it" in line


def test_3_stopped_by_a_budget(ray_session, tmp_path, capsys):
    problems = [p for p in sample_problems() if p.get("domain", "math") == "math"][:4]
    (tmp_path / "problems.jsonl").write_text("".join(json.dumps({"problem": p["problem"],
                                                                 "answer": p["reference"]["answer"]}) + "\n"
                                                     for p in problems))
    with OpenAIServer(scripts_from_sample(problems), models=["policy"]) as srv:
        path = tmp_path / "budget.yaml"
        path.write_text(yaml.safe_dump({
            "name": "budget", "input": {"kind": "files", "path": str(tmp_path / "problems.jsonl")},
            "generation": {"policy": {"base_url": srv.base_url, "model": "policy", "max_concurrency": 1},
                           "n": 2, "budget": {"max_requests": 1}},
            "run": {"out": str(tmp_path / "out"), "shard_size": 2, "batch_size": 2}}))
        assert main(["build", str(path)]) == EXIT_STOPPED
    assert any("stopped early:" in line and "re-run the same command to resume" in line for line in _lines(capsys))


def test_4_input(tmp_path, capsys):
    assert main(["build", _config(tmp_path), "--input", str(tmp_path / "nope.jsonl")]) == EXIT_INPUT
    assert any("no input files at" in line for line in _lines(capsys))
    (tmp_path / "blank.jsonl").write_text("\n \n")
    assert main(["build", _config(tmp_path), "--input", str(tmp_path / "blank.jsonl")]) == EXIT_INPUT
    assert any("holds no records; pass --allow-empty" in line for line in _lines(capsys))


def test_5_partial(ray_session, tmp_path, capsys):
    path = _config(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "data").write_text("a file where the data folder goes")  # no shard can be committed
    assert main(["build", path]) == EXIT_PARTIAL
    assert any("partial build:" in line and "re-run the same command to finish" in line for line in _lines(capsys))


def test_6_busy(tmp_path, capsys):
    path = _config(tmp_path)
    lease = Lease(tmp_path / "out").acquire()  # another build holds OUT
    try:
        assert main(["build", path]) == EXIT_BUSY
    finally:
        lease.release()
    (line,) = [line for line in _lines(capsys) if "is being built by another run" in line]
    assert "wait for it to finish" in line


def test_a_build_that_succeeds_prints_no_error_line(ray_session, tmp_path):
    """The command as a user runs it, colours on: no red line, no Ray error or warning log line
    (Ray logged one for every build while it could restart pool actors: their constructor arguments
    are object references, ray-project/ray#53727)."""
    import re
    import subprocess
    import sys

    from tests.support.builds import cli_env

    path = _config(tmp_path, labelers=[{"name": "outcome"}, {"name": "math_steps"}],
                   merge={"order": ["math_steps", "outcome"]})
    # a session of its own, as every build subprocess that joins the test session's Ray: Ray cleans up
    # after a driver by its process group, which must not be pytest's
    done = subprocess.run([sys.executable, "-m", "steplabel.pipeline.cli", "build", path], capture_output=True,
                          text=True, timeout=900, env={**cli_env(), "FORCE_COLOR": "1", "COLUMNS": "120"},
                          start_new_session=True)
    assert done.returncode == EXIT_DONE, done.stderr
    red = [line for line in done.stderr.splitlines() if "\x1b[31m" in line or "\x1b[1;31m" in line]
    ray_logs = [line for line in done.stderr.splitlines()
                if re.match(r"^\[\d{4}-\d\d-\d\d [\d:,]+ [EWF] \d+ \d+\]", line) or "ERROR" in line]
    assert not red and not ray_logs and "Traceback" not in done.stderr, done.stderr
    assert "chains: 6 (6 labeled" in re.sub(r"\x1b\[[0-9;]*m", "", done.stderr)  # the colours were on
