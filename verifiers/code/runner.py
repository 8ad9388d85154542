"""Unit-test runners for the test styles, on top of `Sandbox.run` and `Sandbox.run_io`.

The call styles turn (program, tests) into the program (run once, in a process of its own,
compiled as "<solution>") and a list of tests (compiled as "<test>", run one after another in
the test process, calling into the program's):
  HumanEval  `def check(candidate): ...` plus the entry point -> one test `check(entry_point)`
  MBPP       a list of assert statements (plus optional setup code) -> one test per assert
  pytest     a test file; every top-level `test_*` function and every test method of a `Test*`
             class or a unittest.TestCase is a test, run as pytest runs it (`_PYTEST_HARNESS`):
             parametrize cases inside that test; skip/skipif/xfail marks, pytest.skip/xfail/fail
             and unittest's skips and expected failures (skipped, xfailed and non-strict xpassed
             tests are neither passes nor failures, and a run of nothing else is no pass); xunit
             set-up and tear-down (setup_module/class/method/function, setUp/tearDown, setUpClass); the
             file's own fixtures (yield, params, autouse) plus request, tmp_path and monkeypatch
             (a test needing another fixture is undecided); an `async def` test runs to completion
             on a fresh asyncio event loop. The program is importable as module `solution`
             (`from solution import f`).
  calls      function-call cases (APPS/TACO `fn_name`, LiveCodeBench functional): one test per
             case, the entry point (or `Solution().<fn_name>`) called with the case's arguments,
             its result compared with the expected one as APPS does (tuples as lists; an
             expected one-element list may wrap the value)
and one style runs the program as a script:
  stdio      (input, expected output) cases, each in a fresh process; outputs equal token by
             token after whitespace normalisation (numbers within `float_tolerance` if given)

`reference.tests` holds the first three as code; the last two as a JSON document:
  {"format": "stdio", "cases": [{"input": str, "output": str}], "float_tolerance": float|null,
   "case_insensitive": bool, "prelude": str|null}
  {"format": "calls", "fn_name": str, "cases": [{"input": [args...], "output": value}],
   "unwrap": bool (default true: APPS's one-element-list rule), "prelude": str|null}
`prelude` is code run before the program in its own process (the imports a dataset's judge adds).
"""
from __future__ import annotations

import ast
import functools
import hashlib
import importlib.machinery
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from .extract import Program, build_program
from .isolation import site_packages
from .sandbox import Sandbox, TestResult

SOLUTION_FILE = "<solution>"


FAILING = ("failed", "error", "timeout")  # decided in the test process, from plain data
# pytest's outcomes that are neither a pass nor a failure: a non-strict xpass does not fail a run, but
# a test expected to fail that passed is no evidence the program is right
NEUTRAL = ("skipped", "xfailed", "xpassed")


@dataclass
class RunReport:
    """The outcome of running one program against its tests."""

    results: list[TestResult] = field(default_factory=list)
    isolation: str = ""
    error: str = ""  # set when the tests could not even be built (e.g. unparsable test file)
    run_id: str = ""  # a digest of the program and its tests: the same run has the same id in every build

    @property
    def passed(self) -> bool:
        """Every test passed, was skipped, xfailed or xpassed (as pytest counts a run), and one
        passed at least: a run whose every test was skipped decided nothing, so it is no pass."""
        return (not self.error and any(r.passed for r in self.results)
                and all(r.passed or r.status in NEUTRAL for r in self.results))

    @property
    def neutral(self) -> bool:
        """Every test was skipped, xfailed or xpassed: the tests decided nothing about the program."""
        return bool(self.results) and all(r.status in NEUTRAL for r in self.results)

    @property
    def infra(self) -> bool:
        """The sandbox failed on some test (not the program): nothing is known about those."""
        return any(r.infra for r in self.results)

    @property
    def failed(self) -> bool:
        """Some test failed, raised or ran out of time: decided whatever else happened."""
        return any(r.status in FAILING for r in self.results if not r.infra)

    @property
    def undecided(self) -> Optional[TestResult]:
        """The first test that needed a value that is not plain data (status `unknown`)."""
        return next((r for r in self.results if r.status == "unknown"), None)

    def _first_bad(self) -> Optional[TestResult]:
        """The test a summary names: the first failure, else the first undecided, else any other
        test that did not pass (a skipped one only when nothing passed)."""
        for wanted in (lambda r: r.status in FAILING, lambda r: r.status == "unknown",
                       lambda r: not r.passed and r.status not in NEUTRAL,
                       lambda r: not r.passed and not self.passed):
            found = next((r for r in self.results if wanted(r)), None)
            if found is not None:
                return found
        return None

    def summary(self) -> str:
        if self.error:
            return self.error
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        bad = self._first_bad()
        what = "first failure" if bad is None or bad.status in FAILING else f"first {bad.status}"
        tail = f"; {what} {bad.name}: {bad.message}" if bad else ""
        return f"{len(self.results)} tests: {parts}{tail}"


def run_digest(program: str, tests: Any) -> str:
    return hashlib.sha256(json.dumps([program, tests], sort_keys=True).encode()).hexdigest()[:12]


