"""Hard, process-based deadlines for sympy work.

`signal.alarm` only works in the main thread of the main interpreter, so it fails inside Ray
actors and thread pools. Instead a persistent worker process does the sympy work; the caller
waits on a pipe with a timeout and, on expiry, kills the worker and answers "timed out".

Workers are fresh interpreters (`python -m steplabel.verifiers.math.worker`), never forks of the
caller (which may be a multi-threaded Ray worker), and multiprocessing's re-import of `__main__`
is avoided. Importing sympy costs ~1 s, so the pool keeps two workers: when one is killed the
other is already warm while its replacement starts.
"""
from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from dataclasses import dataclass
from typing import Any, Optional

@dataclass
class Outcome:
    ok: bool
    value: Any = None
    error: str = ""
    timed_out: bool = False


class _Worker:
    """One `python -m steplabel.verifiers.math.worker` child, spoken to over a socketpair."""

    def __init__(self) -> None:
        parent, child = socket.socketpair()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "steplabel.verifiers.math.worker", str(child.fileno())],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=env, close_fds=True,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.ready = False

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready and self.conn.poll(max(timeout, 0)):
            self.conn.recv()
            self.ready = True
        return self.ready

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=2)
        finally:
            self.conn.close()


class DeadlinePool:
    """A few persistent workers; `run` returns within its timeout (plus a few ms), always."""

    def __init__(self, size: int = 2, start_timeout: float = 60.0) -> None:
        self.size = size
        self.start_timeout = start_timeout
        self._idle: "queue.Queue[_Worker]" = queue.Queue()
        self._lock = threading.Lock()
        self._started = 0
        self._cold = True

    def _spawn(self) -> _Worker:
        return _Worker()

    def warm(self) -> None:
        """Start the workers now (and wait for them), so first calls do not pay start-up."""
        with self._lock:
            missing = self.size - self._started
            self._started += max(missing, 0)
        for _ in range(max(missing, 0)):
            w = self._spawn()
            if w.wait_ready(self.start_timeout):
                self._cold = False
            self._idle.put(w)

    def _acquire(self, timeout: float) -> Optional[_Worker]:
        with self._lock:
            missing = self.size - self._started
            self._started = self.size
        for _ in range(max(missing, 0)):  # first use starts them all, so a spare is always warming
            self._idle.put(self._spawn())
        try:
            return self._idle.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None

    def run(self, fn: str, args: tuple, timeout: float) -> Outcome:
        """Call `module:function`(*args) in a worker; kill it if it overruns `timeout` seconds."""
        deadline = time.monotonic() + timeout
        w = self._acquire(timeout)
        if w is None:
            return Outcome(False, error="no worker free within the deadline", timed_out=True)
        if not w.ready:
            # the very first start imports sympy (~1 s): not charged to the caller's deadline;
            # later starts overlap with work done by the other, warm worker
            cold = self._cold
            if not w.wait_ready(self.start_timeout if cold else deadline - time.monotonic()):
                if cold:
                    self._replace(w)
                    return Outcome(False, error="worker failed to start")
                self._idle.put(w)
                return Outcome(False, error="worker still starting at the deadline", timed_out=True)
            if cold:
                self._cold = False
                deadline = time.monotonic() + timeout
        try:
            w.conn.send((fn, args))
            if w.conn.poll(max(deadline - time.monotonic(), 0)):
                kind, value = w.conn.recv()
                self._idle.put(w)
                return Outcome(True, value) if kind == "ok" else Outcome(False, error=value)
        except (EOFError, OSError, BrokenPipeError) as e:
            self._replace(w)
            return Outcome(False, error=f"worker died: {type(e).__name__}")
        self._replace(w)
        return Outcome(False, error=f"no answer within {timeout:.2f} s; worker killed", timed_out=True)

    def _replace(self, w: _Worker) -> None:
        """Kill a worker and put a fresh (still starting) one in its place."""
        w.kill()
        self._idle.put(self._spawn())

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break
        with self._lock:
            self._started = 0


_POOL: Optional[DeadlinePool] = None
_POOL_PID = -1
_POOL_LOCK = threading.Lock()


def shared_pool() -> DeadlinePool:
    """The process-wide pool (one per process: Ray actors each get their own)."""
    global _POOL, _POOL_PID
    with _POOL_LOCK:
        if _POOL is None or _POOL_PID != os.getpid():
            _POOL = DeadlinePool(size=int(os.environ.get("STEPLABEL_MATH_WORKERS", "2")))
            _POOL_PID = os.getpid()
        return _POOL
