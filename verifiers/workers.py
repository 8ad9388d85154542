"""Persistent worker processes that their parent can kill from outside: the one mechanism behind
every hard deadline (the math verifiers' sympy pool, the per-row labeler watchdog).

A worker is a fresh interpreter (`python -m MODULE FD`), never a fork of the caller (which may be
a multi-threaded Ray worker), spoken to over a socketpair with `multiprocessing.connection`. It
sends one message when it is ready. Its CPU time is read from /proc, so a deadline can count the
work done rather than the wall clock of a loaded machine.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any, Optional

CLOCK_ENV = "STEPLABEL_DEADLINE_CLOCK"  # what worker-pool deadlines count here: "wall" (default) or "cpu"
_TICK = 0.01  # /proc reports CPU time in clock ticks (10 ms)
try:
    _CLK_TCK = os.sysconf("SC_CLK_TCK")
except (AttributeError, ValueError, OSError):
    _CLK_TCK = 100


def process_cpu(pid: int) -> Optional[float]:
    """User + system CPU seconds of a live process and of its children that ended (Linux /proc);
    None where unavailable. Children still running (its own deadline pool) are not included."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / _CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def process_waiting(pid: int) -> Optional[float]:
    """Seconds the process's main thread has spent runnable but waiting for a CPU (Linux
    /proc/<pid>/schedstat, its second field); None where unavailable. Time a loaded machine took
    from it, which a deadline that counts work must not charge to it."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


class WorkerProcess:
    """One `python -m MODULE FD` child, spoken to over a socketpair.

    The child sends one message when it is ready. With `own_group` it leads a new session and
    `kill` takes its whole process group (the workers it started itself, too)."""

    def __init__(self, module: str, own_group: bool = False, env: Optional[dict[str, str]] = None) -> None:
        parent, child = socket.socketpair()
        self.own_group = own_group
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, str(child.fileno())],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})), close_fds=True,
            start_new_session=own_group,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.ready = False
        self.hello: Any = None

    def wait_ready(self, timeout: float) -> bool:
        """True once the child has said it is ready (its message is kept in `hello`)."""
        if not self.ready and self.conn.poll(max(timeout, 0)):
            self.hello = self.conn.recv()
            self.ready = True
        return self.ready

    def cpu(self) -> Optional[float]:
        return process_cpu(self.proc.pid)

    def wait_reply(self, cpu_budget: float, wall_budget: float) -> tuple[bool, str, float]:
        """Wait until a message is readable, the child has used `cpu_budget` CPU seconds since
        this call, or `wall_budget` seconds passed, not counting the time the child waited for a
        CPU (a row that is slow only because the machine is busy is not cut: the wall budget is for
        a child that is blocked). Returns (readable, why, CPU seconds used meanwhile, as last
        read); why is "" (readable), "cpu" or "wall". Where /proc is missing, the CPU budget is
        counted on the wall clock, and so is the wall budget."""
        if self.conn.poll(0):  # the usual case in a batch: the answer is already there
            return True, "", 0.0
        start, cpu0, waited0 = time.monotonic(), self.cpu(), process_waiting(self.proc.pid)

        def passed() -> float:
            waited = process_waiting(self.proc.pid)
            starved = waited - waited0 if waited is not None and waited0 is not None else 0.0
            return time.monotonic() - start - starved

        used = 0.0
        while True:
            # CPU time cannot grow faster than the wall clock: wait at least what is left of it
            wait = min(cpu_budget - used, wall_budget - passed())
            if wait > 0 and self.conn.poll(max(wait, _TICK)):
                return True, "", used
            now = self.cpu()
            used = now - cpu0 if now is not None and cpu0 is not None else time.monotonic() - start
            if used >= cpu_budget:
                return self.conn.poll(0), "cpu", used
            if passed() >= wall_budget:
                return self.conn.poll(0), "wall", used

    def kill(self) -> None:
        """SIGKILL (the whole group with `own_group`); never raises, never waits long: a child
        stuck in the kernel is left to be reaped later rather than stalling the caller."""
        try:
            if self.own_group:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        finally:
            self.conn.close()


