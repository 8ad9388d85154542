"""The program's process: runs the code under test and only serves calls. Stdlib only.

It is forked by the zygote before any test content exists anywhere near it, as the first process
of a fresh PID namespace, in its own mount and IPC namespaces (fresh /tmp, its own /proc), with
no capabilities. It never receives the tests: it gets the program (compiled by the test
process, which is warm, with asserts kept; marshal travels only towards this process, never
from it), then call requests (a
function or a handle, plain-data arguments), and answers each with plain data (see `wire.py`),
a handle for anything else, or the builtin exception type its exception derives from. Nothing
it writes decides a verdict: the test process compares, and this process cannot see, signal,
trace or write to that one. Everything in this file is therefore the program's to change;
none of it needs to hold once the program runs (but `warden`, which runs in a process the
program never runs in).

Modes: "call" (HumanEval, MBPP, pytest, function-call cases) and "io" (the program is a script
reading stdin and writing stdout, run once per case in a fresh process of its own, a child of
the namespace's init, which kills and reaps everything else before it ends).
"""
from __future__ import annotations

import builtins
import io
import marshal
import os
import signal
import sys
import traceback
from types import FunctionType, ModuleType
from typing import Any

from steplabel_inside import confine, frames, wire

SOLUTION = "<solution>"
MESSAGE_CAP = 256 << 20
ITER_CAP = 1_000_000
NAME_CAP = 1 << 20  # a top-level value larger than this as data travels as a handle
WALL = 0x40000000  # waitpid's __WALL: children of any kind, clone()d ones included
WARDEN = b"warden"  # a frame from the test process ahead of a script's job: see `warden`


def builtin_base(exc: BaseException) -> str:
    """The name of the first builtin exception class in the exception's MRO."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins" and issubclass(cls, BaseException):
            return cls.__name__
    return "BaseException"


def describe(exc: BaseException) -> dict:
    """An exception as plain data: builtin type, message, and the program's own frames."""
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    frames_ = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename != __file__:
            frames_.append([str(code.co_filename), int(tb.tb_lineno), str(code.co_name)])
        tb = tb.tb_next
    try:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except BaseException:
        text = ""
    return {"type": builtin_base(exc), "name": type(exc).__name__[:100], "msg": message[:4000],
            "frames": frames_[-50:], "tb": text[-8000:]}


class Handles:
    """Objects that stay here; the test process holds only their numbers (one per object, so the
    same object is the same handle there too)."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.numbers: dict[int, int] = {}  # id(object) -> its number

    def tag(self, obj: Any) -> dict:
        """A handle for `obj`, described for evidence ("function add", "class Solution", "Eq object")."""
        n = self.numbers.get(id(obj))
        if n is None:
            n = self.numbers[id(obj)] = len(self.objects) + 1
            self.objects[n] = obj
        name = getattr(obj, "__qualname__", None) if callable(obj) else None
        kind = "class" if isinstance(obj, type) else "function" if callable(obj) else None
        what = f"{kind} {name}" if kind and isinstance(name, str) and name else \
            f"{type(obj).__name__ or '(nameless)'} object"
        return {"h": n, "k": str(what)[:200]}

    def get(self, n: int, _what: str) -> Any:
        return self.objects[n]

    def encode(self, value: Any, shared: wire.Shared) -> Any:
        """Plain data where it fits the caps (its lists, dicts and sets shared); a handle otherwise."""
        try:
            return wire.encode(value, self.tag, shared)
        except wire.NotPlain:
            return self.tag(value)


def _stream(fd: int, mode: str) -> Any:
    raw = io.FileIO(fd, mode, closefd=False)
    buffered = io.BufferedReader(raw, 1 << 16) if mode == "r" else io.BufferedWriter(raw, 1 << 16)
    return io.TextIOWrapper(buffered, encoding="utf-8", errors="replace" if mode == "r" else "strict",
                            newline=None if mode == "r" else "\n", line_buffering=False)


# Buffered text streams over descriptors 0-2, made once in the zygote (never used there) and
# inherited: a program process points 0-2 at its pipes and takes these instead of building them.
STREAMS = (_stream(0, "r"), _stream(1, "w"), _stream(2, "w"))
# The interpreter's own streams, held here so that a program process that replaces them does not
# free them: freeing writes to every page they and their buffers span (a copy each, ~27 a run).
STARTUP_STREAMS = (sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__)


def _streams() -> None:
    sys.stdin, sys.stdout, sys.stderr = STREAMS
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = STREAMS


def _flush() -> None:
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except BaseException:
            pass


def main(ctl: int, reply: int, stdin: int, out: int, err: int, setup: dict) -> None:
    """Never returns. `setup`: the zygote's facts (private runs, /tmp options, paths to rebind)."""
    try:
        os.setsid()
        if setup.get("private_runs"):
            confine.enter_private_run(setup["tmp_opts"].encode(), setup.get("tmp_binds", []), fresh_proc=True)
        elif setup.get("rundir"):
            os.chdir(setup["rundir"])
        for target, fd in ((0, stdin), (1, out), (2, err)):
            os.dup2(fd, target)
        confine.close_fds_except((ctl, reply))
        requests = frames.BlockingFrames(ctl, MESSAGE_CAP)
        job = requests.read()
        if job == WARDEN:
            if os.getpid() == 1:
                warden((ctl, reply))  # returns in the script's process only
            job = requests.read()
        # the job, from the test process: (mode, module name, rlimits, the program compiled there)
        mode, module_name, limits, prelude, compiled, cpu = marshal.loads(job)
        code = marshal.loads(compiled)
        prelude = marshal.loads(prelude) if prelude else None
    except BaseException:
        os._exit(70)
    if cpu is not None:
        confine.run_on((cpu,))
    _streams()
    confine.set_limits(limits)
    if mode == "io":
        os._exit(run_script(prelude, code, reply))
    serve(prelude, code, module_name, requests, reply)
    os._exit(0)


