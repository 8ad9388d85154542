"""CPU limits that no way of splitting the work across processes escapes.

Each evasive program computes the right answer, but in helper processes that do the heavy work
(several times the CPU limit) and hand the answer back over a pipe: a forked child never waited
for, one forked from a thread, a `setsid` grandchild, threads in a child, many short-lived
children each under the limit, a grandchild reaped by its own parent, a fork bomb up to the
sandbox's process limit, children left to reap themselves (SIGCHLD ignored). The CPU a
test is charged counts every process and thread of the program's PID namespace, live or gone,
so each is a `timeout` (a CPU timeout, not the wall-clock backstop: the backstop here is far
away), in HumanEval, MBPP and stdin/stdout styles; a correct program run right after each
passes, and so do correct programs that use a child process briefly. See
verifiers/code/inside/usage.py for how the namespace is read.
"""
from __future__ import annotations

import pytest

from steplabel.verifiers.code import Sandbox, run_tests
from tests.support.sandbox import leftovers, sandbox_fixture

pytestmark = pytest.mark.integration

LIMIT = 0.5  # CPU seconds per test or case
WORK = 2.0  # CPU seconds each evasive program offloads: 4x the limit
CPU_TIMEOUT = f"CPU time limit of {LIMIT:g} s exceeded"

BURN = ("import os, signal, sys, threading, time\n"
        "def burn(seconds):\n    end = time.process_time() + seconds\n"
        "    while time.process_time() < end:\n        pass\n"
        "def answer_from(child_work):\n"
        "    r, w = os.pipe()\n    if os.fork() == 0:\n        os.close(r)\n"
        "        try:\n            os.write(w, str(child_work()).encode() + b'\\n')\n"
        "        finally:\n            os._exit(0)\n"
        "    os.close(w)\n    data = b''\n    while not data.endswith(b'\\n'):\n"
        "        chunk = os.read(r, 64)\n        if not chunk:\n            break\n        data += chunk\n"
        "    os.close(r)\n    return int(data)\n")
