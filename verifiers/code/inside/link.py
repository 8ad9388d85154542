"""The test process's view of the program processes: the zygote's channel (`Link`), each
program process's pipes, CPU time and exit (`Program`), one test's limits (`Budget`), and the
`Incident` that decides a test whatever the test does next. Stdlib only (runs in the sandbox).

Limits are CPU seconds per test (every process and thread of the program's PID namespace, and
the test process, together), read from /proc (`usage.py`) and from the zygote's wait4 figures,
so a loaded machine gives the same verdicts as a quiet one, and no way of splitting the work
across processes escapes them; wall-clock time is only a generous backstop.
"""
from __future__ import annotations

import os
import signal
import socket
import time
from typing import Any, Optional

from steplabel_inside import frames, usage, wire

POLL = 0.05
REPLY_CAP = wire.MAX_BYTES + 1024


class Incident(BaseException):
    """Something that decides a test whatever the test does next (BaseException, so that a
    test's `except Exception` does not swallow it; the tester has recorded it anyway)."""

    def __init__(self, status: str, message: str, infra: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.infra = status, message, infra


class Program:
    """A program process as the tester sees it: its pipes, its CPU time, its exit."""

    def __init__(self, tester: Any, pid: int, fds: list[int]) -> None:
        self.tester, self.pid = tester, pid
        self.ctl, self.reply, self.stdin, self.out, self.err = fds
        for fd in (self.reply, self.out, self.err):
            os.set_blocking(fd, False)
        self.replies = frames.FrameReader(self.reply, REPLY_CAP)
        self.output = bytearray()  # stdout
        self.errors = bytearray()  # stderr
        self.open_streams = {self.out, self.err}
        self.exit_status: Optional[int] = None
        self.exit_cpu = 0.0
        self.killed_for = ""
        self.tree: Optional[usage.Tree] = None
        self.floor = 0.0  # the most CPU seconds a reading of its namespace has shown: never more than used
        self.runs: dict[int, tuple] = {}  # its helpers' run signatures, as the last reading saw them
        self.shared = wire.Shared(1)  # the lists, dicts and sets the tests and it share (wire.Shared)
        self.handles: dict[int, Any] = {}  # its objects the tests hold, by number (calls.Handle)

    @property
    def alive(self) -> bool:
        return self.exit_status is None

    def cpu(self) -> float:
        """CPU seconds of every process and thread of the program's namespace so far, live or
        gone, never more than that: the most a reading of it ever showed, and once it ended, the
        zygote's wait4 figure if more."""
        if not self.alive:
            return max(self.floor, self.exit_cpu)
        try:
            if self.tree is None:  # its files opened once, read afresh at offset 0 each time
                self.tree = usage.Tree(self.pid)
            reading = self.tree.look()
        except OSError:
            return max(self.floor, self.exit_cpu)
        self.floor = max(self.floor, reading.ticks / usage.CLK_TCK)
        self.runs = reading.runs
        return self.floor

    def settle(self, runs: dict[int, tuple]) -> tuple[float, bool]:
        """(the CPU seconds so far, counting high: from a reading two in a row agree with, plus
        what rounding may hide in each helper that ran since a reading whose run signatures were
        `runs`; whether the process had ended or was ending then). A test's closing account: read
        while the program process stands, the tree holds everyone's time; an init that is ending
        has the kernel kill its namespace and reap the rest uncounted."""
        if self.alive:
            try:
                if self.tree is None:
                    self.tree = usage.Tree(self.pid)
                reading, best = self.tree.settle()
                self.floor = max(self.floor, best / usage.CLK_TCK)
                slack = reading.active_since(runs) * usage.ROUNDING / usage.CLK_TCK
                return self.floor + slack, reading.root.ended
            except OSError:
                pass  # gone (the zygote's notice is on its way)
        return max(self.floor, self.exit_cpu), True

    def kill(self, why: str) -> None:
        if self.alive and not self.killed_for:
            self.killed_for = why
            self.tester.zygote({"kill": self.pid})

    def drain(self, ready: list[int]) -> None:
        for fd, buf in ((self.out, self.output), (self.err, self.errors)):
            if fd in ready and fd in self.open_streams:
                if not frames.read_available(fd, self.tester.output_cap, buf):
                    self.open_streams.discard(fd)
                    os.close(fd)  # (close() then leaves it alone)

    def close_stdin(self) -> None:
        if self.stdin >= 0:
            os.close(self.stdin)
            self.stdin = -1

    def close(self) -> None:
        """Close this side of every pipe (the zygote kills the process when the run is over)."""
        self.close_stdin()
        for fd in {self.ctl, self.reply, *self.open_streams}:
            os.close(fd)
        if self.tree is not None:
            self.tree.close()
            self.tree = None
        self.ctl = self.reply = -1
        self.open_streams = set()

    def send(self, message: bytes) -> None:
        try:
            frames.send_frame(self.ctl, message)
        except OSError:
            pass  # it is gone: the wait for its answer says so

    def answer(self, budget: "Budget") -> bytes:
        """The next reply frame, watching the budget; an Incident if none can come."""
        while True:
            frame = self.replies.pop()
            if frame is not None:
                return frame
            if self.replies.closed or not self.alive:
                self.tester.wait_exit(self, budget)
                raise budget.gone(self)
            ready = self.tester.wait([self.reply, *self.open_streams])
            self.drain(ready)
            if self.reply in ready:
                self.replies.feed()
            if budget.due():
                budget.check(self)


class Budget:
    """One test's CPU limit (the program's namespace, and this process unless `own` is False) and
    wall-clock backstop."""

    def __init__(self, tester: Any, program: Optional[Program], own: bool = True) -> None:
        self.tester = tester
        self.cpu_limit, self.wall_limit = tester.cpu_limit, tester.wall_limit
        self.program, self.own = program, own
        self.t0 = time.process_time()
        self.p0 = program.cpu() if program is not None else 0.0
        self.runs = program.runs if program is not None else {}
        self.w0 = self.checked = time.monotonic()

    def used(self, program_cpu: Optional[float] = None) -> float:
        """CPU seconds since the start (`program_cpu`: the program's so far, if read already)."""
        own = time.process_time() - self.t0 if self.own else 0.0
        if self.program is None:
            return own
        return own + (self.program.cpu() if program_cpu is None else program_cpu) - self.p0

    def due(self) -> bool:
        """At most one look at /proc per poll interval, however busy the pipes are."""
        now = time.monotonic()
        if now - self.checked < POLL:
            return False
        self.checked = now
        return True

    def over(self, program_cpu: Optional[float] = None) -> Optional[str]:
        if self.used(program_cpu) > self.cpu_limit:
            return f"CPU time limit of {self.cpu_limit:g} s exceeded"
        if time.monotonic() - self.w0 > self.wall_limit:
            return f"no answer within the wall-clock backstop of {self.wall_limit:g} s"
        return None

    def closing(self) -> Optional[Incident]:
        """The account of a test that passed, from a settled reading of the whole namespace: over
        a limit, or the program's process ended during the test (its namespace then went down
        with helpers whose time nobody can read any more), it did not pass."""
        if self.program is None:
            why = self.over()
            return None if why is None else Incident("timeout", why)
        cpu, ended = self.program.settle(self.runs)
        why = self.over(cpu)
        if why is not None:
            return Incident("timeout", why)
        if self.program.killed_for:
            return Incident("timeout", self.program.killed_for)
        if ended:
            return Incident("error", "the program's process ended during the test")
        return None

    def check(self, program: Program) -> None:
        why = self.over()
        if why is not None:
            program.kill(why)
            self.tester.wait_exit(program, None)
            raise Incident("timeout", why)

    def gone(self, program: Program) -> Incident:
        if program.killed_for:
            return Incident("timeout", program.killed_for)
        if self.cpu_limit and program.cpu() - self.p0 >= self.cpu_limit:
            return Incident("timeout", f"CPU time limit of {self.cpu_limit:g} s exceeded")
        return Incident("error", f"the program's process ended ({describe_status(program.exit_status)})")


def describe_status(status: Optional[int]) -> str:
    if status is None:
        return "still running"
    if os.WIFSIGNALED(status):
        try:
            return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
        except ValueError:
            return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.WEXITSTATUS(status)}"


