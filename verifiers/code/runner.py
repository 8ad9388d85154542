"""Unit-test runners for the test styles, on top of `Sandbox.run` and `Sandbox.run_io`.

The call styles turn (program, tests) into the program (run once, in a process of its own,
compiled as "<solution>") and a list of tests (compiled as "<test>", run one after another in
the test process, calling into the program's):
  HumanEval  `def check(candidate): ...` plus the entry point -> one test `check(entry_point)`
  MBPP       a list of assert statements (plus optional setup code) -> one test per assert
  pytest     a test file; every top-level `test_*` function and `Test*.test_*` method is a test,
             `pytest.mark.parametrize` cases run inside that test; the program is importable
             as module `solution` (`from solution import f`). Fixtures are not supported.
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
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from .extract import Program, build_program
from .sandbox import Sandbox, TestResult

SOLUTION_FILE = "<solution>"


FAILING = ("failed", "error", "timeout")  # decided in the test process, from plain data


@dataclass
class RunReport:
    """The outcome of running one program against its tests."""

    results: list[TestResult] = field(default_factory=list)
    isolation: str = ""
    error: str = ""  # set when the tests could not even be built (e.g. unparsable test file)
    run_id: str = ""  # a digest of the program and its tests: the same run has the same id in every build

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.results) and all(r.passed for r in self.results)

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

    def summary(self) -> str:
        if self.error:
            return self.error
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        first_bad = next((r for r in self.results if r.status in FAILING), None) or \
            next((r for r in self.results if not r.passed), None)
        tail = f"; first failure {first_bad.name}: {first_bad.message}" if first_bad else ""
        return f"{len(self.results)} tests: {parts}{tail}"


def run_digest(program: str, tests: Any) -> str:
    return hashlib.sha256(json.dumps([program, tests], sort_keys=True).encode()).hexdigest()[:12]


def humaneval_tests(test: str, entry_point: str) -> list[dict[str, str]]:
    return [{"name": "check", "code": f"{test}\n\ncheck({entry_point})\n"}]


def mbpp_tests(asserts: Sequence[str], setup_code: str = "") -> list[dict[str, str]]:
    prefix = f"{setup_code}\n" if setup_code.strip() else ""
    return [{"name": f"assert_{i}", "code": prefix + a} for i, a in enumerate(asserts)]


_PYTEST_CALL = """
def __steplabel_call(target):
    marks = [m for m in getattr(target, "pytestmark", []) if getattr(m, "name", "") == "parametrize"]
    if not marks:
        return target()
    cases = [{}]
    for mark in marks:
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        new = []
        for case in cases:
            for value in values:
                value = getattr(value, "values", value)  # pytest.param(...)
                vals = value if len(names) > 1 else (value,)
                new.append({**case, **dict(zip(names, vals))})
        cases = new
    for case in cases:
        target(**case)
"""


def pytest_tests(test_file: str) -> list[dict[str, str]]:
    """One test per `test_*` function or `Test*` class method, found statically."""
    tree = ast.parse(test_file)
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names += [f"{node.name}.{m.name}" for m in node.body
                      if isinstance(m, ast.FunctionDef) and m.name.startswith("test")]
    tests = []
    for name in names:
        if "." in name:
            cls, meth = name.split(".", 1)
            call = f"__steplabel_call(getattr({cls}(), {meth!r}))"
        else:
            call = f"__steplabel_call({name})"
        tests.append({"name": name, "code": f"{test_file}\n{_PYTEST_CALL}\n{call}\n"})
    return tests


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
    """With `entry_point` the tests get only that from the program (and what it imported from the
    standard library, as their own copy); without, every name it defines but builtins' and modules'."""
    return _report(sandbox, program, mbpp_tests(asserts, setup_code), timeout,
                   own=[entry_point] if entry_point else ())


def run_pytest_file(sandbox: Sandbox, program: str, test_file: str,
                    timeout: Optional[float] = None, module: str = "solution",
                    entry_point: Optional[str] = None) -> RunReport:
    try:
        tests = pytest_tests(test_file)
    except SyntaxError as exc:
        return RunReport(error=f"test file does not parse: {exc}", isolation=sandbox.isolation)
    if not tests:
        return RunReport(error="test file has no test_* functions", isolation=sandbox.isolation)
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
        return CodeCheck(program, report, "unknown", f"{report.summary()} (test {undecided.name} needed a "
                                                     "value that is not plain data; nothing decides it)")
    return CodeCheck(program, report, "passed" if report.passed else "failed", report.summary())