def humaneval_tests(test: str, entry_point: str) -> list[dict[str, str]]:
    return [{"name": "check", "code": f"{test}\n\ncheck({entry_point})\n"}]


def mbpp_tests(asserts: Sequence[str], setup_code: str = "") -> list[dict[str, str]]:
    prefix = f"{setup_code}\n" if setup_code.strip() else ""
    return [{"name": f"assert_{i}", "code": prefix + a} for i, a in enumerate(asserts)]


# The pytest harness, run in the test process: `__steplabel_run` executes the test file (compiled as
# "<test>", its lines keep their numbers) and then one test of it. Every name here begins
# `__steplabel_`, a prefix no program name reaches the tests with. A status other than passed or
# failed leaves a test as an `Incident` (the test process's own "this decides the test").
_PYTEST_HARNESS = '''
def __steplabel_run(source, cls_name, name):
    """The test file, then one of its tests as pytest runs it: its marks, set-up, fixtures,
    parametrize cases and tear-down; a coroutine runs to completion. An outcome other than a
    pass or a failure (skipped, xfailed, xpassed; a pass with a note) ends the test as an
    Incident with that status."""
    from steplabel_inside.link import Incident
    try:
        exec(compile(source, "<test>", "exec", dont_inherit=True, optimize=0), globals())
    except BaseException as exc:
        if isinstance(exc, __steplabel_kit(Incident).skips):  # pytest.importorskip, skip(allow_module_level=True)
            raise Incident("skipped", f"the test file skipped itself: {exc}") from None
        raise
    kit = __steplabel_kit(Incident)
    namespace = globals()
    cls = namespace.get(cls_name) if cls_name else None
    target = getattr(cls, name, None) if isinstance(cls, type) else namespace.get(name)
    if (cls_name and not isinstance(cls, type)) or not callable(target) or not __steplabel_own(target):
        raise Incident("unknown", f"{cls_name or name} is not a test of the test file here (not callable, or the "
                                  "program's name in its place): nothing decides this test")
    marks = __steplabel_marks(kit, target, cls)
    if cls is not None and issubclass(cls, kit.unittest.TestCase):
        outcome = __steplabel_testcase(kit, cls, name, marks)
    else:
        outcome = __steplabel_cases(kit, cls, name, target, marks)
    if outcome is not None:
        raise Incident(*outcome)


def __steplabel_kit(Incident):
    """pytest's outcome and mark classes (when the test file imported pytest), unittest's, Incident."""
    import sys
    import types
    import unittest
    pytest = sys.modules.get("pytest")
    kit = types.SimpleNamespace(pytest=pytest, unittest=unittest, Incident=Incident, skips=(unittest.SkipTest,),
                                xfails=(), fails=(), mark=(), decorator=(), paramset=())
    if pytest is not None:
        kit.skips += (pytest.skip.Exception,)
        kit.xfails, kit.fails = (pytest.xfail.Exception,), (pytest.fail.Exception,)
        kit.mark = tuple(t for t in (getattr(pytest, "Mark", None),) if t)  # public since pytest 7
        kit.decorator = tuple(t for t in (getattr(pytest, "MarkDecorator", None),) if t)
        kit.paramset = (type(pytest.param(None)),)
    return kit


def __steplabel_own(value):
    """Made in this process: a handle to the program's objects never stands in for a test, a mark,
    a fixture or a set-up function."""
    return not str(getattr(type(value), "__module__", "")).startswith("steplabel_inside")


def __steplabel_unpack(kit, value):
    """A `pytestmark` value (a mark, a mark decorator, or a list of them) as marks; nothing else is one."""
    out = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        item = item.mark if isinstance(item, kit.decorator) else item
        if isinstance(item, kit.mark):
            out.append(item)
    return out


def __steplabel_marks(kit, target, cls):
    """The test's marks, nearest first: its own, its class's (and bases'), the module's."""
    found = __steplabel_unpack(kit, getattr(target, "__dict__", {}).get("pytestmark", []))
    for klass in cls.__mro__ if cls is not None else ():
        found += __steplabel_unpack(kit, vars(klass).get("pytestmark", []))
    return found + __steplabel_unpack(kit, globals().get("pytestmark", []))


def __steplabel_holds(condition):
    """A skipif/xfail condition as pytest reads it: a string is an expression over the module."""
    if isinstance(condition, str):
        import os
        import platform
        import sys
        return bool(eval(condition, {"os": os, "sys": sys, "platform": platform, **globals()}))
    return bool(condition)


def __steplabel_conditions(mark):
    return (mark.kwargs["condition"],) if "condition" in mark.kwargs else tuple(mark.args)


def __steplabel_skip_reason(marks):
    """Why a skip or skipif mark skips the test, or None."""
    for mark in marks:
        if mark.name == "skip":
            return str(mark.kwargs.get("reason", mark.args[0] if mark.args else "unconditional skip"))
        if mark.name == "skipif":
            conditions = __steplabel_conditions(mark)
            held = [c for c in conditions if __steplabel_holds(c)]
            if held or not conditions:
                default = f"condition: {held[0]}" if held and isinstance(held[0], str) else "skipif"
                return str(mark.kwargs.get("reason") or default)
    return None


def __steplabel_xfail(marks):
    """The first xfail mark whose condition holds (reason, run, strict, raises), or None."""
    import types
    for mark in marks:
        if mark.name != "xfail":
            continue
        conditions = __steplabel_conditions(mark)
        if conditions and not any(__steplabel_holds(c) for c in conditions):
            continue
        return types.SimpleNamespace(reason=str(mark.kwargs.get("reason", "")), run=mark.kwargs.get("run", True),
                                     strict=mark.kwargs.get("strict", False), raises=mark.kwargs.get("raises"))
    return None


def __steplabel_gate(marks):
    """The outcome the marks decide before anything runs (a skip, an xfail with run=False), or None."""
    reason = __steplabel_skip_reason(marks)
    if reason is not None:
        return ("skipped", reason)
    xfail = __steplabel_xfail(marks)
    if xfail is not None and not xfail.run:
        return ("xfailed", f"[NOTRUN] {xfail.reason}".strip())
    return None


def __steplabel_settle(kit, error, xfail):
    """A finished case as pytest reports it: None (passed), (status, message) for a skip, an
    xfail or a non-strict xpass, or its error raised again (a failure, with its traceback)."""
    if error is None:
        if xfail is None:
            return None
        if xfail.strict:
            raise AssertionError(f"[XPASS(strict)] {xfail.reason}".strip())
        return ("xpassed", xfail.reason)
    if isinstance(error, kit.Incident):
        raise error
    if isinstance(error, kit.skips):
        return ("skipped", str(error))
    if isinstance(error, kit.xfails):
        return ("xfailed", str(error))
    if xfail is not None and isinstance(error, (Exception, *kit.fails)) and (
            xfail.raises is None or isinstance(error, xfail.raises)):
        return ("xfailed", xfail.reason or f"{type(error).__name__}: {error}"[:500])
    if isinstance(error, kit.fails):
        raise AssertionError(str(error)).with_traceback(error.__traceback__)
    raise error


def __steplabel_overall(outcomes):
    """The test's outcome from its cases' (none failed): passed when one passed (with a note of
    the others), else the first case's skip, xfail or xpass."""
    if None not in outcomes:
        return outcomes[0]
    notes = sorted({f"{o[0]}: {o[1]}" for o in outcomes if o is not None})
    return ("passed", "; ".join(notes)[:1000]) if notes else None


def __steplabel_finish(kit, teardowns, error):
    """Tear-downs, last set up first; the first error (the test's own, else a tear-down's) is kept.
    After an Incident (a timeout, the program gone) nothing more runs: the test is decided."""
    if isinstance(error, kit.Incident):
        return error
    while teardowns:
        try:
            teardowns.pop()()
        except BaseException as exc:
            error = error or exc
    return error


def __steplabel_await(value):
    """What a test returned: a coroutine runs to completion on a fresh event loop (as pytest-asyncio
    or anyio would run an `async def` test), so its asserts decide the test."""
    import inspect
    if inspect.iscoroutine(value):
        import asyncio
        asyncio.run(value)


def __steplabel_call_optional(func, arg):
    """pytest's xunit call: the argument only when the function takes one."""
    code = getattr(func, "__code__", None)
    count = code.co_argcount - (1 if hasattr(func, "__self__") else 0) if code is not None else 0
    return func(arg) if count > 0 else func()


def __steplabel_xunit(teardowns, owner, setups, teardown_names, arg):
    """A module, class, method or function set-up of pytest's xunit style; its tear-down runs
    (later) only once the set-up succeeded."""
    get = owner.get if isinstance(owner, dict) else lambda key: getattr(owner, key, None)
    setup = next((get(n) for n in setups if get(n) is not None), None)
    teardown = next((get(n) for n in teardown_names if get(n) is not None), None)
    if setup is not None and callable(setup) and __steplabel_own(setup):
        __steplabel_call_optional(setup, arg)
    if teardown is not None and callable(teardown) and __steplabel_own(teardown):
        teardowns.append(lambda: __steplabel_call_optional(teardown, arg))


def __steplabel_module():
    """The test file as the module object setup_module(module) gets: its attributes are the file's globals."""
    namespace = globals()

    class TestFile:
        def __getattr__(self, key):
            try:
                return namespace[key]
            except KeyError:
                raise AttributeError(key) from None

        def __setattr__(self, key, value):
            namespace[key] = value

    return TestFile()


def __steplabel_argnames(func):
    """The arguments pytest fills (fixtures, parametrize names): those without a default."""
    import inspect
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def __steplabel_fixture_defs(cls):
    """The test file's fixtures by name: the module's, then the class's and its bases' (nearer
    ones win), each as (function, pytest's marker, defined in a class)."""
    import inspect
    found = {}
    scopes = [(globals(), False)] + [(vars(k), True) for k in reversed(cls.__mro__)] if cls is not None else [
        (globals(), False)]
    for scope, in_class in scopes:
        for value in list(scope.values()):
            marker = __steplabel_fixture_marker(value)
            func = inspect.unwrap(value) if marker is not None else None
            if inspect.isfunction(func):
                found[marker.name or func.__name__] = (func, marker, in_class)
    return found


def __steplabel_fixture_marker(value):
    """pytest's marker of a fixture definition (pytest 8.4+ wraps the function, older ones tag it), or None."""
    if not __steplabel_own(value):
        return None
    try:
        marker = getattr(value, "_fixture_function_marker", None) or getattr(value, "_pytestfixturefunction", None)
    except Exception:
        return None
    return marker if type(marker).__name__ == "FixtureFunctionMarker" else None


def __steplabel_fixture_args(entry):
    func, _, in_class = entry
    names = __steplabel_argnames(func)
    return names[1:] if in_class else names


def __steplabel_closure(defs, names):
    """Every fixture the names need, through the fixtures they request."""
    seen, todo = [], list(names)
    while todo:
        name = todo.pop(0)
        if name in seen or name not in defs:
            continue
        seen.append(name)
        todo += __steplabel_fixture_args(defs[name])
    return seen


def __steplabel_param(kit, value, count):
    """One argvalues entry: (its values, the marks of its pytest.param)."""
    if isinstance(value, kit.paramset):
        return tuple(value.values), __steplabel_unpack(kit, list(value.marks))
    return (tuple(value) if count > 1 else (value,)), []


def __steplabel_expand(cases, names, values, indirect, kit):
    """`cases` times one parametrize mark (or a fixture's params): each case gets one entry's values."""
    out = []
    for value in list(values):
        vals, marks = __steplabel_param(kit, value, len(names))
        if len(vals) != len(names):
            raise TypeError(f"parametrize: {len(names)} names but a value of {len(vals)}")
        for kwargs, params, case_marks in cases:
            kwargs, params = dict(kwargs), dict(params)
            for key, val in zip(names, vals):
                (params if key in indirect else kwargs)[key] = val
            out.append((kwargs, params, marks + case_marks))
    return out


def __steplabel_plan(kit, marks, requested, defs):
    """The cases pytest makes: the product of the parametrize marks and of the parametrized
    fixtures the test needs, each (arguments, fixture params, its own marks)."""
    cases, direct = [({}, {}, [])], set()
    for mark in [m for m in marks if m.name == "parametrize"]:
        names = mark.args[0] if mark.args else mark.kwargs["argnames"]
        values = mark.args[1] if len(mark.args) > 1 else mark.kwargs["argvalues"]
        names = [n.strip() for n in names.split(",") if n.strip()] if isinstance(names, str) else list(names)
        indirect = mark.kwargs.get("indirect", False)
        indirect = set(names) if indirect is True else set(indirect or ())
        direct |= set(names) - indirect
        cases = __steplabel_expand(cases, names, values, indirect, kit)
    for name in __steplabel_closure(defs, [n for n in requested if n not in direct]):
        params = defs[name][1].params
        if params is not None and not any(name in case[1] for case in cases):
            cases = __steplabel_expand(cases, [name], params, {name}, kit)
    return cases, direct


def __steplabel_builtin_fixture(kit, name, teardowns):
    """The few of pytest's own fixtures that mean the same here; others cannot be had."""
    if name == "tmp_path":
        import pathlib
        import tempfile
        return pathlib.Path(tempfile.mkdtemp(prefix="pytest-", dir="."))
    if name == "monkeypatch" and kit.pytest is not None:
        patch = kit.pytest.MonkeyPatch()
        teardowns.append(patch.undo)
        return patch
    raise kit.Incident("unknown", f"fixture {name!r} is not available to tests run against a sandboxed program "
                                  "(only the test file's own fixtures, request, tmp_path and monkeypatch are): "
                                  "nothing decides this test")


def __steplabel_resolver(kit, ctx, instance, params, teardowns):
    """Fixture values as pytest gives them (every scope set up anew for each test here): a
    generator fixture's code after its yield is a tear-down."""
    import inspect
    import types
    cache = {}

    def request(name):
        req = types.SimpleNamespace(fixturename=name, function=ctx.target, cls=ctx.cls, instance=instance,
                                    node=types.SimpleNamespace(name=ctx.name), addfinalizer=teardowns.append,
                                    getfixturevalue=value)
        if name in params:
            req.param = params[name]
        return req

    def value(name, chain=()):
        if name in cache:
            return cache[name]
        if name == "request":
            return request(chain[-1] if chain else None)
        if name in chain:
            raise RuntimeError(f"fixture {name!r} requests itself (through {' -> '.join(chain)})")
        if name not in ctx.defs:
            made = __steplabel_builtin_fixture(kit, name, teardowns)
        else:
            func, _, in_class = ctx.defs[name]
            func = func.__get__(instance) if in_class and instance is not None else func
            made = func(**{a: value(a, chain + (name,)) for a in __steplabel_argnames(func)})
            if inspect.iscoroutine(made) or inspect.isasyncgen(made):
                getattr(made, "close", lambda: None)()
                raise kit.Incident("unknown", f"fixture {name!r} is async (it needs an async plugin's fixtures): "
                                              "nothing decides this test")
            if inspect.isgenerator(made):
                generator, made = made, next(made)
                teardowns.append(lambda: __steplabel_exhaust(generator, name))
        cache[name] = made
        return made

    return value


def __steplabel_exhaust(generator, name):
    for _ in generator:
        raise RuntimeError(f"fixture {name!r} has more than one yield")


def __steplabel_autouse(defs, marks):
    """Fixtures every test here gets: autouse ones, and those usefixtures marks name."""
    names = [n for n, (_, marker, _) in defs.items() if marker.autouse]
    for mark in marks:
        if mark.name == "usefixtures":
            names += [str(a) for a in mark.args]
    return names


def __steplabel_cases(kit, cls, name, target, marks):
    """A pytest-style test: each case with its marks, set-up, fixtures and tear-down, until one fails."""
    import inspect
    import types
    defs = __steplabel_fixture_defs(cls)
    plain = cls is None or isinstance(inspect.getattr_static(cls, name), staticmethod)
    argnames = __steplabel_argnames(target)[0 if plain else 1:]
    requested = __steplabel_autouse(defs, marks) + argnames
    cases, direct = __steplabel_plan(kit, marks, requested, defs)
    if not cases:
        return ("skipped", "got empty parameter set")
    ctx = types.SimpleNamespace(cls=cls, name=name, target=target, defs=defs, requested=requested, direct=direct)
    outcomes = [__steplabel_case(kit, ctx, kwargs, params, case_marks + marks)
                for kwargs, params, case_marks in cases]
    return __steplabel_overall(outcomes)


def __steplabel_case(kit, ctx, kwargs, params, marks):
    """One case: its skip and xfail marks, set-up (module, class, method, fixtures), the call
    (a coroutine awaited), tear-down. A failure is raised; anything else is returned."""
    gate = __steplabel_gate(marks)
    if gate is not None:
        return gate
    xfail = __steplabel_xfail(marks)
    teardowns, error = [], None
    try:
        __steplabel_xunit(teardowns, globals(), ("setup_module", "setUpModule"),
                          ("teardown_module", "tearDownModule"), __steplabel_module())
        instance = None
        if ctx.cls is not None:
            __steplabel_xunit(teardowns, ctx.cls, ("setup_class",), ("teardown_class",), ctx.cls)
            instance = ctx.cls()
            test = getattr(instance, ctx.name)
            __steplabel_xunit(teardowns, instance, ("setup_method",), ("teardown_method",), test)
        else:
            test = ctx.target
            __steplabel_xunit(teardowns, globals(), ("setup_function",), ("teardown_function",), test)
        value = __steplabel_resolver(kit, ctx, instance, params, teardowns)
        args = {n: value(n) for n in ctx.requested if n not in ctx.direct}
        __steplabel_await(test(**kwargs, **{n: args[n] for n in __steplabel_argnames(test) if n in args}))
    except BaseException as exc:
        error = exc
    return __steplabel_settle(kit, __steplabel_finish(kit, teardowns, error), xfail)


def __steplabel_unittest_result(kit):
    """A unittest result keeping the first outcome, with its exception (whose traceback the report shows)."""

    class Result(kit.unittest.TestResult):
        outcome = None

        def keep(self, outcome):
            if self.outcome is None:
                self.outcome = outcome

        def addError(self, test, err):
            self.keep(("raise", err[1]))

        def addFailure(self, test, err):
            self.keep(("raise", err[1]))

        def addSubTest(self, test, subtest, err):
            if err is not None:
                self.keep(("raise", err[1]))

        def addSkip(self, test, reason):
            self.keep(("skipped", str(reason)))

        def addExpectedFailure(self, test, err):
            self.keep(("xfailed", f"expected failure: {err[0].__name__}: {err[1]}"[:500]))

        def addUnexpectedSuccess(self, test):
            self.keep(("raise", AssertionError("unexpected success of a test marked unittest.expectedFailure")))

    return Result()


def __steplabel_testcase(kit, cls, name, marks):
    """A unittest.TestCase test, run by unittest itself (setUp, tearDown, skips, expected
    failures, subtests, cleanups) inside the module and class set-up pytest gives it."""
    import functools
    import inspect
    import types
    gate = __steplabel_gate(marks)
    if gate is None and getattr(cls, "__unittest_skip__", False):
        gate = ("skipped", str(getattr(cls, "__unittest_skip_why__", "")))
    if gate is not None:
        return gate
    xfail = __steplabel_xfail(marks)
    teardowns, error, result = [], None, __steplabel_unittest_result(kit)
    try:
        __steplabel_xunit(teardowns, globals(), ("setUpModule", "setup_module"),
                          ("tearDownModule", "teardown_module"), __steplabel_module())
        teardowns.append(cls.doClassCleanups)
        cls.setUpClass()
        teardowns.append(cls.tearDownClass)
        case = cls(name)
        method = getattr(case, name)
        if inspect.iscoroutinefunction(method) and not isinstance(case, kit.unittest.IsolatedAsyncioTestCase):
            setattr(case, name, functools.wraps(method)(lambda: __steplabel_await(method())))
        defs = __steplabel_fixture_defs(cls)
        ctx = types.SimpleNamespace(cls=cls, name=name, target=method, defs=defs)
        value = __steplabel_resolver(kit, ctx, case, {}, teardowns)
        for fixture in __steplabel_autouse(defs, marks):
            value(fixture)
        case.run(result)
    except BaseException as exc:
        error = exc
    outcome = result.outcome
    if error is None and outcome is not None and outcome[0] == "raise":
        error = outcome[1]
    error = __steplabel_finish(kit, teardowns, error)
    if error is None and outcome is not None and outcome[0] != "raise":
        return outcome
    return __steplabel_settle(kit, error, xfail)
'''