def warden(channels: tuple[int, int]) -> None:
    """A script's run, from its namespace's init, asked for before the job (so that this process
    has touched next to nothing of its memory: the script's process, forked here, copies only
    what it writes itself). The script runs in the child, to which this returns; this process
    runs nothing of the program's and ends only when every other process of the namespace is
    killed and reaped. The zygote's wait4 figures for it then hold all of their CPU time (an init
    that ends first has the kernel kill the rest and reap them uncounted; nothing inside can kill
    or trace this one). Its exit code is the script's, or 128 + the signal that ended it, as a
    shell reports it."""
    pid = confine.libc.fork()
    if pid <= 0:
        return  # the script's process (or, when no fork was possible, the script runs as init)
    for fd in (0, 1, 2, *channels):  # the test process sees the streams end with their writers
        os.close(fd)
    status = os.waitpid(pid, 0)[1]
    try:
        os.kill(-1, signal.SIGKILL)  # as the namespace's init: every process in it but this one
    except ProcessLookupError:
        pass
    while True:
        try:
            os.waitpid(-1, WALL)
        except ChildProcessError:
            break
    exit_code = os.waitstatus_to_exitcode(status)
    os._exit(exit_code if exit_code >= 0 else 128 - exit_code)


def run_script(prelude: Any, code: Any, reply: int) -> int:
    """Run the program as a script, as `python solution.py < input` would; the exit code."""
    module = ModuleType("__main__")
    module.__dict__.update(__builtins__=builtins, __file__="solution.py")
    sys.modules["__main__"] = module
    sys.argv = ["solution.py"]
    status = 0
    try:
        if prelude is not None:
            exec(prelude, module.__dict__)
        exec(code, module.__dict__)
        import threading
        threading._shutdown()  # a script that works in a thread (deep recursion) finishes first
    except SystemExit as exc:
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code & 0xFF
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except BaseException as exc:
        traceback.print_exc()
        try:
            frames.send_frame(reply, wire.dumps({"e": describe(exc)}))
        except BaseException:
            pass
        status = 1
    try:  # then, as an interpreter that ends: its atexit functions, then its globals let go of
        import atexit  # (a file object on stdout that was never flushed writes out as it goes)
        atexit._run_exitfuncs()
        module.__dict__.clear()
        import gc
        gc.collect()
    except BaseException:
        pass
    _flush()
    return status


def top_level(value: Any, handles: Handles, module_name: str) -> Any:
    """A top-level name's value: a function or class imported from the standard library as where
    it came from (the tests take their own copy), data within NAME_CAP, a handle otherwise."""
    if callable(value) and not isinstance(value, ModuleType):
        origin = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
        if all(type(o) is str for o in origin) and origin[0] != module_name \
                and origin[0].split(".")[0] in sys.stdlib_module_names:
            return {"o": list(origin)}
        if type(value) is FunctionType or type(value) is type:  # (the program's own: no data to look for)
            return handles.tag(value)
    try:
        encoded = wire.encode(value, handles.tag)
        if type(encoded) is dict and "h" in encoded or len(wire.to_bytes(encoded)) <= NAME_CAP:
            return encoded
    except wire.NotPlain:
        pass
    return handles.tag(value)


