"""The unit-test runner in the real sandbox: statuses, test styles, threads, Ray, refusal, leaks."""
from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from steplabel.verifiers.code import (Limits, Sandbox, SandboxPool, SandboxUnavailable,
                                      isolation, run_humaneval, run_mbpp, run_pytest_file, run_tests)
from steplabel.verifiers.code.isolation import server_code
from tests.support.sandbox import failing_bwrap, leftovers, sandbox_fixture, waiting_programs

pytestmark = pytest.mark.integration

ADD = "def add(a, b):\n    return a + b\n"
CHECK = "def check(candidate):\n    assert candidate(1, 2) == 3\n"


sb = sandbox_fixture(timeout=2.0, wall_factor=3.0)


SPIN = "def spin(n):\n    while True:\n        n += 1\n"
NAP = "def nap(s):\n    import time\n    time.sleep(s)\n    return s\n"


def test_statuses_and_tracebacks(sb):
    ok, bad, boom, spins, naps, sleeps, after = sb.run(ADD + SPIN + NAP, [
        {"name": "ok", "code": "assert add(1, 2) == 3"},
        {"name": "bad", "code": "assert add(1, 2) == 4, 'nope'"},
        {"name": "boom", "code": "add(None, 1)"},
        {"name": "spins", "code": "spin(0)"},  # the program's CPU time
        {"name": "naps", "code": "assert nap(0.3) == 0.3"},  # no CPU: waiting is not a timeout
        {"name": "sleeps", "code": "import time\ntime.sleep(60)"},  # the wall-clock backstop (3 x 1 s)
        {"name": "after", "code": "assert add(2, 2) == 4"},
    ], timeout=1.0)
    assert [r.status for r in (ok, bad, boom, spins, naps, sleeps)] == [
        "passed", "failed", "error", "timeout", "passed", "timeout"]
    assert bad.message == "AssertionError: nope" and bad.frames[-1][0] == "<test>"
    assert boom.frames[-1] == ("<solution>", 2, "add") and "TypeError" in boom.tb
    # (on a machine loaded past 3 runnable processes per core the wall-clock backstop comes first)
    assert spins.message in ("CPU time limit of 1 s exceeded", "wall-clock backstop of 3 s exceeded")
    assert "wall-clock backstop of 3 s" in sleeps.message
    assert after.passed  # a fresh program process for the tests after a timeout


def test_exiting_early_is_not_a_pass(sb):
    (r,) = sb.run("import sys\nsys.exit(0)\n", [{"name": "t", "code": "assert False"}])
    assert r.status == "error" and "SystemExit" in r.message
    (r,) = sb.run(ADD + "def quit_now():\n    import os\n    os._exit(0)\n",
                  [{"name": "t", "code": "try:\n    quit_now()\nexcept BaseException:\n    pass\n"}])
    assert r.status == "error" and "program's process ended" in r.message  # caught by the test: still no pass


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


def test_a_bwrap_that_fails_with_the_sandboxs_code_unread_still_says_why(tmp_path, monkeypatch):
    """The host sends the sandbox's code before it reads anything; a bwrap that fails after the
    host is done sending, with part of it unread, resets the connection (ECONNRESET, not an end
    of file): the host still reports bwrap's own message."""
    failing_bwrap(tmp_path, monkeypatch, "setting up uid map: Permission denied", reads=len(server_code()) - 20_000,
                  after=0.5)
    with pytest.raises(SandboxUnavailable, match="uid map"):
        Sandbox().start()


def test_no_process_left_behind_after_many_runs(sb):
    """A short version of tests/benchmarks/bench_code_leak.py (10,000 runs): programs and tests
    that start processes, daemons among them, leave nothing once their run is over."""
    root = sb.server_pid
    spawner = ("import os, subprocess\nsubprocess.Popen(['sleep', '30'])\n"
               "if os.fork() == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '30'])\n")
    for i in range(30):
        program = ADD + (spawner if i % 3 == 0 else "")
        test = spawner + "assert add(1, 1) == 2" if i % 5 == 0 else "assert add(1, 1) == 2"
        assert sb.run(program, [{"name": "t", "code": test}])[0].passed
    assert sb.server_pid == root
    assert not leftovers(sb)


def test_runs_that_need_no_program_process_or_several_leave_one_waiting(sb):
    """The zygote hands the next run's program process over at the end of a run only when the
    test process holds none: runs that start none (the program does not compile) or several (a
    test ends the program's process) neither pile them up nor leave the next run without one."""
    ender = ADD + "def end():\n    import os\n    os._exit(3)\n"
    tests = [{"name": "a", "code": "end()"}, {"name": "b", "code": "assert add(1, 1) == 2"},
             {"name": "c", "code": "end()"}, {"name": "d", "code": "assert add(2, 2) == 4"}]
    for _ in range(12):
        assert sb.run("def add(a, b) return a + b\n", [{"name": "t", "code": "assert add(1, 1) == 2"}])[0].status == "error"
    assert not leftovers(sb)
    for _ in range(6):
        assert [r.status for r in sb.run(ender, tests)] == ["error", "passed", "error", "passed"]
    assert not leftovers(sb)
    assert sb.run(ADD, [{"name": "t", "code": "assert add(1, 1) == 2"}])[0].passed