PY_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
TESTCASE_BASES = frozenset({"TestCase", "IsolatedAsyncioTestCase"})


class TestFileError(ValueError):
    """A test file pytest refuses at collection: its tests cannot run, so nothing is decided."""


def _yields(func: ast.AST) -> bool:
    """Whether the function's own body yields (a generator: pytest refuses it as a test)."""
    todo = list(ast.iter_child_nodes(func))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (*PY_FUNCS, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def _base_name(base: ast.expr) -> str:
    return base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""


def _disabled(node: ast.ClassDef) -> bool:
    """`__test__ = False` in the class body: pytest does not collect it."""
    return any(isinstance(s, ast.Assign) and any(_base_name(t) == "__test__" for t in s.targets)
               and isinstance(s.value, ast.Constant) and s.value.value is False for s in node.body)


def _methods(node: ast.ClassDef, classes: dict[str, ast.ClassDef], depth: int = 0) -> list[ast.AST]:
    """A class's test methods: its own, then those it inherits from classes of the file."""
    own = [m for m in node.body if isinstance(m, PY_FUNCS) and m.name.startswith("test")]
    defined = {m.name for m in node.body if isinstance(m, (*PY_FUNCS, ast.Assign))} | {m.name for m in own}
    for base in node.bases:
        parent = classes.get(_base_name(base)) if isinstance(base, ast.Name) else None
        if parent is None or parent is node or depth > 20:
            continue
        for m in _methods(parent, classes, depth + 1):
            if m.name not in defined:
                own.append(m)
                defined.add(m.name)
    return own


def _test_classes(tree: ast.Module) -> tuple[set[str], dict[str, ast.ClassDef]]:
    """The names of the classes pytest collects (`Test*` ones without an __init__, and every
    unittest.TestCase), and every class of the file by name (for the test methods they inherit)."""
    classes: dict[str, ast.ClassDef] = {}
    testcases: set[str] = set()
    collected = set()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if any(_base_name(b) in TESTCASE_BASES or _base_name(b) in testcases for b in node.bases):
            testcases.add(node.name)
        classes[node.name] = node
        plain = node.name.startswith("Test") and not any(
            isinstance(m, PY_FUNCS) and m.name == "__init__" for m in node.body)
        if (node.name in testcases or plain) and not _disabled(node):
            collected.add(node.name)
    return collected, classes


def collect(tree: ast.Module) -> list[tuple[Optional[str], str]]:
    """(class or None, function) of every test pytest would collect, in file order, found statically."""
    collected, classes = _test_classes(tree)
    found: list[tuple[Optional[str], ast.AST, str]] = []
    for node in tree.body:
        if isinstance(node, PY_FUNCS) and node.name.startswith("test"):
            found.append((None, node, node.name))
        elif isinstance(node, ast.ClassDef) and node.name in collected and classes[node.name] is node:
            found += [(node.name, m, m.name) for m in _methods(node, classes)]
    generators = sorted({name for _, node, name in found if _yields(node)})
    if generators:
        raise TestFileError(f"'yield' is allowed in fixtures, not in tests ({', '.join(generators)}): "
                            "pytest refuses the file")
    return [(cls, name) for cls, _, name in found]


def pytest_tests(test_file: str) -> list[dict[str, str]]:
    """One test per `test_*` function or test class method (a `Test*` class's or a
    unittest.TestCase's), each running the whole file and then that test under the harness."""
    tests = []
    for cls, name in collect(ast.parse(test_file)):
        tests.append({"name": f"{cls}.{name}" if cls else name,
                      "code": f"{_PYTEST_HARNESS}\n__steplabel_run({test_file!r}, {cls!r}, {name!r})\n"})
    return tests


def _imports_pytest(test_file: str) -> bool:
    tree = ast.parse(test_file)
    return any(isinstance(n, ast.Import) and any(a.name.split(".")[0] == "pytest" for a in n.names)
               or isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "pytest" for n in ast.walk(tree))


@functools.lru_cache(maxsize=1)
def pytest_in_sandbox() -> bool:
    """Whether the sandbox's interpreter can import pytest (it sees site-packages only, no .pth files)."""
    return importlib.machinery.PathFinder.find_spec("pytest", site_packages()) is not None


def _report(sandbox: Sandbox, program: str, tests: list[dict[str, str]], timeout: Optional[float],
            module: Optional[str] = None, trusted: Optional[str] = None, own: Sequence[str] = (),
            prelude: Optional[str] = None) -> RunReport:
    results = sandbox.run(program, tests, timeout=timeout, module=module, trusted=trusted, own=own,
                          prelude=prelude)
    return RunReport(results=results, isolation=sandbox.isolation,
                     run_id=run_digest(program, [tests, trusted, prelude]))


_TOP_NAME = re.compile(r"^(?:(?:async\s+)?def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)",
                       re.MULTILINE)


def trusted_prompt(problem: str, entry_point: Optional[str], tests: str = "") -> Optional[str]:
    """The problem statement when it is Python code defining the entry point (a HumanEval prompt)
    and the tests call one of its helpers: those are what the tests use, whatever the program
    redefines. None when the tests use nothing of the prompt's but the entry point."""
    if not entry_point or f"def {entry_point}" not in problem:
        return None
    helpers = {a or b for a, b in _TOP_NAME.findall(problem)} - {entry_point}
    if not any(re.search(rf"\b{re.escape(name)}\b", tests) for name in helpers):
        return None
    try:
        tree = ast.parse(problem)
    except (SyntaxError, ValueError):
        return None
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return problem if entry_point in defined else None


def run_humaneval(sandbox: Sandbox, program: str, test: str, entry_point: str,
                  timeout: Optional[float] = None, prompt: Optional[str] = None) -> RunReport:
    """`program` is the full code (prompt + completion, or a complete function); `prompt`, when
    given, is run in the test process (see `trusted_prompt`)."""
    return _report(sandbox, program, humaneval_tests(test, entry_point), timeout,
                   trusted=trusted_prompt(prompt or "", entry_point, test), own=[entry_point])


def run_mbpp(sandbox: Sandbox, program: str, asserts: Sequence[str], setup_code: str = "",
             timeout: Optional[float] = None, entry_point: Optional[str] = None) -> RunReport:
    """`entry_point`, where the data names it: the program's even under a builtin's name (see
    inside/calls.tests_names for what else of the program's the tests see)."""
    return _report(sandbox, program, mbpp_tests(asserts, setup_code), timeout,
                   own=[entry_point] if entry_point else ())


def run_pytest_file(sandbox: Sandbox, program: str, test_file: str,
                    timeout: Optional[float] = None, module: str = "solution",
                    entry_point: Optional[str] = None) -> RunReport:
    try:
        tests = pytest_tests(test_file)
    except TestFileError as exc:
        return RunReport(error=str(exc), isolation=sandbox.isolation)
    except (SyntaxError, ValueError) as exc:
        return RunReport(error=f"test file does not parse: {exc}", isolation=sandbox.isolation)
    if not tests:
        return RunReport(error="test file has no test_* functions", isolation=sandbox.isolation)
    if _imports_pytest(test_file) and not pytest_in_sandbox():
        return RunReport(error="the test file imports pytest, which the sandbox's interpreter lacks "
                               "(pip install pytest)", isolation=sandbox.isolation)
    return _report(sandbox, program, tests, timeout, module, own=[entry_point] if entry_point else ())


_CALL_HELPERS = """
import json as __steplabel_json

def __steplabel_target(name):
    names = globals()
    if name in names and not getattr(names[name], "steplabel_missing", False):
        return names[name]
    if "Solution" in names:
        return getattr(names["Solution"](), name)
    raise NameError(f"the program defines no {name} (and no class Solution with it)")

def __steplabel_lists(x):
    if type(x) in (list, tuple):
        return [__steplabel_lists(v) for v in x]
    return x

def __steplabel_same(got, want, unwrap):
    got, want = __steplabel_lists(got), __steplabel_lists(want)
    return got == want or (unwrap and type(want) is list and len(want) == 1 and got == want[0])
"""


def call_tests(fn_name: str, cases: Sequence[Mapping[str, Any]], unwrap: bool = True) -> list[dict[str, str]]:
    """One test per function-call case: the arguments and the expected value travel as JSON."""
    tests = []
    for i, case in enumerate(cases):
        args = case.get("input")
        args = args if isinstance(args, list) else [args]
        code = (f"{_CALL_HELPERS}\n__steplabel_args = __steplabel_json.loads({json.dumps(args)!r})\n"
                f"__steplabel_want = __steplabel_json.loads({json.dumps(case.get('output'))!r})\n"
                f"__steplabel_got = __steplabel_target({fn_name!r})(*__steplabel_args)\n"
                f"assert __steplabel_same(__steplabel_got, __steplabel_want, {unwrap!r}), "
                "f'expected {__steplabel_want!r:.200}, got {__steplabel_got!r:.200}'\n")
        tests.append({"name": f"case {i + 1}", "code": code})
    return tests


def run_calls(sandbox: Sandbox, program: str, fn_name: str, cases: Sequence[Mapping[str, Any]],
              timeout: Optional[float] = None, unwrap: bool = True, prelude: Optional[str] = None) -> RunReport:
    if not fn_name or not fn_name.isidentifier():
        return RunReport(error=f"function-call cases need a function name, got {fn_name!r}",
                         isolation=sandbox.isolation)
    return _report(sandbox, program, call_tests(fn_name, cases, unwrap), timeout, prelude=prelude,
                   own=[fn_name, "Solution"])


def run_stdio(sandbox: Sandbox, program: str, cases: Sequence[Mapping[str, Any]],
              float_tolerance: Optional[float] = None, timeout: Optional[float] = None,
              case_insensitive: bool = False, prelude: Optional[str] = None) -> RunReport:
    plain = [{"input": str(c.get("input", "")), "output": str(c.get("output", ""))} for c in cases]
    results = sandbox.run_io(program, plain, timeout=timeout, float_tolerance=float_tolerance,
                             case_insensitive=case_insensitive, prelude=prelude)
    return RunReport(results=results, isolation=sandbox.isolation,
                     run_id=run_digest(program, [plain, float_tolerance, case_insensitive, prelude]))


def case_document(tests: str) -> Optional[dict]:
    """The JSON test document of the stdio and calls styles, or None for test code."""
    text = tests.lstrip()
    if not text.startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and doc.get("format") in ("stdio", "calls") else None


def detect_style(tests: str) -> str:
    """Which runner a `reference.tests` string wants: stdio, calls, humaneval, pytest or mbpp."""
    doc = case_document(tests)
    if doc is not None:
        return str(doc["format"])
    if "def check(" in tests:
        return "humaneval"
    if "def test" in tests or "class Test" in tests:
        return "pytest"
    return "mbpp"


def split_asserts(tests: str) -> tuple[list[str], str]:
    """MBPP tests as one string: top-level assert statements, and everything else as setup."""
    tree = ast.parse(tests)
    lines = tests.splitlines()
    asserts, setup = [], []
    for node in tree.body:
        text = "\n".join(lines[node.lineno - 1: node.end_lineno])
        (asserts if isinstance(node, ast.Assert) else setup).append(text)
    return asserts, "\n".join(setup)


def run_tests(sandbox: Sandbox, program: str, tests: str, entry_point: Optional[str] = None,
              timeout: Optional[float] = None, prompt: Optional[str] = None) -> RunReport:
    """Dispatch on the style of `tests` (a string as stored in `reference.tests`)."""
    style = detect_style(tests)
    if style in ("stdio", "calls"):
        doc = case_document(tests) or {}
        cases = doc.get("cases")
        if not isinstance(cases, list) or not cases or not all(isinstance(c, dict) for c in cases):
            return RunReport(error=f"the {style} test document has no cases", isolation=sandbox.isolation)
        prelude = doc.get("prelude") if isinstance(doc.get("prelude"), str) else None
        if style == "calls":
            return run_calls(sandbox, program, str(doc.get("fn_name") or entry_point or ""), cases, timeout,
                             unwrap=doc.get("unwrap", True) is not False, prelude=prelude)
        tolerance = doc.get("float_tolerance")
        return run_stdio(sandbox, program, cases, float(tolerance) if tolerance is not None else None, timeout,
                         case_insensitive=doc.get("case_insensitive") is True, prelude=prelude)
    if style == "humaneval":
        if not entry_point:
            return RunReport(error="HumanEval-style tests need an entry_point",
                             isolation=sandbox.isolation)
        return run_humaneval(sandbox, program, tests, entry_point, timeout, prompt)
    if style == "pytest":
        return run_pytest_file(sandbox, program, tests, timeout, entry_point=entry_point)
    try:
        asserts, setup = split_asserts(tests)
    except SyntaxError as exc:
        return RunReport(error=f"tests do not parse: {exc}", isolation=sandbox.isolation)
    if not asserts:
        return RunReport(error="no assert statements in tests", isolation=sandbox.isolation)
    return run_mbpp(sandbox, program, asserts, setup, timeout, entry_point)


@dataclass
class CodeCheck:
    """The one answer to "do this chain's code and the reference's tests agree?".

    verdict: "passed", "failed", or "unknown" (no tests, broken tests, or the sandbox itself
    failed: a failure that may pass on another try is never written in as a result)."""

    program: Program
    report: Optional[RunReport]
    verdict: str
    why: str

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"


def check_code(sandbox: Sandbox, steps: Sequence[str], problem: str, reference: Mapping[str, Any],
               text: Optional[str] = None) -> CodeCheck:
    """Build the program from the steps (see `extract`) and run the reference's tests once.
    Used by the code labelers and by rollouts on code chains, under the same sandbox limits."""
    tests, entry = reference.get("tests") or "", reference.get("entry_point")
    program = build_program(list(steps), problem or "", entry, text=text)
    if not tests.strip():
        return CodeCheck(program, None, "unknown", "no unit tests in the reference")
    if not program.has_code:
        return CodeCheck(program, None, "failed", "the chain contains no python code block")
    if program.syntax_error is not None:
        return CodeCheck(program, None, "failed", f"program does not parse: {program.syntax_error}")
    report = run_tests(sandbox, program.source, tests, entry, prompt=problem)
    if report.error:
        return CodeCheck(program, report, "unknown", f"the tests cannot run: {report.error}")
    if report.infra:
        return CodeCheck(program, report, "unknown",
                         f"the sandbox failed, not the program (may pass on another try): {report.summary()}")
    if report.failed:
        return CodeCheck(program, report, "failed", report.summary())
    undecided = report.undecided
    if undecided is not None:
        return CodeCheck(program, report, "unknown", f"{report.summary()} (test {undecided.name} could not be "
                                                     "decided; nothing decides it)")
    if report.neutral:
        return CodeCheck(program, report, "unknown", f"{report.summary()} (every test was skipped, xfailed or xpassed: "
                                                     "nothing decides the program)")
    return CodeCheck(program, report, "passed" if report.passed else "failed", report.summary())
