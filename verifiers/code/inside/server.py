"""The sandbox's server (its pid 1). Stdlib only; started as `python -I -S -c BOOT ...` (see
`isolation.py`), which loads this folder's modules as the package `steplabel_inside`.

It talks to the host: one JSON request per line on stdin, one JSON answer per line on stdout.
It holds the jobs, so it never forks a run process (memory it used for one job could still hold
that job's bytes, and a program forked from it could read them): the zygote (`zygote.py`),
forked before the first job, does. The server hands each job to the long-lived test process
(`tester.py`) through a pipe the zygote made, reads the run's report from another pipe that only
the test process holds, answers the host, then has the zygote tear the run down (kill and reap
the program processes it used; each a PID namespace's init, so nothing of the run is left).

Protocol with the host:
  request  {"mode": "call", "program": str, "tests": [{"name", "code"}], "module": str|null,
            "limits": {...}, "cpu_limit": float, "wall_limit": float, "output_cap": int}
         | {"mode": "io", "program": str, "cases": [{"input", "output"}], "float_tolerance": ..., ...}
  answer   {"results": [{"name", "status", "message", "frames", "tb", "output", "truncated",
            "duration", "infra"}]}
"""
from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import sys
import time
from typing import Any, Optional

from steplabel_inside import confine, frames, link, zygote

SLACK = 10.0  # seconds the server adds to a run's own backstops before it stops waiting



def backstop(request: dict) -> float:
    """How long the server waits for a run: every test's (or case's) wall-clock backstop, the
    program's set-up, and slack."""
    n = len(request.get("tests") or request.get("cases") or [])
    return (n + 1) * float(request.get("wall_limit", 30.0)) + SLACK


def collect(reader: frames.FrameReader, deadline: float) -> tuple[Optional[dict], bytes]:
    """The test process's report of one run: (the line about it, {"n": results, "used": [pids]}
    or {"n", "crash"}; the results, as the line the host reads: {"results": [...]}), or (None,
    b"") when it ended or missed the deadline."""
    while True:
        frame = reader.pop()
        if frame is not None:
            about, _, results = frame.partition(b"\n")
            try:
                return json.loads(about), results
            except ValueError:
                return None, b""
        if reader.closed:
            return None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([reader.fd], [], [], remaining)
        if ready:
            reader.feed()


def unreported(request: dict, results: list[dict], tester_status: Optional[int], timed_out: bool,
               crash: str = "") -> list[dict]:
    """Results for the tests the test process did not report (infra: they may pass another time)."""
    names = [t.get("name", "") for t in request.get("tests") or []] or [
        f"case {i + 1}" for i in range(len(request.get("cases") or []))]
    if timed_out:
        status, message, infra = "timeout", "no result within the run's wall-clock backstop", False
    elif crash:
        status, infra = "error", True
        message = f"the test process failed (not the program): {crash.strip().splitlines()[-1][:500]}"
    else:
        status, infra = "error", True
        message = f"the test process ended without a report ({link.describe_status(tester_status)})"
    return [{"name": name, "status": status, "message": message, "infra": infra} for name in names[len(results):]]


class Server:
    """The host's side of the sandbox: jobs to the test process, results back, runs torn down."""

    def __init__(self, zygote: socket.socket) -> None:
        self.zygote = zygote
        self.job_w = -1
        self.results: Optional[frames.FrameReader] = None

    def take_tester(self) -> None:
        msg, fds = frames.recv_msg(self.zygote)
        if "tester" not in msg or len(fds) != 2:
            raise frames.ChannelClosed(f"expected a test process, got {msg}")
        self.job_w, result_r = fds
        os.set_blocking(result_r, False)
        self.results = frames.FrameReader(result_r, 64 << 20)

    def finish(self, used: list[int], replace: bool) -> dict:
        frames.send_msg(self.zygote, {"finish": True, "used": used, "replace": replace})
        finished, _ = frames.recv_msg(self.zygote)
        if replace:
            os.close(self.job_w)
            assert self.results is not None
            os.close(self.results.fd)
            self.take_tester()
        return finished

    def handle(self, request: dict, line: bytes, answer: Any) -> None:
        """One run (`request`, as the host sent it: `line`). When every result came, the answer goes
        out first and the run is torn down while the host reads it; otherwise the test process is
        replaced and the rest accounted for."""
        assert self.results is not None
        try:
            frames.send_frame(self.job_w, line)
        except OSError:
            pass  # the test process is gone: its missing results say so
        deadline = time.monotonic() + backstop(request)
        expected = len(request.get("tests") or request.get("cases") or [])
        report, reported = collect(self.results, deadline)
        if report is not None and "crash" not in report and report.get("n") == expected:
            answer(reported)  # (as the test process wrote it: no need to read it here)
            self.finish(report.get("used", []), replace=False)
            return
        try:
            results = json.loads(reported)["results"] if reported else []
        except (ValueError, TypeError, KeyError):
            results = []
        if not isinstance(results, list):
            results = []
        timed_out = time.monotonic() >= deadline
        finished = self.finish([], replace=True)
        crash = str(report.get("crash", "")) if report else ""
        answer(results[:expected] + unreported(request, results, finished.get("tester_status"), timed_out, crash))


def requests(fd: int):
    buf = b""
    while True:
        while b"\n" not in buf:
            data = os.read(fd, 1 << 20)
            if not data:
                return
            buf += data
        line, _, buf = buf.partition(b"\n")
        yield line


def main(config_text: str) -> None:
    config = json.loads(config_text)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as pid 1, SIG_DFL signals from inside are ignored
    confine.harden_server(config)
    proto_out = os.dup(1)
    proto_in = os.dup(0)
    os.dup2(os.open("/dev/null", os.O_WRONLY), 1)  # stray prints can never corrupt the protocol
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if config.get("private_runs"):
        # the zygote becomes the init of a PID namespace of our own user namespace: it may then
        # make a fresh one for each child (setns back, unshare), which bwrap's may not allow
        confine.check(confine.libc.unshare(confine.CLONE_NEWPID), "unshare(pid)")
    pid = os.fork()
    if pid == 0:
        mine.close()
        confine.close_fds_except((theirs.fileno(), 2))
        zygote.zygote_main(theirs, config)
    theirs.close()
    try:
        hello, _ = frames.recv_msg(mine)
    except frames.ChannelClosed:
        hello = {}
    hello.update(pid=os.getpid(), uid=os.getuid(), gid=os.getgid(), python=sys.version.split()[0])
    frames.write_all(proto_out, (json.dumps(hello) + "\n").encode())
    if not hello.get("ready"):
        return

    def answer(results: Any) -> None:
        """The host's answer: results, or the line that carries them as the test process wrote it."""
        blob = (results if isinstance(results, bytes) else json.dumps({"results": results}).encode()) + b"\n"
        while True:
            try:
                frames.write_all(proto_out, blob)
                return
            except OSError as exc:
                if exc.errno != errno.EINTR:
                    raise

    server = Server(mine)
    try:
        server.take_tester()
        for line in requests(proto_in):
            try:
                request = json.loads(line)
            except ValueError:
                answer([])
                continue
            server.handle(request, line, answer)
    except frames.ChannelClosed:
        sys.stderr.write("sandbox: the zygote ended\n")
        os._exit(1)
