"""The test process: runs the tests and forms every verdict. Stdlib only (runs in the sandbox).

It is forked once by the zygote, as the first process of a PID namespace of its own (so
everything a test starts dies with it), in its own mount and IPC namespaces, with no
capabilities, and serves run after run. The program runs elsewhere (`program.py`), in a PID
namespace of its own that cannot see this process; the zygote hands this process the pipes to
each program process (`link.py`). Call-style tests are in `calls.py`, stdin/stdout cases in
`stdio.py`.

An `Incident` (a timeout, a program process that ended, a non-plain value used as data) is
recorded before it is raised into the test, so a test that catches it still cannot pass.
"""
from __future__ import annotations

import importlib
import marshal
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback
from typing import Any, Optional

from steplabel_inside import confine, frames, wire
from steplabel_inside.calls import LAZY, SKIP, Handle, on_alarm, program_exception, run_calls
from steplabel_inside.link import POLL, Budget, Incident, Link, Program
from steplabel_inside.stdio import run_io

JOB_CAP = 1 << 30
TESTER_FLOOR = 512 << 20  # the test process's address-space ceiling is never lower
NOT_IMPORTED = frozenset({"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "webbrowser",
                          "__hello__", "__phello__", "test", "pydoc", "pdb", "code", "ensurepip", "venv"})


