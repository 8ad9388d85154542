"""Call-style tests (HumanEval, MBPP, pytest, function-call cases) in the test process: the
tests run here one after another and call into one program process (a fresh one after a test
that ended it). Stdlib only (runs in the sandbox).

What crosses from the program is plain data, rebuilt here as exactly builtin types (`wire.py`),
so every comparison and truth test a test makes runs on values this process made. Objects that
are not plain data stay in the program's process behind a `Handle`: the tests may call them,
read and set their attributes and items, ask their length and iterate them (each answer again
plain data), but a handle never takes part in a comparison, a truth test or arithmetic: that
raises `Incident`, and the test ends `unknown`.
"""
from __future__ import annotations

import builtins
import marshal
import signal
import sys
import time
import traceback
from types import ModuleType
from typing import Any, Optional

from steplabel_inside import frames, wire
from steplabel_inside.link import Budget, Incident, Program

TEST_FILE = "<test>"
BUILTIN_NAMES = frozenset(n for n in builtins.__dict__ if not n.startswith("__"))
MODULE_NAMES = frozenset(sys.stdlib_module_names | {"pytest"}) - BUILTIN_NAMES
PLAIN_TYPES = (type(None), bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset)
LAZY = object()  # the program's object is an iterator: drawn from, not listed
SKIP = wire.SKIP  # a module the program imported that the tests do not get


class Handle:
    """An object that stays in the program's process. Calls, attributes, items, length and
    iteration are answered there as plain data; comparisons, truth and arithmetic are refused."""

    __slots__ = ("_n", "_what", "_tester")

    def __init__(self, n: int, what: str, tester: Any) -> None:
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
        items = self._tester.request("iter", self)
        return self._draw() if items is LAZY else iter(items)

    def __next__(self) -> Any:
        items, ended = self._tester.draw(self, 1)
        if not items:
            raise StopIteration
        return items[0]

    def _draw(self) -> Any:
        """The program's iterator, drawn in growing batches (an infinite generator stays usable)."""
        n = 1
        while True:
            items, ended = self._tester.draw(self, n)
            yield from items
            if ended:
                return
            n = min(n * 2, 1024)

    def __contains__(self, item: Any) -> bool:
        """`in` on the program's values, compared here (its own __contains__ is not asked)."""
        return any(value == item for value in self)

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

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = _refuse
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
        frames_ = info.get("frames")
        out += [[str(f[0]), int(f[1]), str(f[2])] for f in (frames_ if type(frames_) is list else [])
                if type(f) is list and len(f) == 3 and type(f[1]) is int]
        text += "\nIn the program's process:\n" + str(info.get("tb", ""))
    try:
        message = f"{type(exc).__name__}: {exc}"
    except BaseException:
        message = type(exc).__name__
    return {"status": status, "message": message[:4000], "frames": out[-50:], "tb": text[-8000:]}


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


def armed(tester: Any) -> None:
    """Arm (a tester) or disarm (None) the timers that stop a test's own code."""
    ALARM["tester"] = tester
    cpu, wall = (tester.cpu_limit, tester.wall_limit) if tester is not None else (0.0, 0.0)
    signal.setitimer(signal.ITIMER_PROF, cpu)
    signal.setitimer(signal.ITIMER_REAL, wall)


def start_program(tester: Any) -> tuple[Optional[Program], dict[str, Any], Optional[dict]]:
    """A program process that ran the program: (it, the program's names for the tests, or the
    report every test gets when the program could not be started or raised at top level)."""
    job = tester.job
    try:
        program = tester.program()
    except Incident as exc:
        return None, {}, {"status": exc.status, "message": exc.message, "infra": exc.infra}
    tester.budget = Budget(tester, program)
    program.send(marshal.dumps(("call", job.get("module"), tester.program_limits, tester.prelude, tester.compiled,
                                tester.processor)))
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
    return program, with_trusted(job, tests_names(tester, names, set(job.get("own") or []))), None


def missing(name: str) -> Any:
    """What the tests get for an entry point the program does not define: never a builtin or a
    module of the same name."""
    def entry(*_: Any, **__: Any) -> Any:
        raise NameError(f"the program does not define {name}")
    entry.steplabel_missing = True  # type: ignore[attr-defined]
    return entry


def ambiguous(tester: Any, name: str) -> Any:
    """What the tests get for a builtin's name the program redefined, with no entry point named."""
    def either(*_: Any, **__: Any) -> Any:
        raise tester.incident(Incident(
            "unknown", f"the program redefines the builtin {name}, and the tests call {name}: without a named "
                       "entry point nothing says which one they mean"))
    return either


def tests_names(tester: Any, names: list, own: set) -> dict[str, Any]:
    """The program's top-level names as the tests see them.

    What the program imported from the standard library (`math`, `isclose`, `Counter`) arrives as
    this process's own copy, never as the program's object; an object of the program's under a
    module's name (`math`, `pytest`) is not passed on (a test that uses `math.isclose` without
    importing math gets this process's math). Entry points (`own`, when the problem names them)
    are the program's whatever they are called, even `sorted` or `pow` (one the program does not
    define raises NameError, as in one process). Any other builtin's name stays the builtin; with
    no entry point named, a builtin's name the program redefines stands for neither: a test that
    calls it ends `unknown`. Everything else the program defines reaches the tests, as it would in
    one process: a helper the tests call without importing it is the program's to define."""
    base: dict[str, Any] = {}
    shadowed: set[str] = set()
    for pair in names:
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
            continue
        name, value = pair
        if not name.isidentifier() or name.startswith("__") or value is SKIP:
            shadowed.add(name)
            continue
        ours = type(value) is ModuleType or type(value) not in PLAIN_TYPES and type(value) is not Handle
        if name in own:
            base[name] = value
        elif ours and (type(value) is not ModuleType or name not in MODULE_NAMES or value.__name__ == name):
            base[name] = value  # this process's own module or stdlib object
        elif not own and name in BUILTIN_NAMES:
            base[name] = ambiguous(tester, name)
        elif name in MODULE_NAMES or name in BUILTIN_NAMES:
            shadowed.add(name)
        else:
            base[name] = value
    for name in own - set(base):
        if name in BUILTIN_NAMES or name in MODULE_NAMES:
            base[name] = missing(name)
    for name in (shadowed & MODULE_NAMES) - set(base):
        module = sys.modules.get(name)
        if module is not None:  # the program's other object of that name is not passed on
            base[name] = module
    return base


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


def program_output(tester: Any, program: Optional[Program]) -> dict:
    """What the program printed during a test (informational), within the output cap."""
    if program is None:
        return {"output": "", "truncated": False}
    output = bytes(program.output + program.errors)
    return {"output": output[:tester.output_cap].decode("utf-8", "replace"),
            "truncated": len(program.output) > tester.output_cap or len(program.errors) > tester.output_cap}


def run_calls(tester: Any) -> None:
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
            closing = tester.budget.closing()
            if closing is not None:
                result = {"status": closing.status, "message": closing.message}
        program.drain(tester.wait(list(program.open_streams), timeout=0))
        result.update(name=test["name"], duration=round(time.monotonic() - start, 6),
                      **program_output(tester, program))
        tester.report(result)
    if program is not None:
        program.close()
