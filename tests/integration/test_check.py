"""`steplabel check`: every broken config fails fast without Ray; a good one prints its plan and
each endpoint's answer (loopback test server), and a dead or silent endpoint is a problem."""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import yaml

from steplabel.pipeline.cli import main
from tests.support.openai_server import OpenAIServer
from tests.support.broken_configs import BROKEN

pytestmark = pytest.mark.integration

# one interpreter checks (and tries to build) every broken config: each fails before Ray is imported
# (how fast is measured in tests/benchmarks/bench_start_failures.py)
_RUN_ALL = """
import contextlib, io, json, sys, time
from steplabel.pipeline.cli import main
out = {}
for path in sys.argv[1:]:
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["check", path])
    out[path] = {"rc": rc, "s": time.perf_counter() - start, "err": err.getvalue()}
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        out[path]["build_rc"] = main(["build", path])  # the build refuses it the same way, before Ray
print(json.dumps({"results": out, "ray_imported": "ray" in sys.modules}))
"""


def test_every_broken_config_fails_in_check_fast_and_without_ray(tmp_path):
    paths = []
    for name, text, _ in BROKEN:
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(text + "\n")
    done = subprocess.run([sys.executable, "-c", _RUN_ALL, *map(str, paths)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert not report["ray_imported"]
    for (name, _, dotted), path in zip(BROKEN, paths):
        r = report["results"][str(path)]
        assert r["rc"] == 2 and r["build_rc"] == 2, (name, r)
        assert dotted in " ".join(r["err"].split()) and f"{name}.yaml" in r["err"].replace("\n", ""), (name, r["err"])


def test_the_console_script_exits_non_zero_on_a_broken_config(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("merge: {order: [typo]}\n")
    done = subprocess.run([sys.executable, "-m", "steplabel.pipeline.cli", "check", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "merge.order.0" in done.stderr


def _config(tmp_path, judge_url: str, policy_url: str) -> str:
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps({"problem": f"What is {i}+1?", "answer": str(i + 1)}) + "\n"
                                for i in range(5)) + "{not json\n")
    ep = {"timeout": 5, "max_retries": 0}
    config = {
        "input": {"kind": "files", "path": str(problems)},
        "generation": {"policy": {"base_url": policy_url, "model": "policy", **ep}, "n": 3},
        "labelers": [{"name": "outcome"},
                     {"name": "judge", "pool_size": 2, "options": {"endpoint": {"base_url": judge_url,
                                                                                 "model": "scripted", **ep}}}],
        "merge": {"order": ["judge", "outcome"]},
        "run": {"out": str(tmp_path / "out"), "shard_size": 4},
    }
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_a_good_config_prints_its_plan_and_the_endpoints_answer(tmp_path, capsys):
    with OpenAIServer() as srv:
        path = _config(tmp_path, srv.base_url, srv.base_url)
        assert main(["check", path, "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["problems"] == [] and plan["input"]["records"] == 6
    # 5 problems x n=3, and the unreadable record as one quarantined row; up to 4 chains a shard, a
    # problem's samples in one shard: 5 shards, as the build cuts them
    assert (plan["chains"], plan["shards"], plan["input"]["quarantined_at_import"]) == (16, 5, 1)
    assert [(f["records"], f["chains"]) for f in plan["input"]["files"]] == [(6, 16)]
    assert any("1 of 16 chains will be quarantined at import" in n for n in plan["notes"])
    assert [(lab["name"], lab["pool_size"]) for lab in plan["labelers"]] == [("outcome", 1), ("judge", 2)]
    assert [(e["at"], e["answers"]) for e in plan["endpoints"]] == [
        ("generation.policy", True), ("labelers.1.options.judges.0", True)]
    assert any("'policy' is not among the models" in n for n in plan["notes"])


def test_a_dead_and_a_silent_endpoint_are_problems_within_the_deadline(tmp_path, capsys):
    with socket.socket() as dead, socket.socket() as silent:
        dead.bind(("127.0.0.1", 0))  # bound, not listening: connection refused
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections and never answers
        path = _config(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}/v1",
                       f"http://127.0.0.1:{dead.getsockname()[1]}/v1")
        assert main(["check", path, "--deadline", "1"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM  generation.policy:" in out and "connection refused" in out
    assert "PROBLEM  labelers.1.options.judges.0:" in out and "no answer within 1 s" in out


def test_another_build_in_out_is_a_problem(tmp_path, capsys):
    path = _config(tmp_path, "http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text(json.dumps(
        {"build": {"build_id": "old", "config_hash": "0" * 16}, "shards": {}}))
    assert main(["check", path, "--no-probe"]) == 1
    assert "holds a build of another config" in capsys.readouterr().out


def test_an_out_another_build_holds_now_is_a_problem(tmp_path, capsys):
    from steplabel.pipeline.lease import Lease

    path = _config(tmp_path, "http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1")
    lease = Lease(tmp_path / "out").acquire()
    try:
        assert main(["check", path, "--no-probe"]) == 1
        assert "is being built by another run now" in capsys.readouterr().out
    finally:
        lease.release()
    assert main(["check", path, "--no-probe"]) == 0  # released: free again


def test_an_out_that_cannot_be_written_is_a_problem_and_check_creates_nothing(tmp_path, capsys):
    path = _config(tmp_path, "http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1")
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["check", path, "--no-probe", "--out", str(blocker / "out")]) == 1
    assert "run.out:" in capsys.readouterr().out
    assert main(["check", path, "--no-probe", "--out", str(tmp_path / "new" / "out")]) == 0
    assert not (tmp_path / "new").exists()


def test_the_plan_shows_the_stages_the_build_makes(capsys):
    """The sample's two code labelers share one stage (one sandbox, one test run per chain)."""
    assert main(["check", "--no-probe", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [s["labelers"] for s in plan["stages"]] == [["outcome"], ["math_steps"], ["code_outcome", "code_steps"]]


def test_labelers_are_told_the_chains_of_their_domains_as_the_records_say(tmp_path, capsys):
    """A record names its own domain: a code record in an input configured as math is one the
    code labelers label, and check counts it so (and says so only of labelers with none)."""
    from steplabel.pipeline.check import plan
    from steplabel.pipeline.config import load_config

    code = {"problem": "Write add(a, b).", "domain": "code", "tests": "assert add(1, 2) == 3", "entry_point": "add",
            "text": "```python\ndef add(a, b):\n    return a + b\n```"}
    math = {"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2"}
    (tmp_path / "in.jsonl").write_text(json.dumps(code) + "\n\n" + json.dumps(math) + "\n")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "input": {"kind": "files", "path": str(tmp_path / "in.jsonl")},
        "labelers": [{"name": "outcome"}, {"name": "code_outcome"}, {"name": "code_steps"}],
        "merge": {"order": ["code_outcome", "outcome"]}, "run": {"out": str(tmp_path / "out")}}))
    result = plan(load_config(tmp_path / "c.yaml"), probe=False)
    assert result.facts["input"]["domains"] == {"code": 1, "math": 1}
    assert {lab["name"]: lab["chains"] for lab in result.facts["labelers"]} == {
        "outcome": 1, "code_outcome": 1, "code_steps": 1}
    assert not any("will not label any" in n for n in result.notes), result.notes
    assert result.facts["input"]["files"][0]["blank_lines"] == 1
    (tmp_path / "in.jsonl").write_text(json.dumps(math) + "\n")
    result = plan(load_config(tmp_path / "c.yaml"), probe=False)
    assert sorted(n.split("'")[1] for n in result.notes if "will not label any" in n) == ["code_outcome", "code_steps"]
