"""Host side of the sandbox: one long-lived server, and its test process's two pipes.

Why a class with a lock: starting bwrap plus an interpreter costs ~50 ms, a run's two forked
processes a few ms, so a labeler keeps one `Sandbox` for its lifetime. `run` and `run_io` are
thread-safe (one request at a time per sandbox; use `SandboxPool` for parallelism). Limits are
enforced inside (per test, in CPU seconds, by the test process; the run's processes torn down by
the zygote) and here as a last resort (per run, a wall-clock backstop past which the test process
is replaced; the whole sandbox is started again only when that fails), so nothing depends on
signals in the calling thread (Ray actors). A run's job goes straight into the test process's
pipe and its report comes straight back (`inside/server.py` says the protocol): the server is
asked only to replace a test process.
"""
from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Sequence

from .inside import frames
from .inside.confine import current_cpu
from .isolation import (_HOW_TO_FIX, LEVELS, Launch, Limits, SandboxUnavailable, bwrap_launch, describe,
                        remove_cgroup, rlimits_launch, server_code, tag)

# Modules HumanEval/MBPP-style code imports most; more preloads mean a bigger server to fork.
# Not hashlib: OpenSSL's mappings cost every run 0.3 ms of CPU in fork and exit, and importing it
# costs the rare program that uses it 6 ms.
DEFAULT_PRELOAD = ["math", "re", "collections", "itertools", "functools", "heapq", "bisect",
                   "string", "typing", "random", "json", "copy", "operator", "fractions"]