class Tester:
    def __init__(self, link: Link, job: dict) -> None:
        self.link, self.job = link, job
        self.cpu_limit = float(job.get("cpu_limit", 3.0))
        self.wall_limit = float(job.get("wall_limit", 30.0))
        self.output_cap = int(job.get("output_cap", 65536))
        self.program_limits = job.get("limits", {})
        caller = job.get("cpu")  # the CPU the host waits on, if it said
        self.processor = caller if type(caller) is int and caller >= 0 else confine.current_cpu()  # (confine.run_on)
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
        """A fresh program process: the one the zygote handed over ahead (at the end of the last
        run, when this process held none), or, when none is here (a run that needs another, a
        fork that failed), one asked for now. One that ended while it waited (killed from outside:
        nothing of a run was in it yet) is passed over."""
        link = self.link
        link.take_notices()
        while True:
            if not link.fresh:
                if not link.expecting:
                    link.refused = ""
                    self.zygote({"want": "program"})
                    link.expecting = True
                deadline = time.monotonic() + 60.0
                while not link.fresh:
                    if link.refused or time.monotonic() > deadline:
                        raise Incident("error", "no program process could be started "
                                                f"({link.refused or 'no answer'})", infra=True)
                    self.wait([], timeout=1.0)
            pid, fds = link.fresh.pop(0)
            program = link.programs[pid] = Program(self, pid, fds)
            if pid not in link.exits:
                self.current = program
                return program
            program.exit_status, program.exit_cpu = link.exits.pop(pid)
            program.close()

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
        """One request to the program's process: `op` on `target`, with `fields` (the arguments
        "a" and keywords "k", an attribute's name "n", an item's key "i", a value "v"); its answer."""
        program = self.current
        if program is None or not program.alive:
            raise self.incident(Incident("error", "the program's process had already ended"))
        shared = program.shared
        shared.prune()
        args = fields.get("a")
        containers = wire.short_arguments(args) if op == "call" and not fields.get("k") and not shared.objects \
            else None
        if containers is not None:
            request = self.short_request(target, args, containers)
            if len(request) <= wire.MAX_BYTES:  # (a larger one takes the full form, which refuses it)
                return self.short_call(program, request)
        try:
            changed, lost = shared.changes(self._plain_arg)  # what the tests changed of what both hold
            if lost:
                raise wire.NotPlain("the tests made a list, dict or set the program holds too large")
            body = [["op", op], ["h", self._plain_arg(target)]]
            for name, value in fields.items():  # (one encoding for all of a call's arguments: aliasing kept)
                given = tuple(value.values()) if name == "k" else tuple(value) if name == "a" else (value,)
                encoded = wire.encode(given, self._plain_arg, shared)["t"]
                for v, e in zip(given, encoded):
                    shared.watch(v, encoded=e)
                if name == "k":
                    encoded = {"d": [[k, e] for k, e in zip(value, encoded)]}
                body.append([name, encoded if name in ("a", "k") else encoded[0]])
            body += ([["m", changed]] if changed else []) + ([["held", list(shared.sent)]] if shared.sent else [])
            data = wire.to_bytes({"d": body})
        except wire.NotPlain as exc:
            raise self.incident(Incident("unknown", f"the tests pass a value that is not plain data ({exc})"))
        program.send(data)
        try:
            return self.read_answer(program, op, program.answer(self.budget))
        except Incident as exc:
            raise self.incident(exc)
        except (wire.WireError, frames.FrameTooLarge) as exc:
            program.kill("malformed reply")
            raise self.incident(Incident("error", f"the program's process sent a malformed reply ({exc})"))

    def short_request(self, target: Handle, args: list, containers: list[int]) -> bytes:
        """A call in short form (see wire.CALL), its lists, dicts and sets at `containers` shared
        from now on."""
        shared = self.current.shared  # type: ignore[union-attr]
        keyed = []
        for i in containers:
            keyed.append((i, shared.key(args[i])))
            shared.watch(args[i])
        return wire.CALL + marshal.dumps((target._n, tuple(args), keyed))

    def short_call(self, program: Program, request: bytes) -> Any:
        """A call in short form: its answer, in short form when the program's answer is a scalar
        (or a tuple of scalars), nothing changed and nothing of the call kept there."""
        shared = program.shared
        program.send(request)
        try:
            message = program.answer(self.budget)
            if message[:1] != wire.VALUE and message[:1] != wire.TUPLE:
                return self.read_answer(program, "call", message)
            shared.keep(None)  # (the program holds none of them)
            return wire.read_short_answer(message)
        except Incident as exc:
            raise self.incident(exc)
        except (wire.WireError, frames.FrameTooLarge) as exc:
            program.kill("malformed reply")
            raise self.incident(Incident("error", f"the program's process sent a malformed reply ({exc})"))

    def read_answer(self, program: Program, op: str, message: bytes) -> Any:
        """The value of a reply in the full form (see `request`); an Incident for the caller to record."""
        shared = program.shared
        reply = wire.loads(message, self.handle, self.module, shared)
        if type(reply) is not dict:
            raise Incident("error", "the program's process sent a malformed reply")
        if "e" in reply:
            info = reply["e"] if type(reply["e"]) is dict else {}
            if info.get("type") in ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseException"):
                raise Incident("error", f"the program exited during a call ({info.get('name')}: "
                                        f"{str(info.get('msg', ''))[:200]})")
            raise program_exception(info)
        if op == "iter" and reply.get("lazy") is True:
            return LAZY
        lost = reply.get("lost")
        if type(lost) is list and any(key in shared.objects for key in lost if type(key) is int):
            raise Incident("unknown", "the call changed a list, dict or set the tests hold into more "
                                      "than plain data can carry: nothing here can see what it became")
        self.note_held(shared, reply)
        return reply.get("v")

    def note_held(self, shared: wire.Shared, reply: dict) -> None:
        """Watch, of what the tests hold, what the program says it holds too (a change the tests
        make to it goes with the next request), as it is now."""
        held = reply.get("held")
        shared.keep(held)
        wanted = set(held) if type(held) is list else set()
        for obj in [reply.get("v"), *(reply.get("m") if type(reply.get("m")) is list else [])]:
            if type(obj) in wire.MUTABLE and shared.keys.get(id(obj)) in wanted:
                shared.watch(obj, self._plain_arg)

    def draw(self, target: Handle, n: int) -> tuple[tuple, bool]:
        """Up to `n` items from the program's iterator, and whether it ended."""
        got = self.request("next", target, n=n)
        items, ended = got if type(got) is tuple and len(got) == 2 else (None, None)
        if type(items) is not tuple or type(ended) is not bool or len(items) > n:
            raise self.incident(Incident("error", "the program's process sent a malformed reply"))
        return items, ended or not items

    def handle(self, n: int, what: str) -> Handle:
        """The program's object `n`: the same Handle each time it comes, as one object would be."""
        known = self.current.handles if self.current is not None else {}
        if n not in known:
            known[n] = Handle(n, what, self)
        return known[n]

    def module(self, name: str) -> Any:
        """A module the program imported: this process's own copy, when it is one the tests may
        import themselves (the standard library or a preloaded one); SKIP otherwise."""
        if name in self.modules:
            return self.modules[name]
        module = sys.modules.get(name)
        parts = name.split(".")
        if module is None and parts[0] in sys.stdlib_module_names and parts[0] not in NOT_IMPORTED \
                and all(p.isidentifier() and not p.startswith("__") for p in parts):
            try:  # (a `__main__` module would run a program: never imported for the program's sake)
                module = importlib.import_module(name)
            except BaseException:
                module = None
        self.modules[name] = SKIP if module is None else module
        return self.modules[name]

    # --- reporting ----------------------------------------------------------------------------

    def report(self, result: dict) -> None:
        self.results.append(result)


