"""The unit-test runner in the real sandbox: statuses, test styles, threads, Ray, refusal, leaks."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from steplabel.verifiers.code import (Limits, Sandbox, SandboxPool, SandboxUnavailable,
                                      run_humaneval, run_mbpp, run_pytest_file, run_tests)
from tests.support.sandbox import failing_bwrap

pytestmark = pytest.mark.integration

ADD = "def add(a, b):\n    return a + b\n"
CHECK = "def check(candidate):\n    assert candidate(1, 2) == 3\n"


@pytest.fixture(scope="module")
def sb():
    box = Sandbox(limits=Limits(timeout=2.0)).start()
    yield box
    box.close()


def test_statuses_and_tracebacks(sb):
    ok, bad, boom, slow = sb.run(ADD, [
        {"name": "ok", "code": "assert add(1, 2) == 3"},
        {"name": "bad", "code": "assert add(1, 2) == 4, 'nope'"},
        {"name": "boom", "code": "add(None, 1)"},
        {"name": "slow", "code": "import time\ntime.sleep(120)"},
    ], timeout=1.0)
    assert (ok.status, bad.status, boom.status, slow.status) == ("passed", "failed", "error", "timeout")
    assert bad.message == "AssertionError: nope" and bad.frames[-1][0] == "<test>"
    assert boom.frames[-1] == ("<solution>", 2, "add") and "TypeError" in boom.tb
    assert slow.duration < 60  # killed at its deadline, long before its sleep would end


def test_exiting_early_is_not_a_pass(sb):
    (r,) = sb.run("import sys\nsys.exit(0)\n", [{"name": "t", "code": "assert False"}])
    assert r.status == "error" and "SystemExit" in r.message


def test_three_styles(sb):
    assert run_humaneval(sb, ADD, CHECK, "add").passed
    assert not run_humaneval(sb, ADD.replace("+", "-"), CHECK, "add").passed
    report = run_mbpp(sb, ADD, ["assert add(1, 1) == 2", "assert add(2, 2) == 5"])
    assert [r.status for r in report.results] == ["passed", "failed"]
    test_file = ("import pytest\nfrom solution import add\n\n"
                 "@pytest.mark.parametrize('a,b,c', [(1, 2, 3), (0, 0, 0)])\n"
                 "def test_add(a, b, c):\n    assert add(a, b) == c\n\n"
                 "class TestAdd:\n    def test_neg(self):\n        assert add(-1, -1) == -2\n\n"
                 "def test_raises():\n    with pytest.raises(TypeError):\n        add(None, 1)\n")
    report = run_pytest_file(sb, ADD, test_file)
    assert [r.name for r in report.results] == ["test_add", "TestAdd.test_neg", "test_raises"]
    assert report.passed, report.summary()
    assert run_tests(sb, ADD, "assert add(0, 0) == 0\n").passed
    assert "bwrap" in report.isolation and "user+pid+net+ipc+uts" in report.isolation


def test_threads_share_a_pool():
    pool = SandboxPool(2, limits=Limits(timeout=2.0))
    errors: list[str] = []

    def work(k: int) -> None:
        for i in range(15):
            with pool.get() as box:
                (r,) = box.run(ADD, [{"name": "t", "code": f"assert add({k}, {i}) == {k + i}"}])
            if not r.passed:
                errors.append(r.message)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pool.close()
    assert errors == []


def test_sandbox_outlives_the_thread_that_started_it():
    box = Sandbox(limits=Limits(timeout=2.0))
    t = threading.Thread(target=box.start)
    t.start()
    t.join()
    pid = box.server_pid
    time.sleep(0.2)  # bwrap --die-with-parent would have fired by now if tied to that thread
    try:
        (r,) = box.run(ADD, [{"name": "t", "code": "assert add(1, 2) == 3"}])
        assert r.passed and box.server_pid == pid  # the same sandbox, not a silent restart
    finally:
        box.close()


def test_inside_a_ray_actor(ray_session):
    ray = ray_session

    @ray.remote(num_cpus=0)
    class Runner:
        def __init__(self) -> None:
            self.box = Sandbox(limits=Limits(timeout=1.0)).start()

        def run(self, code: str) -> str:
            return self.box.run(ADD, [{"name": "t", "code": code}], timeout=1.0)[0].status

        def close(self) -> None:
            self.box.close()

    actor = Runner.remote()
    assert ray.get(actor.run.remote("assert add(2, 2) == 4")) == "passed"
    assert ray.get(actor.run.remote("while True:\n    pass")) == "timeout"
    ray.get(actor.close.remote())
    ray.kill(actor)


def test_refuses_without_namespaces_unless_asked(tmp_path, monkeypatch):
    failing_bwrap(tmp_path, monkeypatch, "No permissions to create a new namespace")
    with pytest.raises(SandboxUnavailable, match="No permissions to create a new namespace"):
        Sandbox().start()
    weak = Sandbox(isolation="rlimits").start()
    try:
        assert weak.isolation.startswith("rlimits (NO namespaces")
        assert weak.run(ADD, [{"name": "t", "code": "assert add(1, 1) == 2"}])[0].passed
    finally:
        weak.close()


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(p))
    out, todo = set(), [pid]
    while todo:
        q = todo.pop()
        out.add(q)
        todo += children.get(q, [])
    return out


def test_no_process_left_behind_after_many_runs(sb):
    """A short version of tests/benchmarks/bench_code_leak.py (10,000 runs)."""
    # the sandbox's own process tree: the rest of the test session (Ray, math workers) comes and goes
    root = sb.server_pid
    before = descendants(root)
    spawner = ("import os, subprocess\nsubprocess.Popen(['sleep', '30'])\n"
               "if os.fork() == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '30'])\n")
    tests = [{"name": f"t{i}", "code": spawner if i % 10 == 0 else "assert add(1, 1) == 2"}
             for i in range(300)]
    results = sb.run(ADD, tests)
    assert all(r.passed for r in results)
    # same count (the fork server's idle prepared child has a new pid after every run); the
    # server cleans up and prepares the next child right after answering, so wait for a count
    # that holds over several looks
    deadline = time.monotonic() + 60.0  # returns as soon as the count holds; the room is for a loaded machine
    counts = [-1]
    while not (len(counts) >= 5 and set(counts[-5:]) == {len(before)}) and time.monotonic() < deadline:
        time.sleep(0.02)
        counts.append(len(descendants(root)))
    assert sb.server_pid == root and set(counts[-5:]) == {len(before)}, counts[-10:]
