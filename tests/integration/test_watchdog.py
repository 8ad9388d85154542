"""The per-row watchdog: no labeler code can stall a build, and labels do not depend on machine
load. Real Ray, real child processes, real Parquet; the misbehaving labeler exists only in tests."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.labelers import REGISTRY
from steplabel.pipeline.stages import label_stage
from steplabel.pipeline.store import read_chains
from steplabel.verifiers.math.deadline import DeadlinePool
from tests.support.labelers import MisbehavingLabeler

pytestmark = pytest.mark.integration

HOSTILE_STEPS = [
    "So $(1+2i)^{10^{9}} = 5$.",
    "Then $(-3)^{10^{10}} = 7$ and $(3/2)^{10^{8}} = 1$.",
    "$2^{2^{2^{2^{2}}}} = 4$ and $100000! = 5$.",
    "=" * 50_000 + "(" * 25_000 + ")" * 25_000,  # 100 kB of `=` and brackets
    "$" + "(=[" * 34_000 + "$",
]


def _record(pid: str, problem: str, steps: list[str], answer: str) -> dict[str, Any]:
    return {"problem_id": pid, "problem": problem, "reference": {"answer": answer},
            "chains": [{"text": "\n\n".join(steps)}]}


def _simple(i: int, tag: str = "") -> dict[str, Any]:
    return _record(f"p{i}", f"{tag}Add {i} and 1.",
                   ["We add one.", f"{i} + 1 = {i + 1}.", f"The answer is $\\boxed{{{i + 1}}}$."], str(i + 1))


def _write(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "input.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _config(path: Path, out: Path, labelers: list[LabelerConfig], order: list[str]) -> BuildConfig:
    return BuildConfig(name="watchdog", input=InputConfig(kind="files", path=str(path)), labelers=labelers,
                       merge=MergeConfig(order=order), run=RunConfig(out=str(out)))


def _verdicts(row: dict[str, Any], labeler: str) -> list[dict[str, Any]]:
    return [v for s in row["steps"] for v in s["verdicts"] if v["labeler"] == labeler]


def test_row_timeout_is_refused_for_labelers_that_run_in_process():
    with pytest.raises(ValidationError, match="row_timeout does not apply"):
        LabelerConfig(name="rollout", row_timeout=5, options={"endpoint": {"base_url": "http://127.0.0.1:1/v1",
                                                                           "model": "m"}})
    assert LabelerConfig(name="outcome", row_timeout=5).row_timeout == 5


def test_sympy_workers_leave_quietly_with_their_script():
    """A script that used answers_equal (and had a worker killed, so a fresh one is still starting
    when it exits) ends without a traceback from any worker."""
    script = ("from steplabel.verifiers.math import answers_equal as eq\n"
              "print(eq('\\\\sin(x)^2+\\\\cos(x)^2', '1').result)\n"
              "print(eq('\\\\sin(10^{10^{5}})', '\\\\cos(10^{10^{5}})', timeout=0.5).result)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    time.sleep(1.0)  # a worker that outlived its parent would write now
    assert done.returncode == 0 and done.stdout.split() == ["equal", "unknown"], done
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_cpu_clock_counts_work_not_waiting():
    """With the CPU clock a call that sleeps is not cut at its deadline; one that computes is,
    after about its deadline of CPU time; one that never uses CPU is cut at the wall-clock cap."""
    pool = DeadlinePool(size=2, clock="cpu", wall_factor=100.0)  # a cap no load here reaches
    try:
        pool.warm()
        slept = pool.run("time:sleep", (0.6,), 0.3)
        assert slept.ok, slept
        spun = pool.run("math:factorial", (10**8,), 0.3)
        assert spun.timed_out and "0.30 s of CPU time used" in spun.error, spun
        pool.wall_factor = 3.0
        stuck = pool.run("time:sleep", (30,), 0.3)  # cut at its cap, long before its 30 s are up
        assert stuck.timed_out and "wall-clock time passed" in stuck.error, stuck
    finally:
        pool.close()


def test_host_keeps_order_quarantines_a_raise_and_abstains_when_the_child_dies():
    def row(problem: str, n: int = 2) -> dict[str, Any]:
        return {"problem": problem, "domain": "math", "outcome": {"correct": None}, "status": "labeled",
                "steps": [{"text": f"step {i}", "verdicts": []} for i in range(n)]}

    stage = label_stage([(MisbehavingLabeler, {}, 5.0)])
    try:
        rows = stage([row("a"), row("[die] b"), row("[raise] c"), row("d"), row("e", n=0), row("f", n=1)])
        fine = [r for r in rows if r["problem"] in ("a", "d", "f")]
        assert all(_verdicts(r, "misbehaving")[0]["rating"] == 1 for r in fine)
        died = _verdicts(rows[1], "misbehaving")
        assert len(died) == 1 and died[0]["rating"] is None and died[0]["evidence"].startswith("died:")
        assert "exit code 3" in died[0]["evidence"] and rows[1]["status"] == "labeled"
        assert rows[2]["status"] == "quarantined" and "ValueError: asked to raise" in rows[2]["status_reason"]
        assert _verdicts(rows[4], "misbehaving") == [] and rows[4]["status"] == "labeled"
        assert stage.labeler.restarts == 2  # the dying row, then its retry
    finally:
        stage.close()


def _inputs() -> list[dict[str, Any]]:
    records = [_simple(i) for i in range(6)]
    records += [_simple(100, "[block] "), _simple(101, "[spin] "), _simple(102, "[slow:0.2] "),
                _simple(103, "[slow:0.2] ")]
    records += [_record(f"h{i}", "Compute it.", ["First.", step, f"The answer is $\\boxed{{{step[:40]}}}$."], "5")
                for i, step in enumerate(HOSTILE_STEPS)]
    # gsm8k #931: needs sympy, whose first call in a fresh worker costs ~1 s of CPU
    records += [_record("john", "Find Peter's age.", ["Paul is 10 years older than John.",
                                                      "The answer is $\\boxed{10+John's age}$."], "50"),
                _record("trig", "Simplify.", ["Use the identity.", "The answer is $\\boxed{\\sin^2 x+\\cos^2 x}$."],
                        "1")]
    return records


@pytest.fixture(scope="module")
def builds(ray_session, tmp_path_factory):
    """One input built twice: alone, and beside two spinning processes (a loaded machine: every core of CI's two busy).
    Ray Data's no-progress guard is 2 s, shorter than the blocked row's 3 s: the build must raise it."""
    from ray.data import DataContext

    tmp = tmp_path_factory.mktemp("watchdog")
    records = _inputs()
    path = _write(tmp, records)
    order = ["outcome", "math_steps", "misbehaving"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(REGISTRY, "misbehaving", "tests.support.labelers:MisbehavingLabeler")
        mp.setattr(DataContext.get_current(), "execution_no_progress_timeout_s", 2.0)
        labelers = [LabelerConfig(name="misbehaving", row_timeout=0.3), LabelerConfig(name="outcome"),
                    LabelerConfig(name="math_steps")]
        start = time.monotonic()
        quiet = run_build(_config(path, tmp / "quiet", labelers, order))
        quiet_s = time.monotonic() - start
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        try:
            start = time.monotonic()
            loaded = run_build(_config(path, tmp / "loaded", labelers, order))
            loaded_s = time.monotonic() - start
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
    print(json.dumps({"quiet_build_seconds": round(quiet_s, 1), "loaded_build_seconds": round(loaded_s, 1)}))
    return records, quiet, loaded


def test_a_row_that_blocks_forever_abstains_and_the_build_finishes(builds):
    records, result, _ = builds
    rows = {r["problem_id"]: r for r in read_chains(result.out).to_pylist()}
    assert result.manifest["status"] == "done" and read_chains(result.out, True).num_rows == 0
    assert set(rows) == {r["problem_id"] for r in records}  # every row present, none quarantined
    (blocked,) = _verdicts(rows["p100"], "misbehaving")  # sleeps: cut by the wall-clock cap
    assert blocked["rating"] is None and blocked["cost"]["ms"] >= 3000, blocked
    assert blocked["evidence"].startswith("deadline: no result within 3 s of wall-clock time"), blocked
    (spun,) = _verdicts(rows["p101"], "misbehaving")  # computes: cut after its budget of CPU time
    assert spun["rating"] is None and spun["evidence"].startswith("deadline: 0.3 s of CPU time used"), spun
    for pid, row in rows.items():
        assert row["status"] == "labeled", (pid, row["status_reason"])
        assert _verdicts(row, "outcome"), pid  # the real labelers labeled every row, hostile ones too
        if pid not in ("p100", "p101"):
            assert [v["rating"] for v in _verdicts(row, "misbehaving")] == [1], pid
    assert rows["john"]["outcome"]["correct"] is False and rows["trig"]["outcome"]["correct"] is True
    print(json.dumps({"abstains": [blocked, spun]}))


def _comparable(out: Path) -> list[tuple]:
    """Everything a build decided, without costs and build provenance."""
    rows = []
    for r in sorted(read_chains(out).to_pylist(), key=lambda r: r["chain_id"]):
        steps = [(s["text"], s["rating"], s["score"], s["decided_by"],
                  [(v["labeler"], v["rating"], v["score"], v["evidence"]) for v in s["verdicts"]])
                 for s in r["steps"]]
        rows.append((r["chain_id"], r["status"], r["status_reason"], r["final_answer"],
                     json.dumps(r["outcome"], sort_keys=True), r["first_error"], steps))
    return rows


def test_a_loaded_machine_gives_the_same_rows_as_a_quiet_one(builds):
    """gsm8k #931 was -1 on a quiet machine and an abstain on a loaded one (the outcome labeler's
    2 s wall-clock sympy deadline); every row here, the stuck ones included, must come out the
    same beside a CPU hog (rows compared without costs and build provenance)."""
    records, quiet, loaded = builds
    a, b = _comparable(quiet.out), _comparable(loaded.out)
    assert len(a) == len(records)
    assert a == b, [(x, y) for x, y in zip(a, b) if x != y][:2]
