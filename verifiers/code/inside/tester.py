"""The test process: runs the tests and forms every verdict. Stdlib only.

It is forked by the zygote, as the first process of a fresh PID namespace (so everything a test
starts dies with it), in its own mount and IPC namespaces, with no capabilities. The program
runs elsewhere (`program.py`), in a PID namespace of its own that cannot see this process; the
zygote hands this process the pipes to it. What crosses from the program is plain data, rebuilt
here as exactly builtin types (`wire.py`), so every comparison and truth test a test makes runs
on values this process made. Objects that are not plain data stay in the program's process
behind a `Handle`: the tests may call them, read and set their attributes and items, ask their
length and iterate them (each answer again plain data), but a handle never takes part in a
comparison, a truth test or arithmetic: that raises `Incident`, and the test ends `unknown`.

An `Incident` (a timeout, a program process that ended, a non-plain value used as data) is
recorded before it is raised into the test, so a test that catches it still cannot pass.

Limits are CPU seconds per test (the program's process and this one together), read from
/proc and from the zygote's wait4 figures, so a loaded machine gives the same verdicts as a
quiet one; wall-clock time is only a generous backstop.
"""
from __future__ import annotations

import builtins
import importlib
import marshal
import os
import select
import shutil
import signal
import socket
import sys
import time
import traceback
from types import ModuleType
from typing import Any, Optional

from steplabel_inside import confine, frames, wire