class Link:
    """The channel to the zygote, for the whole life of this process: program processes it handed
    over ahead of need (one is always waiting, so a run never waits for a fork), and exits."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.fresh: list[tuple[int, list[int]]] = []
        self.exits: dict[int, tuple[int, float]] = {}  # pid -> (wait status, CPU seconds)
        self.refused = ""
        self.expecting = False  # a program process will come unasked (asked for, or at a run's end)
        self.programs: dict[int, Program] = {}  # handed out in this run, by pid

    def send(self, msg: dict) -> None:
        try:
            frames.send_msg(self.sock, msg)
        except OSError:
            pass

    def finish(self) -> None:
        """The run is reported: the zygote kills and reaps the program processes it used, and
        hands over the next run's when none is left here."""
        self.expecting = not self.fresh
        self.send({"finish": True, "used": sorted(self.programs)})

    def take_notices(self) -> None:
        """The zygote's messages: a program process handed over (with its pipes), or one that exited."""
        while True:
            try:
                msg, fds = frames.recv_msg_nowait(self.sock)
            except BlockingIOError:
                return
            except frames.ChannelClosed:
                os._exit(0)  # the zygote is gone: so is the sandbox
            pid = int(msg.get("pid", 0))
            if msg.get("program") and len(fds) == 5:
                self.fresh.append((pid, fds))
                self.expecting = False
            elif msg.get("refused"):
                self.refused = str(msg.get("why", ""))
                self.expecting = False
            elif msg.get("exited"):
                self.exits[pid] = (int(msg["status"]), float(msg["cpu"]))
                program = self.programs.get(pid)
                if program is not None:
                    program.exit_status, program.exit_cpu = self.exits.pop(pid)
