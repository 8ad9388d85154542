"""The sandbox's server (its pid 1). Stdlib only; started as `python -I -S -c BOOT ...` (see
`isolation.py`), which loads this folder's modules as the package `steplabel_inside`.

It starts the zygote (`zygote.py`), which forks the long-lived test process (`tester.py`) and
every run's program processes, and hands the host the test process's two pipes: the host writes
each job into one and reads the run's report from the other, and the test process has the
zygote tear the run down (kill and reap the program processes it used; each a PID namespace's
init, so nothing of the run is left). A run's bytes pass through no other process: the server
takes part only when the host has the test process replaced (it ended, or missed the run's
backstop). It never forks a run process itself, nor reads a job.

Protocol with the host, over a socket pair (its stdin and stdout), one JSON line each way:
  hello    {"ready": true, "tester": pid, ...facts}   with the test process's job and report pipes
  request  {"replace": true}
  answer   {"replaced": true, "tester_status": int|null, "why": str}   with the new test process's pipes

On the pipes (length-prefixed frames, `frames.py`):
  job      {"mode": "call", "program": str, "tests": [{"name", "code"}], "module": str|null,
            "limits": {...}, "cpu_limit": float, "wall_limit": float, "output_cap": int}
         | {"mode": "io", "program": str, "cases": [{"input", "output"}], "float_tolerance": ..., ...}
  report   a line about the run ({"n": results} or {"n", "crash"}), then
           {"results": [{"name", "status", "message", "frames", "tb", "output", "truncated",
            "duration", "infra"}]}
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
from typing import Optional

from steplabel_inside import confine, frames, link, zygote


class Server:
    """The host's side of the sandbox: the test process's pipes handed over, and replaced."""

    def __init__(self, zygote_channel: socket.socket, host: socket.socket) -> None:
        self.zygote, self.host = zygote_channel, host

    def hand_tester(self, msg: dict) -> None:
        """The zygote's (new) test process: its pipes go to the host with `msg`, none stays here."""
        got, fds = frames.recv_msg(self.zygote)
        if "tester" not in got or len(fds) != 2:
            raise frames.ChannelClosed(f"expected a test process, got {got}")
        try:
            socket.send_fds(self.host, [(json.dumps({**msg, "tester": got["tester"]}) + "\n").encode()], fds)
        finally:
            for fd in fds:
                os.close(fd)

    def replace(self) -> None:
        """The test process ended or missed a run's backstop: it goes, with every program process
        it held, and a new one's pipes go to the host with how the old one ended."""
        frames.send_msg(self.zygote, {"replace": True})
        finished, _ = frames.recv_msg(self.zygote)
        status: Optional[int] = finished.get("tester_status")
        self.hand_tester({"replaced": True, "tester_status": status, "why": link.describe_status(status)})


def requests(fd: int):
    buf = b""
    while True:
        while b"\n" not in buf:
            data = os.read(fd, frames.CHUNK)
            if not data:
                return
            buf += data
        line, _, buf = buf.partition(b"\n")
        yield line


def main(config_text: str) -> None:
    config = json.loads(config_text)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as pid 1, SIG_DFL signals from inside are ignored
    confine.harden_server(config)
    host = socket.socket(fileno=os.dup(0))  # the host's socket pair (stdin and stdout)
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
        host.close()
        confine.close_fds_except((theirs.fileno(), 2))
        zygote.zygote_main(theirs, config)
    theirs.close()
    try:
        hello, _ = frames.recv_msg(mine)
    except frames.ChannelClosed:
        hello = {}
    hello.update(pid=os.getpid(), uid=os.getuid(), gid=os.getgid(), python=sys.version.split()[0])
    server = Server(mine, host)
    try:
        if not hello.get("ready"):
            frames.write_all(host.fileno(), (json.dumps(hello) + "\n").encode())
            return
        server.hand_tester(hello)
        for line in requests(host.fileno()):
            try:
                request = json.loads(line)
            except ValueError:
                request = {}
            if isinstance(request, dict) and request.get("replace"):
                server.replace()
            else:
                frames.write_all(host.fileno(), b'{"error": "not a request"}\n')
    except frames.ChannelClosed:
        sys.stderr.write("sandbox: the zygote ended\n")
        os._exit(1)
