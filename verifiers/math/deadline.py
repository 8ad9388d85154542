"""Hard, process-based deadlines for sympy work.

`signal.alarm` only works in the main thread of the main interpreter, so it fails inside Ray
actors and thread pools. Instead a persistent worker process does the sympy work; the caller
waits on a pipe and, when the work overruns, kills the worker and answers "timed out".

Two clocks. By default a deadline is wall-clock time: a library caller (an RL reward function)
gets its answer within the deadline plus a few ms. In a build the pool counts the worker's CPU
time instead (`STEPLABEL_DEADLINE_CLOCK=cpu`, set by the labeler watchdog for its children), so
the same input gets the same label on a loaded machine (a wall-clock deadline turned a decided
pair into "unknown" when other processes took the cores); a wall-clock cap of `WALL_FACTOR`
times the deadline still bounds every call, and the watchdog bounds the row.

Workers are `steplabel.verifiers.workers.WorkerProcess`es running
`python -m steplabel.verifiers.math.worker`. Importing sympy costs ~1 s, so the pool keeps two
workers: when one is killed the other is already warm while its replacement starts. Waiting for a worker to start is not work
and is not charged to a call's CPU deadline (only to its wall cap).
"""
from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

from ..workers import CLOCK_ENV, WorkerProcess

WALL_FACTOR = 10.0  # with the CPU clock: wall-clock cap = WALL_FACTOR x deadline


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    error: str = ""
    timed_out: bool = False


class DeadlinePool:
    """A few persistent workers; `run` returns once the work used its deadline (plus a few ms)
    of wall time, or with `clock="cpu"` of the worker's CPU time (and within `wall_factor`
    times the deadline of wall time, always)."""

    def __init__(self, size: int = 2, start_timeout: float = 60.0, clock: str = "wall",
                 wall_factor: float = WALL_FACTOR) -> None:
        if clock not in ("wall", "cpu"):
            raise ValueError(f"clock must be 'wall' or 'cpu', not {clock!r}")
        self.size = size
        self.start_timeout = start_timeout
        self.clock = clock
        self.wall_factor = wall_factor if clock == "cpu" else 1.0
        self._idle: "queue.Queue[WorkerProcess]" = queue.Queue()
        self._lock = threading.Lock()
        self._started = 0
        self._cold = True

    def _spawn(self) -> WorkerProcess:
        return WorkerProcess("steplabel.verifiers.math.worker")

    def warm(self) -> None:
        """Start the workers now (and wait for them), so first calls do not pay start-up."""
        with self._lock:
            missing = self.size - self._started
            self._started += max(missing, 0)
        spawned = [self._spawn() for _ in range(max(missing, 0))]
        for w in spawned:
            if w.wait_ready(self.start_timeout):
                self._cold = False
            self._idle.put(w)

    def _acquire(self, timeout: float) -> Optional[WorkerProcess]:
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
        """Call `module:function`(*args) in a worker; kill it once the call has used `timeout`
        seconds of the pool's clock (with the CPU clock: or `wall_factor` x `timeout` of wall)."""
        wall_end = time.monotonic() + self.wall_factor * timeout
        w = self._acquire(wall_end - time.monotonic())
        if w is None:
            return Outcome(False, error=f"no worker free within {self.wall_factor * timeout:.2f} s (wall)",
                           timed_out=True)
        if not w.ready:
            # the very first start imports sympy (~1 s) and is not charged at all; later starts
            # overlap with work done by the other, warm worker and count against the wall cap only
            cold = self._cold
            if not w.wait_ready(self.start_timeout if cold else wall_end - time.monotonic()):
                if cold:
                    self._replace(w)
                    return Outcome(False, error="worker failed to start")
                self._idle.put(w)
                return Outcome(False, error="worker still starting at the wall-clock cap", timed_out=True)
            if cold:
                self._cold = False
                wall_end = time.monotonic() + self.wall_factor * timeout
        try:
            w.conn.send((fn, args))
            if self.clock == "cpu":
                readable, why, _ = w.wait_reply(timeout, wall_end - time.monotonic())
            else:
                readable, why = w.conn.poll(max(wall_end - time.monotonic(), 0)), "wall"
            if readable:
                kind, value = w.conn.recv()
                self._idle.put(w)
                return Outcome(True, value) if kind == "ok" else Outcome(False, error=value)
        except (EOFError, OSError) as e:
            self._replace(w)
            return Outcome(False, error=f"worker died: {type(e).__name__}")
        self._replace(w)
        spent = {"cpu": f"{timeout:.2f} s of CPU time used",
                 "wall": f"{self.wall_factor * timeout:.2f} s of wall-clock time passed"}[why]
        return Outcome(False, error=f"no answer: {spent}; worker killed", timed_out=True)

    def _replace(self, w: WorkerProcess) -> None:
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
            _POOL = DeadlinePool(size=int(os.environ.get("STEPLABEL_MATH_WORKERS", "2")),
                                 clock=os.environ.get(CLOCK_ENV, "wall"))
            _POOL_PID = os.getpid()
        return _POOL


@atexit.register
def _close_shared_pool() -> None:
    """Workers end with their parent, quietly (a worker still starting would otherwise write a
    BrokenPipeError traceback when the parent is gone)."""
    if _POOL is not None and _POOL_PID == os.getpid():
        _POOL.close()