def test_a_test_process_that_ends_or_hangs_is_replaced_and_the_next_run_passes():
    """The host reads a run's report straight from the test process. When that process ends
    before it reports (a test exits it), or hangs past the run's wall-clock backstop with its
    own timers blocked, the server has it replaced: the run's results say so (`infra` for the
    first: it may pass another time; `timeout` for the second), and the next run passes in the
    same sandbox, with nothing of either run left."""
    box = Sandbox(limits=Limits(timeout=0.5, wall_factor=2.0)).start()
    try:
        root = box.server_pid
        ended = box.run(ADD, [{"name": "ok", "code": "assert add(1, 1) == 2"},
                              {"name": "exits", "code": "import os\nos._exit(3)"},
                              {"name": "after", "code": "assert add(1, 1) == 2"}])
        assert [r.status for r in ended] == ["error", "error", "error"] and all(r.infra for r in ended)
        assert "ended without a report (exit code 3)" in ended[1].message
        assert box.run(ADD, [{"name": "t", "code": "assert add(2, 2) == 4"}])[0].passed
        hang = "import signal, time\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGPROF})\ntime.sleep(120)"
        hung = box.run(ADD, [{"name": "hangs", "code": hang}])
        assert [r.status for r in hung] == ["timeout"] and not hung[0].infra
        assert "wall-clock backstop" in hung[0].message
        assert box.run(ADD, [{"name": "t", "code": "assert add(2, 2) == 4"}])[0].passed
        assert box.server_pid == root and box.restarts == 0
        assert not leftovers(box)
    finally:
        box.close()


def test_a_runs_processes_run_on_the_callers_cpu_and_follow_it(sb):
    """A run's test process and program process run on the CPU the calling thread is on (it
    waits for them: the job, each call and the report then wake no idle CPU), and the next run
    follows the caller to another CPU."""
    program = ADD + "import os\ndef cpus():\n    return sorted(os.sched_getaffinity(0))\n"
    test = ("import os\nmine = sorted(os.sched_getaffinity(0))\n"
            "assert cpus() == mine and len(mine) == 1, (cpus(), mine)\nassert mine == [int(CALLER)], mine")
    mine = os.sched_getaffinity(0)
    try:
        for cpu in sorted(mine)[:2]:
            os.sched_setaffinity(0, {cpu})
            result = sb.run(program, [{"name": "t", "code": f"CALLER = {cpu}\n" + test}])[0]
            assert result.passed, result.message
    finally:
        os.sched_setaffinity(0, mine)


def test_the_zygotes_rehearsal_answers_every_request_and_leaves_nothing_a_program_can_find(sb):
    """The zygote serves a made-up program itself before it forks (its serving code then arrives
    warm in every program process): every made-up request got its answer, and a program that
    searches its whole heap finds none of the made-up program's functions, classes or values."""
    rehearsed = sb.hello["rehearsed"]
    assert rehearsed["answered"] == rehearsed["requests"] > 100, rehearsed
    made_up = "{'add', 'twice', 'words', 'stats', 'table', 'fail', 'nothing', 'Box', 'count'}"
    program = ("import gc, types\n"
               "def leftovers():\n"
               "    gc.unfreeze()  # (the zygote's objects: frozen, so get_objects would skip them)\n"
               f"    names = {made_up}\n"
               "    return sorted(o.__qualname__ for o in gc.get_objects() if o is not leftovers and (\n"
               "        isinstance(o, types.GeneratorType) or isinstance(o, (types.FunctionType, type))\n"
               "        and getattr(o, '__module__', None) == '__main__') and o.__qualname__.split('.')[0] in names)\n")
    (result,) = sb.run(program, [{"name": "t", "code": "assert leftovers() == [], leftovers()"}])
    assert result.passed, result.message


def test_program_processes_that_end_while_they_wait_are_never_used():
    """The zygote forks program processes in batches, each waiting for a run of its own, and
    hands one to the test process ahead of every run. Every waiting one killed from outside (and
    reaped), handed over or not: no run gets one, and every run passes."""
    box = Sandbox(limits=Limits(timeout=2.0)).start()
    try:
        assert box.run(ADD, [{"name": "t", "code": "assert add(1, 1) == 2"}])[0].passed
        assert not leftovers(box)
        waiting = waiting_programs(box)
        assert 1 <= len(waiting) <= isolation.PROGRAMS_AHEAD
        for pid in waiting:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30.0
        while any(os.path.exists(f"/proc/{pid}") for pid in waiting) and time.monotonic() < deadline:
            time.sleep(0.02)  # (until the zygote has reaped them: it knows then)
        for _ in range(2 * isolation.PROGRAMS_AHEAD):
            result = box.run(ADD, [{"name": "t", "code": "assert add(1, 1) == 2"}])[0]
            assert result.passed, result.message
        assert not leftovers(box) and box.restarts == 0
    finally:
        box.close()