def serve(prelude: Any, code: Any, module_name: Any, requests: frames.BlockingFrames, reply: int) -> None:
    """Run the program, send its top-level names, then answer calls until the channel closes."""
    handles = Handles()
    module = ModuleType(module_name if isinstance(module_name, str) else "__main__")
    module.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = module
    if isinstance(module_name, str):
        sys.modules[module_name] = module
    given: dict = {}
    try:
        if prelude is not None:
            exec(prelude, module.__dict__)
            given = dict(module.__dict__)  # the prelude's names: the tests do not need them
        exec(code, module.__dict__)
    except BaseException as exc:
        _flush()
        frames.send_frame(reply, wire.dumps({"e": describe(exc)}))
        return
    names = [[k, top_level(v, handles, module.__name__)] for k, v in list(module.__dict__.items())
             if isinstance(k, str) and not k.startswith("__") and given.get(k, given) is not v]
    _flush()
    try:
        message = wire.to_bytes({"d": [["names", names]]})
    except wire.NotPlain:  # too much data in all: every name as a handle
        message = wire.to_bytes({"d": [["names", [[k, handles.tag(module.__dict__[k])] for k, _ in names]]]})
    frames.send_frame(reply, message)
    shared = wire.Shared(-1)
    while True:
        try:
            request = requests.read()
        except (frames.ChannelClosed, OSError):
            return
        message = answer(request, handles, shared)
        shared.prune()  # (the call's own references are gone with `answer`)
        if shared.sent and message[:1] in (wire.VALUE, wire.TUPLE):  # (it kept an argument)
            message = wire.full_answer(message)
        frames.send_frame(reply, wire.with_field(message, "held", list(shared.sent)) if shared.sent else message)


def answer(request: bytes, handles: Handles, shared: wire.Shared) -> bytes:
    """One request: {"op", "h": target, ...}; the reply {"v": value} or {"e": exception}, with
    "m": the shared lists, dicts and sets the program changed (this call's arguments, or ones of
    an earlier call or results it kept, which the tests still hold), as they are now (the test
    process changes its own to match, as in one process), and "lost": those changed beyond what
    plain data can carry. The request's "m" are the tests' changes to what both hold; its "held",
    what of that the tests still hold (the serving loop adds the program's "held"). A call in
    short form (wire.CALL) is answered in short form when it can be (see `wire.short_answer`)."""
    short = request[:1] == wire.CALL
    try:
        if short:
            n, args, keyed = marshal.loads(request[1:])
            for i, key in keyed:
                shared.bind(key, args[i])
            req = {"op": "call", "h": handles.get(n, ""), "a": args, "held": [key for _, key in keyed]}
        else:
            req = wire.loads(request, handles.get, shared=shared)
        op, target = req["op"], req["h"]
        args, kwargs = req.get("a", []), req.get("k", {})
        shared.keep(req.get("held"))
        for given in [*(req.get("m") or []), *args, *kwargs.values(), req.get("v"), req.get("i")]:
            shared.watch(given, handles.tag)
        if op == "call":
            value = target(*args, **kwargs)
        elif op == "get":
            value = getattr(target, req["n"])
        elif op == "set":
            setattr(target, req["n"], req["v"])
            value = None
        elif op == "item":
            value = target[req["i"]]
        elif op == "setitem":
            target[req["i"]] = req["v"]
            value = None
        elif op == "len":
            value = len(target)
        elif op == "iter" and iter(target) is target:  # an iterator (a generator): the tests draw from it
            return wire.to_bytes({"d": [["lazy", True]]})
        elif op == "iter":  # (the items as a tuple: the harness's own container is no shared one)
            items = []
            for item in target:
                items.append(item)
                if len(items) > ITER_CAP:
                    raise ValueError(f"the iterator yields more than {ITER_CAP} items")
            value = tuple(items)
        elif op == "next":  # (up to n items, whether it ended)
            items, ended = [], False
            for _ in range(min(max(int(req.get("n", 1)), 1), 4096)):
                try:
                    items.append(next(target))
                except StopIteration:
                    ended = True
                    break
            value = (tuple(items), ended)
        else:
            raise ValueError(f"unknown request {op!r}")
    except BaseException as exc:
        _flush()
        changed, lost = shared.changes(handles.tag)  # (what an exception left changed too)
        body = [["e", wire.encode(describe(exc))]]
    else:
        _flush()
        changed, lost = shared.changes(handles.tag)
        message = wire.short_answer(value) if short and not changed and not lost else None
        if message is not None:
            return message
        encoded = handles.encode(value, shared)
        if type(value) in wire.MUTABLE and "h" not in encoded:  # a result the program keeps may change later
            shared.watch(value, encoded=encoded)  # (its content now goes with it, changed or not)
        body = [["v", encoded]]
    body += ([["m", changed]] if changed else []) + ([["lost", lost]] if lost else [])
    try:
        return wire.to_bytes({"d": body})
    except wire.NotPlain:  # too large in all: the value as a handle, every change lost
        lost += [next(iter(c.values()))[0] for c in changed]
        if body[0][0] == "v":
            lost += [shared.key(value)] if type(value) in wire.MUTABLE else []
            body[0] = ["v", handles.tag(value)]
        return wire.to_bytes({"d": [body[0], ["lost", lost]]})
