"""Hostile code is contained, the host is unaffected, and the sandbox keeps serving afterwards.

Every case runs as the program under test in one shared bubblewrap sandbox; after each case a
plain run must still pass (the build goes on) and no process may be left behind on the host.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from steplabel.verifiers.code import Limits, Sandbox
from tests.support.sandbox import leftovers, run_program, sandbox_fixture

pytestmark = pytest.mark.integration


sb = sandbox_fixture(timeout=2.0, wall_factor=3.0, memory_mb=512, nproc=32, tmp_mb=64, output_bytes=64 * 1024)


def run1(sb: Sandbox, code: str, timeout: float = 2.0):
    return run_program(sb, code, timeout)


def still_serves(sb: Sandbox) -> None:
    r = run1(sb, "assert sum(range(10)) == 45")
    assert r.status == "passed", r
    assert not leftovers(sb)


def test_fork_bomb_contained(sb):
    r = run1(sb, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
             timeout=2.0)
    assert r.status in ("timeout", "error")
    still_serves(sb)


def test_memory_bomb_contained(sb):
    # zeroing 512 MiB of pages takes seconds on a loaded machine: the limit, not the clock, must stop it
    r = run1(sb, "x = []\nwhile True:\n    x.append(bytearray(50 * 2**20))\n", timeout=20.0)
    assert r.status == "error" and "MemoryError" in r.message, r
    still_serves(sb)


def test_infinite_loop_times_out(sb):
    r = run1(sb, "while True:\n    pass\n", timeout=1.0)
    assert r.status == "timeout"
    still_serves(sb)


def test_setsid_child_is_killed(sb):
    code = ("import os, time\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.setsid()\n"
            "    if os.fork() == 0:\n"
            "        time.sleep(60)\n"
            "    os._exit(0)\n"
            "os.waitpid(pid, 0)\n")
    r = run1(sb, code)
    assert r.status == "passed"
    assert not leftovers(sb)  # the sleeper is gone with its run
    still_serves(sb)


def test_host_loopback_server_unreachable(sb):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    hits: list[object] = []
    stop = threading.Event()
    server.settimeout(0.05)

    def accept() -> None:
        while not stop.is_set():
            try:
                hits.append(server.accept())
            except socket.timeout:
                continue

    t = threading.Thread(target=accept)
    t.start()
    r = run1(sb, f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n")
    time.sleep(0.2)  # a connection that got through would be accepted by now
    stop.set()
    t.join()
    server.close()
    assert r.status == "error" and ("Connection refused" in r.message or "Network" in r.message)
    assert not hits, "the sandbox reached the host's loopback server"


def test_parent_environment_and_proc_invisible(sb, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-must-not-leak")
    box = Sandbox(limits=Limits(timeout=2.0)).start()  # started with the key in our environment
    try:
        host = os.getpid()
        code = ("import os, glob\n"
                "assert 'OPENAI_API_KEY' not in os.environ, 'key in environ'\n"
                "blobs = []\n"
                "for path in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):\n"
                "    try:\n"
                "        blobs.append(open(path, 'rb').read())\n"
                "    except OSError:\n"
                "        pass\n"
                "assert not any(b'sk-test-must-not-leak' in b for b in blobs), 'key in /proc'\n"
                "pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
                "assert pids == [os.getpid()] == [1], pids  # the program sees itself only\n"
                f"assert not os.path.exists('/proc/{host}') or {host} == 1\n")
        r = run1(box, code)
        assert r.status == "passed", r.tb
    finally:
        box.close()


def test_writes_outside_private_tmp_fail_and_tmp_is_private(sb, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    code = (f"import os\n"
            f"errors = 0\n"
            f"for path in ['/usr/evil', '/etc/evil', '/evil', {str(victim)!r}, '/dev/shm/x', "
            f"{str(tmp_path / 'new.txt')!r}]:\n"
            f"    try:\n"
            f"        open(path, 'w').write('x')\n"
            f"    except OSError:\n"
            f"        errors += 1\n"
            f"for path in [{str(victim)!r}, '/usr/bin/env']:\n"
            f"    try:\n"
            f"        os.remove(path)\n"
            f"    except OSError:\n"
            f"        errors += 1\n"
            f"assert errors == 8, errors\n"
            f"open('scratch.txt', 'w').write('ok')\n"
            f"open('/tmp/steplabel-adversarial-{os.getpid()}.txt', 'w').write('ok')\n")
    r = run1(sb, code)
    assert r.status == "passed", r.tb
    assert victim.read_text() == "keep me" and not (tmp_path / "new.txt").exists()
    assert not Path(f"/tmp/steplabel-adversarial-{os.getpid()}.txt").exists()
    r = run1(sb, "import os\nassert not os.path.exists('scratch.txt')\n")
    assert r.status == "passed"  # each run gets a fresh working directory
    (r,) = sb.run("", [{"name": "t", "code": "import os\nassert os.listdir('/tmp') == os.listdir('.')\n"
                                            "assert not os.path.exists('scratch.txt')\n"}])
    assert r.status == "passed"  # nor do the tests see what the program wrote


def test_gigabyte_on_stdout_is_capped(sb):
    code = "import sys\nchunk = 'x' * 2**20\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n"
    r = run1(sb, code, timeout=5.0)
    assert r.status == "error" and r.truncated and "BrokenPipe" in r.message
    assert len(r.output) <= sb.limits.output_bytes
    still_serves(sb)


def test_killing_the_parent_does_not_work(sb):
    code = ("import os, signal\n"
            "for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):\n"
            "    os.kill(os.getppid(), sig)\n"
            "    os.kill(1, sig)\n")
    pid = sb.server_pid
    r = run1(sb, code)
    assert r.status == "passed"
    assert sb.server_pid == pid and sb.restarts == 0
    still_serves(sb)


def test_ignoring_sigterm_still_killed(sb):
    code = ("import signal, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "time.sleep(30)\n")
    r = run1(sb, code, timeout=1.0)
    assert r.status == "timeout"
    still_serves(sb)


@pytest.mark.parametrize("code", [
    "import os\nassert os.system('echo hi > /tmp/../usr/pwned') != 0 or not os.path.exists('/usr/pwned')\n"
    "assert not os.path.exists('/usr/pwned')\n",
    "import subprocess\nout = subprocess.run(['id', '-u'], capture_output=True, text=True).stdout\n"
    "assert out.strip() == '65534', out\n",
    "import ctypes\nlibc = ctypes.CDLL(None)\nassert libc.setuid(0) != 0\nassert libc.getuid() == 65534\n",
])
def test_escape_primitives_stay_inside(sb, code):
    r = run1(sb, code, timeout=3.0)
    assert r.status == "passed", r.tb
    assert not Path("/usr/pwned").exists()
    still_serves(sb)


def test_posix_system_reaches_only_the_sandbox(sb, tmp_path):
    marker = tmp_path / "escaped"
    r = run1(sb, f"import posix\nposix.system('touch {marker}')\n")
    assert r.status == "passed"
    assert not marker.exists()


def test_no_process_left_after_adversarial_cases(sb):
    assert not leftovers(sb)