def test_stdin_stdout_cases(sb):
    double = "n = int(input())\nprint(n * 2)\n"
    cases = [{"input": "2\n", "output": "4"}, {"input": "  21 ", "output": "42\n\n"}]
    assert [r.status for r in sb.run_io(double, cases)] == ["passed", "passed"]
    wrong = sb.run_io("print(int(input()) + 2)\n", cases + [{"input": "5", "output": "10"}])
    assert [r.status for r in wrong] == ["passed", "failed", "skipped"]
    assert wrong[1].message == "wrong answer: token 1: expected '42', got '23'"
    crash = sb.run_io("raise ValueError('nope')\n", cases[:1])[0]
    assert crash.status == "error" and "ValueError: nope" in crash.message and crash.frames[-1][0] == "<solution>"
    spins = sb.run_io("while True:\n    pass\n", cases[:1], timeout=0.5)[0]
    assert spins.status == "timeout" and ("CPU time limit of 0.5 s" in spins.message or "backstop" in spins.message)
    floats = "print(1 / 3)\n"
    assert sb.run_io(floats, [{"input": "", "output": "0.3333333"}])[0].status == "failed"
    assert sb.run_io(floats, [{"input": "", "output": "0.3333333"}], float_tolerance=1e-6)[0].passed
    # a script that finishes its work in a thread (deep recursion), and one that reads all of stdin
    threaded = ("import sys, threading\nthreading.stack_size(1 << 26)\nsys.setrecursionlimit(10 ** 6)\n"
                "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
                "threading.Thread(target=lambda: print(depth(int(input())))).start()\n")
    assert sb.run_io(threaded, [{"input": "20000", "output": "20000"}])[0].passed
    big = "".join(f"{i}\n" for i in range(200_000))
    total = "import sys\nprint(sum(map(int, sys.stdin.read().split())))\n"
    assert sb.run_io(total, [{"input": big, "output": str(sum(range(200_000)))}])[0].passed


def test_function_call_cases(sb):
    tests = json.dumps({"format": "calls", "fn_name": "pair", "cases": [
        {"input": [1, 2], "output": [[1, 2]]},  # APPS wraps an expected value in a list
        {"input": [3, 4], "output": [3, 4]}]})
    assert run_tests(sb, "def pair(a, b):\n    return (a, b)\n", tests).passed
    leet = "class Solution:\n    def pair(self, a, b):\n        return [a, b]\n"
    assert run_tests(sb, leet, tests).passed
    report = run_tests(sb, "def pair(a, b):\n    return [b, a]\n", tests)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert "expected [[1, 2]], got [2, 1]" in report.results[0].message
    io = json.dumps({"format": "stdio", "cases": [{"input": "3", "output": "9"}]})
    assert run_tests(sb, "print(int(input()) ** 2)\n", io).passed


def test_a_runs_tmp_is_cleared_and_paths_bound_over_it_are_left_alone(monkeypatch):
    """An interpreter under /tmp (a virtualenv made there) is bound back, read-only, over every
    run's fresh /tmp; tidying between runs removes the tests' own files, nested ones too, and
    leaves the bound paths as they are."""
    bound = Path(tempfile.mkdtemp(dir="/tmp", prefix="steplabel-bound-"))
    try:
        bound.chmod(0o755)  # (readable by the sandbox's user, as an interpreter's files are)
        (bound / "sub").mkdir(mode=0o755)
        (bound / "sub" / "keep.txt").write_text("kept")
        (bound / "sub" / "keep.txt").chmod(0o644)
        python_paths = isolation.python_paths
        monkeypatch.setattr(isolation, "python_paths", lambda: python_paths() + [str(bound)])
        kept = f"assert open({str(bound / 'sub' / 'keep.txt')!r}).read() == 'kept'\n"
        leave = ("import os\nos.makedirs('left/deep', exist_ok=True)\nopen('left/deep/f', 'w').write('x')\n"
                 "open('top', 'w').write('x')\n")
        gone = "import os\nassert not os.path.exists('left') and not os.path.exists('top')\n"
        with Sandbox(limits=Limits(timeout=2.0, wall_factor=3.0)) as box:
            assert run_tests(box, "x = 1\n", leave + kept).passed
            assert run_tests(box, "x = 1\n", gone + kept).passed
        assert (bound / "sub" / "keep.txt").read_text() == "kept"
    finally:
        shutil.rmtree(bound, ignore_errors=True)