POLL = 0.05
JOB_CAP = 1 << 30
REPLY_CAP = wire.MAX_BYTES + 1024
TEST_FILE = "<test>"
CLK_TCK = os.sysconf("SC_CLK_TCK")
BUILTIN_NAMES = frozenset(n for n in builtins.__dict__ if not n.startswith("__"))
SKIP = object()  # a module the program imported that the tests do not get
NOT_IMPORTED = frozenset({"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "webbrowser"})


class Incident(BaseException):
    """Something that decides a test whatever the test does next (BaseException, so that a
    test's `except Exception` does not swallow it; the tester has recorded it anyway)."""

    def __init__(self, status: str, message: str, infra: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.infra = status, message, infra


class Program:
    """A program process as the tester sees it: its pipes, its CPU time, its exit."""

    def __init__(self, tester: "Tester", pid: int, fds: list[int]) -> None:
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

    @property
    def alive(self) -> bool:
        return self.exit_status is None

    def cpu(self) -> float:
        """CPU seconds of the process and the children it reaped (all of it, once it exited)."""
        if not self.alive:
            return self.exit_cpu
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return sum(int(x) for x in fields[11:15]) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return self.exit_cpu

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
    """One test's CPU limit (the program's process, and this one's unless `own` is False) and
    wall-clock backstop."""

    def __init__(self, tester: "Tester", program: Optional[Program], own: bool = True) -> None:
        self.tester = tester
        self.cpu_limit, self.wall_limit = tester.cpu_limit, tester.wall_limit
        self.program, self.own = program, own
        self.t0 = time.process_time()
        self.p0 = program.cpu() if program is not None else 0.0
        self.w0 = self.checked = time.monotonic()

    def used(self) -> float:
        own = time.process_time() - self.t0 if self.own else 0.0
        return own + (self.program.cpu() - self.p0 if self.program is not None else 0.0)

    def due(self) -> bool:
        """At most one look at /proc per poll interval, however busy the pipes are."""
        now = time.monotonic()
        if now - self.checked < POLL:
            return False
        self.checked = now
        return True

    def over(self) -> Optional[str]:
        if self.used() > self.cpu_limit:
            return f"CPU time limit of {self.cpu_limit:g} s exceeded"
        if time.monotonic() - self.w0 > self.wall_limit:
            return f"no answer within the wall-clock backstop of {self.wall_limit:g} s"
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
        if self.cpu_limit and program.exit_cpu - self.p0 >= self.cpu_limit:
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


class Handle:
    """An object that stays in the program's process. Calls, attributes, items, length and
    iteration are answered there as plain data; comparisons, truth and arithmetic are refused."""

    __slots__ = ("_n", "_what", "_tester")

    def __init__(self, n: int, what: str, tester: "Tester") -> None:
        object.__setattr__(self, "_n", n)
        object.__setattr__(self, "_what", what)
        object.__setattr__(self, "_tester", tester)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._tester.request("call", self, a=list(args), k=kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._tester.request("get", self, n=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._tester.request("set", self, n=name, v=value)

    def __getitem__(self, key: Any) -> Any:
        return self._tester.request("item", self, i=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._tester.request("setitem", self, i=key, v=value)

    def __len__(self) -> int:
        n = self._tester.request("len", self)
        if type(n) is not int or n < 0:
            raise TypeError("the program's __len__ did not return a length")
        return n

    def __iter__(self) -> Any:
        return iter(self._tester.request("iter", self))

    def __repr__(self) -> str:
        return f"<{self._what} in the program's process>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    __hash__ = object.__hash__

    def _refuse(self, *_: Any) -> Any:
        raise self._tester.incident(Incident(
            "unknown", f"the tests compared or tested {self!r}, which is not plain data: only plain data "
                       "is compared outside the program's process, so nothing decides this test"))

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __contains__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = __matmul__ = _refuse
    __neg__ = __pos__ = __abs__ = __invert__ = __index__ = __int__ = __float__ = __complex__ = _refuse
    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = __lshift__ = __rshift__ = _refuse
    __round__ = __trunc__ = __floor__ = __ceil__ = _refuse


def program_exception(info: dict) -> BaseException:
    """The program's exception as a builtin exception of this process: its first builtin base
    class (never one that steers control flow: StopIteration arrives as RuntimeError)."""
    name, message = info.get("type"), str(info.get("msg", ""))
    cls = getattr(builtins, name, None) if isinstance(name, str) else None
    exc: Optional[BaseException] = None
    if isinstance(cls, type) and issubclass(cls, Exception) and cls not in (StopIteration, StopAsyncIteration):
        for candidate in cls.__mro__:
            try:
                exc = candidate(message)
                break
            except TypeError:
                continue
    if exc is None:
        exc = RuntimeError(f"the program raised {info.get('name', name)}: {message}")
    exc.__dict__["steplabel_program"] = info  # where in the program it raised (for the report)
    return exc


class Link:
    """The channel to the zygote, for the whole life of this process: program processes it handed
    over ahead of need (one is always waiting, so a run never waits for a fork), and exits."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.fresh: list[tuple[int, list[int]]] = []
        self.exits: dict[int, tuple[int, float]] = {}  # pid -> (wait status, CPU seconds)
        self.refused = ""
        self.programs: dict[int, Program] = {}  # handed out in this run, by pid

    def send(self, msg: dict) -> None:
        try:
            frames.send_msg(self.sock, msg)
        except OSError:
            pass

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
            elif msg.get("refused"):
                self.refused = str(msg.get("why", ""))
            elif msg.get("exited"):
                self.exits[pid] = (int(msg["status"]), float(msg["cpu"]))
                program = self.programs.get(pid)
                if program is not None:
                    program.exit_status, program.exit_cpu = self.exits.pop(pid)


class Tester:
    def __init__(self, link: Link, job: dict) -> None:
        self.link, self.job = link, job
        self.cpu_limit = float(job.get("cpu_limit", 3.0))
        self.wall_limit = float(job.get("wall_limit", 30.0))
        self.output_cap = int(job.get("output_cap", 65536))
        self.program_limits = job.get("limits", {})
        self.incidents: list[Incident] = []
        self.current: Optional[Program] = None
        self.budget: Optional[Budget] = None
        self.modules: dict[str, Any] = {}
        self.results: list[dict] = []
        self.compiled = self.prelude = b""
        link.programs = {}

    def compile(self) -> Optional[dict]:
        """The program compiled here, once per run (asserts kept whatever the host's flags): the
        program's processes get the code object, marshalled. A report when it does not compile."""
        try:
            prelude = self.job.get("prelude")
            self.prelude = marshal.dumps(compile(prelude, "<prelude>", "exec", dont_inherit=True, optimize=0)
                                         if prelude else None)
            code = compile(self.job["program"], "<solution>", "exec", dont_inherit=True, optimize=0)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 0
            return {"status": "error", "message": f"{type(exc).__name__}: {exc}",
                    "frames": [["<solution>", int(line), "<module>"]], "tb": ""}
        self.compiled = marshal.dumps(code)
        return None

    # --- the zygote -------------------------------------------------------------------------

    def zygote(self, msg: dict) -> None:
        self.link.send(msg)

    def wait(self, fds: list[int], writable: tuple[int, ...] = (), timeout: float = POLL) -> list[int]:
        """select() over `fds` and the zygote's channel (its notices are handled here)."""
        zfd = self.link.sock.fileno()
        ready, wready, _ = select.select([*fds, zfd], list(writable), [], timeout)
        if zfd in ready:
            self.link.take_notices()
        return [fd for fd in ready if fd != zfd] + list(wready)

    def program(self) -> Program:
        """A fresh program process (the one the zygote handed over ahead; it forks the next now)."""
        link = self.link
        if not link.fresh:
            link.take_notices()
        if not link.fresh and link.refused:  # the last fork failed: ask again
            link.refused = ""
            self.zygote({"want": "program"})
        deadline = time.monotonic() + 60.0
        while not link.fresh:
            if link.refused or time.monotonic() > deadline:
                raise Incident("error", f"no program process could be started ({link.refused or 'no answer'})",
                               infra=True)
            self.wait([], timeout=1.0)
        pid, fds = link.fresh.pop(0)
        self.zygote({"want": "program"})  # the next one, forked while this run goes on
        self.current = link.programs[pid] = Program(self, pid, fds)
        if pid in link.exits:
            self.current.exit_status, self.current.exit_cpu = link.exits.pop(pid)
        return self.current

    def wait_exit(self, program: Program, budget: Optional[Budget]) -> None:
        """Until the zygote reports the program's exit (it reaps it)."""
        deadline = time.monotonic() + max(5.0, self.wall_limit)
        while program.alive and time.monotonic() < deadline:
            ready = self.wait(list(program.open_streams))
            program.drain(ready)
            if budget is not None and program.alive and budget.due():
                why = budget.over()
                if why is not None:
                    program.kill(why)

    # --- requests to the program ----------------------------------------------------------

    def incident(self, incident: Incident) -> Incident:
        self.incidents.append(incident)
        return incident

    def _plain_arg(self, obj: Any) -> dict:
        if type(obj) is Handle:
            return {"h": obj._n, "k": ""}
        raise self.incident(Incident(
            "unknown", f"the tests pass a {type(obj).__name__} to the program: only plain data (and the "
                       "program's own handles) cross to the program's process"))

    def request(self, op: str, target: Handle, **fields: Any) -> Any:
        program = self.current
        if program is None or not program.alive:
            raise self.incident(Incident("error", "the program's process had already ended"))
        message = {"op": op, "h": target, **fields}
        try:
            data = wire.dumps(message, self._plain_arg)
        except wire.NotPlain as exc:
            raise self.incident(Incident("unknown", f"the tests pass a value that is not plain data ({exc})"))
        program.send(data)
        try:
            reply = wire.loads(program.answer(self.budget), self.handle, self.module)
        except Incident as exc:
            raise self.incident(exc)
        except (wire.WireError, frames.FrameTooLarge) as exc:
            program.kill("malformed reply")
            raise self.incident(Incident("error", f"the program's process sent a malformed reply ({exc})"))
        if type(reply) is not dict:
            raise self.incident(Incident("error", "the program's process sent a malformed reply"))
        if "e" in reply:
            info = reply["e"] if type(reply["e"]) is dict else {}
            if info.get("type") in ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseException"):
                raise self.incident(Incident("error", f"the program exited during a call ({info.get('name')}: "
                                                      f"{str(info.get('msg', ''))[:200]})"))
            raise program_exception(info)
        for index, value in reply.get("m", []) if type(reply.get("m")) is list else []:
            self._write_back(fields.get("a", []), index, value)
        return reply.get("v")

    @staticmethod
    def _write_back(args: list, index: Any, value: Any) -> None:
        """An argument the call changed, changed here too (as a call in one process would)."""
        if type(index) is not int or not 0 <= index < len(args):
            return
        arg = args[index]
        if type(arg) is list and type(value) is list:
            arg[:] = value
        elif type(arg) is dict and type(value) is dict or type(arg) is set and type(value) is set:
            arg.clear()
            arg.update(value)

    def handle(self, n: int, what: str) -> Handle:
        return Handle(n, what, self)

    def module(self, name: str) -> Any:
        """A module the program imported: this process's own copy, when it is one the tests may
        import themselves (the standard library or a preloaded one); SKIP otherwise."""
        if name in self.modules:
            return self.modules[name]
        module = sys.modules.get(name)
        top = name.split(".")[0]
        if module is None and top in sys.stdlib_module_names and top not in NOT_IMPORTED:
            try:
                module = importlib.import_module(name)
            except Exception:
                module = None
        self.modules[name] = SKIP if module is None else module
        return self.modules[name]

    # --- reporting ----------------------------------------------------------------------------

    def report(self, result: dict) -> None:
        self.results.append(result)


def failure(exc: BaseException, status: str) -> dict:
    """A failed test's report: the tests' frames here, then the program's own (as its process
    reported them: they can only say where a failure was, never make one a pass)."""
    tb = exc.__traceback__
    out: list[list] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == TEST_FILE:
            out.append([TEST_FILE, int(tb.tb_lineno), str(code.co_name)])
        tb = tb.tb_next
    info = exc.__dict__.get("steplabel_program") if hasattr(exc, "__dict__") else None
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(info, dict):
        out += [[str(f[0]), int(f[1]), str(f[2])] for f in info.get("frames", [])
                if isinstance(f, list) and len(f) == 3 and type(f[1]) is int]
        text += "\nIn the program's process:\n" + str(info.get("tb", ""))
    try:
        message = f"{type(exc).__name__}: {exc}"
    except BaseException:
        message = type(exc).__name__
    return {"status": status, "message": message[:4000], "frames": out[-50:], "tb": text[-8000:]}


def start_program(tester: Tester) -> tuple[Optional[Program], dict[str, Any], Optional[dict]]:
    """A program process that ran the program: (it, the program's names for the tests, or the
    report every test gets when the program could not be started or raised at top level)."""
    job = tester.job
    try:
        program = tester.program()
    except Incident as exc:
        return None, {}, {"status": exc.status, "message": exc.message, "infra": exc.infra}
    tester.budget = Budget(tester, program)
    program.send(marshal.dumps(("call", job.get("module"), tester.program_limits, tester.prelude, tester.compiled)))
    try:
        reply = wire.loads(program.answer(tester.budget), tester.handle, tester.module)
        if type(reply) is not dict:
            raise wire.WireError("not a dict")
    except Incident as exc:
        return program, {}, {"status": exc.status, "message": f"while the program was set up: {exc.message}",
                             "infra": exc.infra}
    except (wire.WireError, frames.FrameTooLarge) as exc:
        return program, {}, {"status": "error", "message": f"the program's process sent a malformed reply ({exc})"}
    if "e" in reply:
        exc = program_exception(reply["e"] if type(reply["e"]) is dict else {})
        report = failure(exc, "failed" if isinstance(exc, AssertionError) else "error")
        report["message"] = "the program raised before any test ran: " + report["message"]
        return program, {}, report
    names = reply.get("names") if type(reply.get("names")) is list else []
    base = {name: value for name, value in names if type(name) is str and name.isidentifier()
            and not name.startswith("__") and name not in BUILTIN_NAMES and value is not SKIP}
    return program, with_trusted(job, base), None


def with_trusted(job: dict, base: dict[str, Any]) -> dict[str, Any]:
    """The problem's own code (a HumanEval prompt: helpers such as `poly` that the tests call)
    run here, its names in place of the program's, but for the program's own (the entry point):
    a program cannot redefine what the tests trust. Prompt code that fails to run is left out."""
    trusted = job.get("trusted")
    if not trusted:
        return base
    namespace = {**base, "__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(trusted, "<prompt>", "exec", dont_inherit=True, optimize=0), namespace)
    except BaseException:
        return base
    own = set(job.get("own") or [])
    merged = {k: v for k, v in namespace.items() if not k.startswith("__") and k not in BUILTIN_NAMES}
    merged.update({k: base[k] for k in own if k in base})
    return merged


def program_output(tester: Tester, program: Optional[Program]) -> dict:
    """What the program printed during a test (informational), within the output cap."""
    if program is None:
        return {"output": "", "truncated": False}
    output = bytes(program.output + program.errors)
    return {"output": output[:tester.output_cap].decode("utf-8", "replace"),
            "truncated": len(program.output) > tester.output_cap or len(program.errors) > tester.output_cap}


def run_calls(tester: Tester) -> None:
    """HumanEval, MBPP, pytest and function-call cases: the tests run here one after another,
    calling into one program process (a fresh one after a test that ended it)."""
    job = tester.job
    program, base, setup_error = start_program(tester)
    module_name = job.get("module")
    for test in job["tests"]:
        start = time.monotonic()
        if setup_error is None and program is not None and (not program.alive or program.killed_for):
            program.close()
            program, base, setup_error = start_program(tester)
        if setup_error is not None or program is None:
            tester.report({"name": test["name"], **(setup_error or {}), **program_output(tester, program)})
            continue
        tester.incidents.clear()
        program.output.clear()
        program.errors.clear()
        tester.budget = Budget(tester, program)
        if module_name:
            module = ModuleType(module_name)
            module.__dict__.update(base)
            sys.modules[module_name] = module
            namespace = {"__name__": "__main__", "__builtins__": builtins}
        else:
            namespace = {**base, "__name__": "__main__", "__builtins__": builtins}
        try:
            code = compile(test["code"], TEST_FILE, "exec", dont_inherit=True, optimize=0)
            armed(tester)
            try:
                exec(code, namespace)
            finally:
                armed(None)
        except AssertionError as exc:
            result = failure(exc, "failed")
        except Incident as exc:
            result = {"status": exc.status, "message": exc.message}
        except BaseException as exc:
            result = failure(exc, "error")
        else:
            result = {"status": "passed", "message": ""}
        if tester.incidents:
            first = tester.incidents[0]
            result = {**result, "status": first.status, "message": first.message, "infra": first.infra}
        elif result["status"] == "passed":
            why = tester.budget.over()
            if why is not None:
                result = {"status": "timeout", "message": why}
        program.drain(tester.wait(list(program.open_streams), timeout=0))
        result.update(name=test["name"], duration=round(time.monotonic() - start, 6),
                      **program_output(tester, program))
        tester.report(result)
    if program is not None:
        program.close()


def compare_output(actual: bytes, expected: bytes, tolerance: Optional[float],
                   case_insensitive: bool = False) -> Optional[str]:
    """None when the outputs agree token by token after whitespace normalisation (ASCII
    whitespace, as judges split; letters ignoring case when asked; numbers written with a decimal
    point or an exponent within `tolerance`, absolute or relative to the expected value, when one
    is given: integers always compare exactly); else where they differ."""
    got, want = actual.split(), expected.split()
    if case_insensitive:
        got, want = [g.lower() for g in got], [w.lower() for w in want]
    if got == want:
        return None
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w and not (tolerance is not None and _close(g, w, tolerance)):
            return f"token {i + 1}: expected {_show(w)}, got {_show(g)}"
    if len(got) != len(want):
        extra = f"; first extra token {_show(got[len(want)])}" if len(got) > len(want) else ""
        return f"{len(got)} tokens, expected {len(want)}{extra}"
    return None


def _show(token: bytes) -> str:
    return repr(token[:60].decode("utf-8", "replace"))


def _close(got: bytes, want: bytes, tolerance: float) -> bool:
    if not any(c in token for token in (got, want) for c in b".eE"):
        return False  # two integers: exact, however large
    try:
        g, w = float(got), float(want)
    except ValueError:
        return False
    if g != g or w != w or abs(w) == float("inf"):
        return False
    return abs(g - w) <= tolerance * max(1.0, abs(w))


def run_case(tester: Tester, case: dict, tolerance: Optional[float]) -> dict:
    """One stdin/stdout case in a fresh program process; the verdict formed here."""
    try:
        program = tester.program()
    except Incident as exc:
        return {"status": exc.status, "message": exc.message, "infra": exc.infra}
    budget = tester.budget = Budget(tester, program, own=False)
    program.send(marshal.dumps(("io", None, tester.program_limits, tester.prelude, tester.compiled)))
    data = str(case.get("input", "")).encode("utf-8")
    os.set_blocking(program.stdin, False)
    while program.alive or program.open_streams:
        writable = (program.stdin,) if program.stdin >= 0 else ()
        ready = tester.wait([*program.open_streams, program.reply], writable)
        if program.stdin >= 0 and program.stdin in ready:
            try:
                data = data[os.write(program.stdin, data[:1 << 16]):] if data else data
            except OSError:  # the program closed its stdin or ended
                data = b""
            if not data:
                program.close_stdin()
        program.drain(ready)
        if program.reply in ready:
            program.replies.feed()
        if program.alive and budget.due():
            why = budget.over()
            if why is not None:
                program.kill(why)
        if not program.alive and program.open_streams and not ready:
            program.drain(list(program.open_streams))
    try:
        program.replies.feed()  # an uncaught exception's report, if the program sent one
        frame = program.replies.pop()
    except (OSError, frames.FrameTooLarge):
        frame = None
    program.close()
    output = bytes(program.output)
    shown = {"output": (output[:2000] + bytes(program.errors[-2000:])).decode("utf-8", "replace"),
             "truncated": len(output) > tester.output_cap}
    if shown["truncated"]:
        return {"status": "failed", "message": f"wrong answer: output over {tester.output_cap} bytes", **shown}
    if program.killed_for:
        return {"status": "timeout", "message": program.killed_for, **shown}
    if program.exit_cpu > tester.cpu_limit:
        return {"status": "timeout", "message": f"CPU time limit of {tester.cpu_limit:g} s exceeded", **shown}
    status = program.exit_status
    if status is None or os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0:
        report = {"status": "error", "message": f"runtime error ({describe_status(status)})"}
        try:
            info = wire.loads(frame).get("e") if frame else None
        except (wire.WireError, AttributeError):
            info = None
        if isinstance(info, dict):
            report = failure(program_exception(info), "error")
            report["message"] = f"runtime error ({describe_status(status)}): {report['message']}"
            report["frames"] = [f for f in report["frames"] if f[0] != TEST_FILE]
        return {**report, **shown}
    why = compare_output(output, str(case.get("output", "")).encode("utf-8"), tolerance,
                         bool(tester.job.get("case_insensitive")))
    if why is not None:
        return {"status": "failed", "message": f"wrong answer: {why}", **shown}
    return {"status": "passed", "message": "", **shown}


def run_io(tester: Tester) -> None:
    """stdin/stdout cases, each in a fresh program process; the first failure ends the run."""
    job = tester.job
    cases, tolerance = job["cases"], job.get("float_tolerance")
    for i, case in enumerate(cases):
        start = time.monotonic()
        result = run_case(tester, case, tolerance)
        result.update(name=f"case {i + 1}", duration=round(time.monotonic() - start, 6))
        tester.report(result)
        if result["status"] != "passed":
            for j in range(i + 1, len(cases)):
                tester.report({"name": f"case {j + 1}", "status": "skipped",
                               "message": f"not run: case {i + 1} did not pass"})
            return


def tidy(job: dict) -> None:
    """Between runs: nothing a run's tests started or left behind reaches the next run. This
    process is its PID namespace's init, so every process the tests started is its descendant."""
    me = os.readlink("/proc/self")  # this process as the (sandbox-wide) /proc numbers it
    try:
        with open(f"/proc/{me}/task/{me}/children") as f:
            started = f.read().split()
    except OSError:
        started = []
    if started and os.getpid() == 1:
        try:
            os.kill(-1, signal.SIGKILL)  # as a namespace's init: everything in it but itself
        except ProcessLookupError:
            pass
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
    for name in os.listdir("."):
        try:
            if os.path.isdir(name) and not os.path.islink(name):
                shutil.rmtree(name, ignore_errors=True)
            else:
                os.unlink(name)
        except OSError:
            pass
    if job.get("module"):
        sys.modules.pop(str(job["module"]), None)


ALARM: dict[str, Any] = {"tester": None}


def on_alarm(signum: int, _frame: Any) -> None:
    """The tests' own code ran out of CPU time (SIGPROF) or wall-clock time (SIGALRM)."""
    tester, ALARM["tester"] = ALARM["tester"], None
    if tester is None:
        return
    if tester.current is not None:
        tester.current.kill("the test ran out of time")
    what = "CPU time limit of" if signum == signal.SIGPROF else "wall-clock backstop of"
    limit = tester.cpu_limit if signum == signal.SIGPROF else tester.wall_limit
    raise tester.incident(Incident("timeout", f"{what} {limit:g} s exceeded"))


def armed(tester: Optional["Tester"]) -> None:
    """Arm (a tester) or disarm (None) the timers that stop a test's own code."""
    ALARM["tester"] = tester
    cpu, wall = (tester.cpu_limit, tester.wall_limit) if tester is not None else (0.0, 0.0)
    signal.setitimer(signal.ITIMER_PROF, cpu)
    signal.setitimer(signal.ITIMER_REAL, wall)


def main(job_fd: int, results_fd: int, zsock_fd: int, setup: dict) -> None:
    """Runs job after job until the server closes the job pipe; never returns. `setup`: the
    zygote's facts (private runs, /tmp options, paths to rebind)."""
    try:
        if setup.get("private_runs"):
            confine.enter_private_run(setup["tmp_opts"].encode(), setup.get("tmp_binds", []), fresh_proc=False)
        elif setup.get("rundir"):
            os.chdir(setup["rundir"])
        confine.close_fds_except((job_fd, results_fd, zsock_fd))
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
        link = Link(socket.socket(fileno=zsock_fd))
        signal.signal(signal.SIGPROF, on_alarm)
        signal.signal(signal.SIGALRM, on_alarm)
        jobs = frames.BlockingFrames(job_fd, JOB_CAP)
        while True:
            try:
                job = frames.json.loads(jobs.read())
            except frames.ChannelClosed:
                break
            tester = Tester(link, job)
            unusable = tester.compile()
            if unusable is not None:
                names = [t["name"] for t in job.get("tests") or []] or [
                    f"case {i + 1}" for i in range(len(job.get("cases") or []))]
                tester.results = [{**unusable, "name": name} for name in names]
            elif job.get("mode") == "io":
                run_io(tester)
            else:
                run_calls(tester)
            tidy(job)
            frames.send_frame(results_fd, frames.json_bytes(
                {"results": tester.results, "used": sorted(link.programs)}))
    except BaseException:
        if os.environ.get("STEPLABEL_SANDBOX_DEBUG"):
            with open(os.environ["STEPLABEL_SANDBOX_DEBUG"], "a") as f:
                f.write(f"tester {os.getpid()}:\n{traceback.format_exc()}\n")
    finally:
        os._exit(0)