def clear(directory: str, device: int) -> None:
    """Remove everything under `directory` that is on `device` (this run's /tmp). Other
    filesystems mounted in it are left alone, with everything under them: an interpreter that
    lives under /tmp is bound back, read-only, over every run's /tmp (a virtualenv made there),
    and walking it to delete nothing cost a third of a second a run."""
    for entry in os.scandir(directory):
        try:
            if entry.stat(follow_symlinks=False).st_dev != device:
                continue
            if entry.is_dir(follow_symlinks=False):
                clear(entry.path, device)
                os.rmdir(entry.path)  # (refused while a mount is inside it)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def tidy(job: dict) -> None:
    """Between runs: nothing a run's tests started or left behind reaches the next run. This
    process is its PID namespace's init, so every process the tests started is its descendant."""
    me = os.readlink("/proc/self")  # this process as the (sandbox-wide) /proc numbers it
    try:
        fd = os.open(f"/proc/{me}/task/{me}/children", os.O_RDONLY)
        try:
            started = os.read(fd, 4096).split()
        finally:
            os.close(fd)
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
    clear(".", os.stat(".").st_dev)
    if job.get("module"):
        sys.modules.pop(str(job["module"]), None)


def fresh_run(job: dict) -> None:
    """What a run's tests start from, whatever the last run's did: `random` seeded as in every
    program process (a test drawing its cases from it draws the same ones in every run and every
    build), and this run's memory ceiling (a soft limit on the address space)."""
    if "random" in sys.modules:
        sys.modules["random"].seed(0)
    ceiling = (job.get("tester_limits") or {}).get("as")
    if isinstance(ceiling, int) and ceiling > 0:
        try:  # (never below what this process itself needs to read a large reply and say so)
            resource.setrlimit(resource.RLIMIT_AS, (max(ceiling, TESTER_FLOOR),
                                                    resource.getrlimit(resource.RLIMIT_AS)[1]))
        except (ValueError, OSError):
            pass


def report(results_fd: int, results: list[dict], about: dict) -> None:
    """A run's report, read by the host: a line about the run (how many results, or the crash),
    then the results (see server.py)."""
    frames.send_frame(results_fd, frames.json_bytes({**about, "n": len(results)}) + b"\n" +
                      frames.json_bytes({"results": results}))


def main(job_fd: int, results_fd: int, zsock_fd: int, setup: dict) -> None:
    """Runs job after job until the host closes the job pipe; never returns. `setup`: the
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
        anywhere = os.sched_getaffinity(0)
        while True:
            try:
                job = frames.json.loads(jobs.read())
            except frames.ChannelClosed:
                break
            tester = Tester(link, job)
            if tester.processor is not None:
                confine.run_on((tester.processor,))
            fresh_run(job)
            try:
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
            except Exception:  # a fault of this harness: said, and this process is replaced
                report(results_fd, tester.results, {"crash": traceback.format_exc()[-2000:]})
                break
            report(results_fd, tester.results, {})
            link.finish()
            if tester.processor != job.get("cpu"):  # (no caller's CPU: placed again at the next job)
                confine.run_on(anywhere)
    finally:
        os._exit(0)