RESPONSE_CAP = 256 << 20
REPORT_CAP = 64 << 20  # a run's report from the test process
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="steplabel-sandbox-spawner")
START_TIMEOUT = 30.0
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(value: Any) -> Any:
    """`value` (decoded JSON) with every string valid Unicode: JSON carries lone UTF-16 surrogates
    (`"\\ud800"`, what a program's `chr(0xd800)` becomes in a message), which no UTF-8 writer
    (Parquet, the evidence) accepts; each becomes U+FFFD."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [valid_text(v) for v in value]
    if isinstance(value, dict):
        return {valid_text(k): valid_text(v) for k, v in value.items()}
    return value


def loads_reply(line: bytes) -> Any:
    """A line the sandbox sent, decoded: the one way its text enters this process (see `valid_text`).
    The server writes ASCII JSON, where a surrogate can only be a `\\udXXX` escape: a line without
    one is walked no further."""
    value = json.loads(line)
    return valid_text(value) if b"\\ud" in line or b"\\uD" in line or not line.isascii() else value


@dataclass
class TestResult:
    """One test (or stdin/stdout case) of a run. status: passed / failed (an assertion, or a wrong
    answer) / error / timeout / unknown (the test needed a value that is not plain data: nothing
    outside the program can decide it) / skipped (a case after the first one that did not pass, or a
    test pytest would skip) / xfailed, xpassed (a test expected to fail that failed, or passed: pytest's).

    `infra` marks a failure of the sandbox, not of the code (it may pass on another try). The
    frames after the tests' own are those the program's process reported: they can say where a
    failure was, never make one a pass."""

    name: str
    status: str
    message: str = ""
    frames: list[tuple[str, int, str]] = field(default_factory=list)  # (filename, line, function)
    tb: str = ""
    output: str = ""
    truncated: bool = False
    duration: float = 0.0
    infra: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @classmethod
    def from_wire(cls, d: dict[str, Any]) -> "TestResult":
        stack = [(str(f[0]), int(f[1]), str(f[2])) for f in d.get("frames", []) if len(f) == 3]
        return cls(name=str(d.get("name", "")), status=str(d.get("status", "error")),
                   message=str(d.get("message", "")), frames=stack, tb=str(d.get("tb", "")),
                   output=str(d.get("output", "")), truncated=bool(d.get("truncated")),
                   duration=float(d.get("duration", 0.0)), infra=bool(d.get("infra")))


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code under test)."""


class Sandbox:
    """A fork server under the chosen isolation level; see `isolation.py` for what each means."""

    def __init__(self, isolation: str = "bwrap", limits: Optional[Limits] = None,
                 preload: Optional[list[str]] = None) -> None:
        if isolation not in LEVELS:
            raise ValueError(f"isolation must be one of {LEVELS}, got {isolation!r}")
        self.level = isolation
        self.limits = limits or Limits()
        self.preload = list(DEFAULT_PRELOAD if preload is None else preload)
        self._lock = threading.RLock()
        self._proc: Optional[subprocess.Popen] = None
        self._sock: Optional[socket.socket] = None  # to the server (its stdin and stdout)
        self._buf = bytearray()
        self._fds: list[int] = []  # descriptors the server sent with the lines read so far
        self._job_w = -1  # the test process's pipes: jobs in, reports out
        self._reports: Optional[frames.FrameReader] = None
        self._errlog: Optional[Any] = None
        self.hello: dict[str, Any] = {}
        self._described = ""
        self._tag = ""
        self._launch: Optional[Launch] = None
        self.restarts = 0
        self.runs = 0

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def isolation(self) -> str:
        """What the runs actually get, for provenance; starts the sandbox if needed."""
        with self._lock:
            self._ensure()
            return self._described

    @property
    def isolation_tag(self) -> str:
        """Short form for per-verdict evidence, e.g. `bwrap(user,pid,net,ipc,uts;uid=65534)`."""
        with self._lock:
            self._ensure()
            return self._tag

    @property
    def server_pid(self) -> Optional[int]:
        return self._proc.pid if self._proc else None

    def start(self) -> "Sandbox":
        with self._lock:
            self._ensure()
        return self

    def _ensure(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._kill()
        launch: Launch = (bwrap_launch(self.limits, self.preload) if self.level == "bwrap"
                          else rlimits_launch(self.limits, self.preload))
        self._launch = launch
        self._errlog = tempfile.TemporaryFile()
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # Spawned from one long-lived thread: a parent-death signal (PR_SET_PDEATHSIG, which
            # --die-with-parent uses) fires when the parent *thread* exits, so a bwrap that set it
            # on itself would die with a short-lived worker thread that happened to start it.
            self._proc = _SPAWNER.submit(
                subprocess.Popen, launch.argv, stdin=theirs.fileno(), stdout=theirs.fileno(),
                stderr=self._errlog, pass_fds=launch.pass_fds, env=launch.env,
                start_new_session=True, close_fds=True,
            ).result()
        finally:
            theirs.close()
            for fd in launch.close_after_start:
                os.close(fd)
        self._buf = bytearray()
        try:
            self._sock.sendall(server_code())  # the code the server runs, before any request
        except OSError:
            pass  # it did not start: its stderr says why
        hello = self._take_tester()
        if not hello.get("ready") or self._reports is None:
            err = self._stderr_tail()
            self._kill()
            if self.level == "bwrap":
                raise SandboxUnavailable(f"bubblewrap sandbox failed to start: {err.strip()}")
            raise SandboxError(f"fork server failed to start: {err.strip()}")
        if self.level == "bwrap" and not hello.get("private_runs"):
            self._kill()
            raise SandboxUnavailable("the sandbox cannot give each run its own namespaces and /tmp "
                                     f"({hello.get('probe_error', 'unknown reason')}); " + _HOW_TO_FIX)
        self.hello = hello
        self._described = describe(self.level, self.limits, hello, launch.ceiling)
        self._tag = tag(self.level, hello, launch.ceiling)

    def _stderr_tail(self) -> str:
        if self._errlog is None:
            return ""
        self._errlog.seek(0)
        return self._errlog.read()[-4000:].decode("utf-8", "replace")

    def _kill(self) -> None:
        """Kill the whole sandbox: bwrap's process group; --die-with-parent takes the namespace."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._drop_tester()
        self._close_fds()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None
        launch, self._launch = self._launch, None
        if launch is not None and launch.workdir:
            shutil.rmtree(launch.workdir, ignore_errors=True)
        if launch is not None and launch.cgroup:
            remove_cgroup(launch.cgroup)

    def close(self) -> None:
        with self._lock:
            self._kill()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: best effort only
            self._kill()

    # --- running -----------------------------------------------------------------------------

    def _read_line(self, deadline: float) -> Optional[bytes]:
        """The server's next line; descriptors sent with it are kept in `_fds`."""
        if self._sock is None:
            return None
        fd = self._sock.fileno()
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk, fds, _flags, _addr = socket.recv_fds(self._sock, frames.CHUNK, frames.MAX_FDS)
            except ConnectionResetError:  # it ended with bytes of ours unread: as good as an end of file
                return None
            self._fds += fds
            if not chunk:
                return None
            self._buf.extend(chunk)
            if len(self._buf) > RESPONSE_CAP:
                return None
        line, _, rest = bytes(self._buf).partition(b"\n")
        self._buf = bytearray(rest)
        return line

    def _close_fds(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)

    def _drop_tester(self) -> None:
        if self._job_w >= 0:
            os.close(self._job_w)
            self._job_w = -1
        if self._reports is not None:
            os.close(self._reports.fd)
            self._reports = None

    def _take_tester(self) -> dict:
        """The server's next line (its hello, or its answer to `replace`) and the test process's
        pipes that came with it; {} when none came."""
        line = self._read_line(time.monotonic() + START_TIMEOUT)
        try:
            msg = loads_reply(line) if line else {}
        except ValueError:
            msg = {}
        self._drop_tester()
        if isinstance(msg, dict) and "tester" in msg and len(self._fds) == 2:
            self._job_w, reports = self._fds
            self._fds = []
            os.set_blocking(self._job_w, False)
            os.set_blocking(reports, False)
            self._reports = frames.FrameReader(reports, REPORT_CAP)
        self._close_fds()
        return msg if isinstance(msg, dict) else {}

    def run(self, setup: str, tests: list[dict[str, str]], timeout: Optional[float] = None,
            module: Optional[str] = None, trusted: Optional[str] = None,
            own: Sequence[str] = (), prelude: Optional[str] = None) -> list[TestResult]:
        """Run the program `setup` once, in a process of its own, and each test (a dict with name
        and code) in the test process, one after another, calling into it.

        The program is compiled as "<solution>" and each test as "<test>", so traceback frames
        say which side an exception came from. With `module`, the tests import the program's
        names from a module of that name (pytest style: `from solution import f`). `trusted` is
        the problem's own code (a HumanEval prompt), run in the test process: its names take the
        place of the program's, except those in `own` (the entry point). `prelude` is code the
        program's process runs before the program (the imports a dataset's judge adds)."""
        if not tests:
            return []
        request = {"mode": "call", "program": setup, "tests": tests, "module": module, "prelude": prelude,
                   "trusted": trusted, "own": list(own), **self.limits.request(len(tests), timeout)}
        return self._request(request, [t.get("name", "") for t in tests], timeout)

    def run_io(self, program: str, cases: list[dict[str, str]], timeout: Optional[float] = None,
               float_tolerance: Optional[float] = None, case_insensitive: bool = False,
               prelude: Optional[str] = None) -> list[TestResult]:
        """Run `program` as a script once per case (a dict with input and output), each time in a
        fresh process, its stdout compared with the case's output token by token (numbers with a
        decimal point or exponent within `float_tolerance`, if given; letters ignoring case, if
        asked); the first case that does not pass ends the run (the rest come back `skipped`)."""
        if not cases:
            return []
        request = {"mode": "io", "program": program, "cases": cases, "float_tolerance": float_tolerance,
                   "case_insensitive": case_insensitive, "prelude": prelude,
                   **self.limits.request(len(cases), timeout, io=True)}
        return self._request(request, [f"case {i + 1}" for i in range(len(cases))], timeout)

    def _request(self, request: dict, names: list[str], timeout: Optional[float]) -> list[TestResult]:
        job = frames.json_bytes({**request, "cpu": current_cpu()})  # (a run's processes run there: confine.run_on)
        with self._lock:
            self._ensure()
            deadline = time.monotonic() + self.limits.deadline(len(names), timeout)
            about, reported = self._exchange(job, deadline)
            if about is not None and "crash" not in about and about.get("n") == len(names):
                results = self._parse(reported, names)
            else:  # the test process ended or missed the backstop: replaced, the rest accounted for
                results = self._replace_tester(about, reported, names, timed_out=time.monotonic() >= deadline)
            if results is None:
                why = self._stderr_tail().strip()[-500:]
                self._kill()
                self.restarts += 1
                return [TestResult(name=name, status="error", infra=True,
                                   message=f"sandbox died or missed its deadline; restarted ({why})")
                        for name in names]
            self.runs += len(results)
            return results

    def _exchange(self, job: bytes, deadline: float) -> tuple[Optional[dict], bytes]:
        """The job into the test process's pipe, and its report: (the line about the run, the
        results line), or (None, b"") when it ended or missed the deadline."""
        reports = self._reports
        if reports is None:
            return None, b""
        pending = memoryview(frames.HEADER.pack(len(job)) + job)
        while True:
            frame = reports.pop()
            if frame is not None:
                about, _, results = frame.partition(b"\n")
                try:
                    head = loads_reply(about)
                except ValueError:
                    return None, b""
                return (head, results) if isinstance(head, dict) else (None, b"")
            if reports.closed:
                return None, b""
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, b""
            if pending:
                try:
                    pending = pending[os.write(self._job_w, pending):]
                    continue
                except BlockingIOError:
                    pass
                except OSError:
                    pending = memoryview(b"")  # it is gone: its pipe says so
            ready, _, _ = select.select([reports.fd], [self._job_w] if pending else [], [], remaining)
            if reports.fd in ready:
                try:
                    reports.feed()
                except frames.FrameTooLarge:
                    return None, b""

    def _replace_tester(self, about: Optional[dict], reported: bytes, names: list[str],
                        timed_out: bool) -> Optional[list[TestResult]]:
        """Has the server replace the test process; the results it reported, then the rest."""
        try:
            raw = loads_reply(reported)["results"] if reported else []
        except (ValueError, TypeError, KeyError):
            raw = []
        if not isinstance(raw, list):
            raw = []
        if self._sock is None:
            return None
        try:
            self._sock.sendall(b'{"replace": true}\n')
        except OSError:
            return None
        answer = self._take_tester()
        if not answer.get("replaced") or self._reports is None:
            return None
        crash = str(about.get("crash", "")) if about else ""
        if timed_out:
            status, message, infra = "timeout", "no result within the run's wall-clock backstop", False
        elif crash:
            status, infra = "error", True
            message = f"the test process failed (not the program): {crash.strip().splitlines()[-1][:500]}"
        else:
            status, infra = "error", True
            message = f"the test process ended without a report ({answer.get('why', 'unknown')})"
        done = [TestResult.from_wire(r) for r in raw[:len(names)] if isinstance(r, dict)]
        return done + [TestResult(name=name, status=status, message=message, infra=infra)
                       for name in names[len(done):]]

    @staticmethod
    def _parse(line: Optional[bytes], names: list[str]) -> Optional[list[TestResult]]:
        if not line:
            return None
        try:
            raw = loads_reply(line)["results"]
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(raw, list) or len(raw) != len(names):
            return None
        return [TestResult.from_wire(r) for r in raw if isinstance(r, dict)]


class SandboxPool:
    """A few sandboxes for threads; `with pool.get() as sb:` borrows one."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        self._all = [Sandbox(**kwargs) for _ in range(max(1, size))]
        self._free: "queue.Queue[Sandbox]" = queue.Queue()
        for sb in self._all:
            self._free.put(sb)

    @contextlib.contextmanager
    def get(self) -> Iterator[Sandbox]:
        sb = self._free.get()
        try:
            yield sb
        finally:
            self._free.put(sb)

    def close(self) -> None:
        for sb in self._all:
            sb.close()