# Each defines add(a, b) from helpers that burn WORK CPU seconds between them; none is waited for
# by the program process, whose own time stays near zero.
HELPERS = {
    "forked_child_never_waited": "def add(a, b):\n    return answer_from(lambda: (burn(WORK), a + b)[1])\n",
    "forked_from_a_thread": (  # (the kernel lists such a child under the thread, not the process)
        "def add(a, b):\n    box = []\n"
        "    t = threading.Thread(target=lambda: box.append(answer_from(lambda: (burn(WORK), a + b)[1])))\n"
        "    t.start()\n    t.join()\n    return box[0]\n"),
    "setsid_grandchild": (
        "def grandchild(a, b):\n    os.setsid()\n    r, w = os.pipe()\n    if os.fork() == 0:\n"
        "        burn(WORK)\n        os.write(w, str(a + b).encode() + b'\\n')\n        time.sleep(60)\n"
        "    return int(os.read(r, 64))\n"
        "def add(a, b):\n    return answer_from(lambda: grandchild(a, b))\n"),
    "threads_in_a_child": (
        "def threaded(a, b):\n    ts = [threading.Thread(target=burn, args=(WORK,)) for _ in range(2)]\n"
        "    for t in ts:\n        t.start()\n    for t in ts:\n        t.join()\n    return a + b\n"
        "def add(a, b):\n    return answer_from(lambda: threaded(a, b))\n"),
    "many_short_children": (
        "def add(a, b):\n    parts = [answer_from(lambda: (burn(WORK / 8), 1)[1]) for _ in range(8)]\n"
        "    return a + b + sum(parts) - 8\n"),
    "grandchild_reaped_by_its_parent": (
        "def add(a, b):\n    r, w = os.pipe()\n    if os.fork() == 0:  # reaps its own child, then lingers\n"
        "        pid = os.fork()\n        if pid == 0:\n            burn(WORK)\n            os._exit(0)\n"
        "        os.waitpid(pid, 0)\n        os.write(w, str(a + b).encode() + b'\\n')\n        time.sleep(60)\n"
        "    return int(os.read(r, 64))\n"),
    "sigchld_ignored_if_allowed": (
        "try:\n    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\nexcept OSError:\n    pass\n"
        "def add(a, b):\n    return answer_from(lambda: (burn(WORK), a + b)[1])\n"),
    "fork_bomb": (
        "def bomb(a, b):\n    for _ in range(200):\n        try:\n            if os.fork() == 0:\n"
        "                burn(WORK / 20)\n                time.sleep(60)\n        except OSError:\n"
        "            break\n    burn(WORK / 20)\n    return a + b\n"
        "def add(a, b):\n    return answer_from(lambda: bomb(a, b))\n"),
}
RIGHT = "def add(a, b):\n    return a + b\n"
# Correct programs that use child processes briefly and legitimately
BRIEF = {
    "forked_and_waited": BURN + (
        "def add(a, b):\n    r, w = os.pipe()\n    pid = os.fork()\n    if pid == 0:\n"
        "        burn(0.02)\n        os.write(w, str(a + b).encode())\n        os._exit(0)\n"
        "    value = int(os.read(r, 64))\n    os.waitpid(pid, 0)\n    return value\n"),
    "cheap_child_left_as_zombie": BURN + "def add(a, b):\n    return answer_from(lambda: a + b)\n",
    "subprocess_and_a_shell_job": (
        "import subprocess\ndef add(a, b):\n"
        "    out = subprocess.run(['bash', '-c', f'sleep 0.01 & wait; echo $(({a} + {b}))'],\n"
        "                         capture_output=True, text=True, check=True).stdout\n    return int(out)\n"),
}
HUMANEVAL = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(5, 7) == 12\n"
MBPP = "assert add(1, 2) == 3\nassert add(5, 7) == 12\n"
STYLES = {"humaneval": HUMANEVAL, "mbpp": MBPP}
IO_CASES = [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12\n"}]
IO_READ = "a, b = map(int, input().split())\nprint(add(a, b))\n"


def with_work(program: str) -> str:
    return BURN + f"WORK = {WORK}\n" + program


# the wall-clock backstop far away (60x): a timeout below is the CPU limit's, under any load
sb = sandbox_fixture(timeout=LIMIT, wall_factor=60.0, memory_mb=512, tmp_mb=16)


def outcomes(sb: Sandbox, style: str, programs: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Each program's results (status, message), and a correct program's right after it."""
    found = {}
    for name, program in programs.items():
        if style == "io":
            results = sb.run_io(program + IO_READ, IO_CASES)
            after = sb.run_io(RIGHT + IO_READ, IO_CASES)
        else:
            results = run_tests(sb, program, STYLES[style], entry_point="add").results
            after = run_tests(sb, RIGHT, STYLES[style], entry_point="add").results
        found[name] = [(r.status, r.message) for r in results]
        found[f"{name}, then the correct program"] = [(r.status, r.message) for r in after]
    return found


def expected(style: str, programs: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Every test (or the first case, the rest skipped) a CPU timeout; every correct run passed."""
    timeout = ("timeout", CPU_TIMEOUT)
    if style == "io":
        bad = [timeout, ("skipped", "not run: case 1 did not pass")]
    else:
        bad = [timeout] * (1 if style == "humaneval" else 2)
    out = {}
    for name in programs:
        out[name] = bad
        out[f"{name}, then the correct program"] = [("passed", "")] * (1 if style == "humaneval" else 2)
    return out


@pytest.mark.parametrize("style", ["humaneval", "mbpp", "io"])
def test_offloaded_cpu_is_a_timeout(sb, style):
    programs = {name: with_work(p) for name, p in HELPERS.items() if name != "sigchld_ignored_if_allowed"}
    assert outcomes(sb, style, programs) == expected(style, programs)
    assert sb.restarts == 0
    assert not leftovers(sb)


@pytest.mark.parametrize("style", ["humaneval", "io"])
def test_children_cannot_be_made_to_reap_themselves(sb, style):
    """A process that ignores SIGCHLD has the kernel reap its children, uncounted: a program
    process cannot set that up (the attempt fails), and the work is counted all the same."""
    programs = {"sigchld_ignored_if_allowed": with_work(HELPERS["sigchld_ignored_if_allowed"])}
    assert outcomes(sb, style, programs) == expected(style, programs)
    probe = ("import signal\ntry:\n    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\nexcept PermissionError:\n"
             "    REFUSED = True\nelse:\n    REFUSED = False\n"
             "assert signal.getsignal(signal.SIGCHLD) != signal.SIG_IGN\n")
    (r,) = sb.run(probe, [{"name": "refused", "code": "assert REFUSED"}])
    assert r.passed, (r.message, r.tb)


@pytest.mark.parametrize("style", ["humaneval", "mbpp", "io"])
def test_brief_children_still_pass(sb, style):
    for name, program in BRIEF.items():
        if style == "io":
            results = sb.run_io(program + IO_READ, IO_CASES)
        else:
            results = run_tests(sb, program, STYLES[style], entry_point="add").results
        assert [r.status for r in results] == ["passed"] * len(results), (name, [r.message for r in results])


# The helper burns after the call has returned, while the test itself waits without calling the
# program (so no poll looks at the program during the test): only the closing account sees it.
LATE_HELPER = with_work(
    "import ctypes\ndef start(a, b):\n    if os.fork() == 0:\n        burn(WORK)\n"
    "        ctypes.CDLL(None).prctl(15, b'burnt-out', 0, 0, 0)  # PR_SET_NAME: what the test waits for\n"
    "        time.sleep(60)\n    return a + b\n")
WAIT_FOR_HELPER = ("import os, time\nassert start(1, 2) == 3\n"
                   "def burnt_out():\n    for p in os.listdir('/proc'):\n        try:\n"
                   "            if open(f'/proc/{p}/comm').read().strip() == 'burnt-out':\n"
                   "                return True\n        except OSError:\n            pass\n    return False\n"
                   "while not burnt_out():\n    time.sleep(0.05)\n")


def test_closing_account_counts_helpers(sb):
    """A test that never waits on the program while its helper burns: the account at its end
    reads the whole namespace."""
    (r,) = sb.run(LATE_HELPER, [{"name": "late", "code": WAIT_FOR_HELPER}])
    assert (r.status, r.message) == ("timeout", CPU_TIMEOUT)
    (r,) = sb.run(RIGHT, [{"name": "right", "code": "assert add(1, 2) == 3"}])
    assert r.passed


def test_program_process_ending_during_a_test_is_not_a_pass(sb):
    """Its namespace went down with it: whatever helpers did is out of reach, so the test that
    saw it end does not pass (the next one gets a fresh program process)."""
    program = ("import os, threading, time\ndef add(a, b):\n    if a == 1:  # the first test only\n"
               "        threading.Thread(target=lambda: (time.sleep(0.05), os._exit(0))).start()\n    return a + b\n")
    test = "import time\nassert add(1, 2) == 3\ntime.sleep(0.5)\n"
    first, second = sb.run(program, [{"name": "ends", "code": test}, {"name": "fresh", "code": "assert add(2, 2) == 4"}])
    assert (first.status, first.message) == ("error", "the program's process ended during the test")
    assert second.passed, second.message
