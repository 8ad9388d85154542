"""Unit-test runners for the three test styles, on top of `Sandbox.run`.

Each style turns (program, tests) into one setup (the program, compiled as "<solution>") and a
list of tests (compiled as "<test>"), each run in its own fork:
  HumanEval  `def check(candidate): ...` plus the entry point -> one test `check(entry_point)`
  MBPP       a list of assert statements (plus optional setup code) -> one test per assert
  pytest     a test file; every top-level `test_*` function and `Test*.test_*` method is a test,
             `pytest.mark.parametrize` cases run inside that test; the program is importable
             as module `solution` (`from solution import f`). Fixtures are not supported.
"""
from __future__ import annotations

import ast
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from .extract import Program, build_program
from .sandbox import Sandbox, TestResult

SOLUTION_FILE = "<solution>"


@dataclass
class RunReport:
    """The outcome of running one program against its tests."""

    results: list[TestResult] = field(default_factory=list)
    isolation: str = ""
    error: str = ""  # set when the tests could not even be built (e.g. unparsable test file)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])  # cited by every verdict

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.results) and all(r.passed for r in self.results)

    @property
    def infra(self) -> bool:
        """The sandbox failed on some test (not the program): nothing is known about those."""
        return any(r.infra for r in self.results)

    def summary(self) -> str:
        if self.error:
            return self.error
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        first_bad = next((r for r in self.results if not r.passed), None)
        tail = f"; first failure {first_bad.name}: {first_bad.message}" if first_bad else ""
        notes = sorted({n for r in self.results for n in r.note.split("; ") if n})
        if notes:
            tail += ("; the tests compared objects of classes the program made "
                     f"({', '.join(notes)[:300]}): their own __eq__ decided, and assert-based "
                     "tests cannot rule out one that is always true")
        return f"{len(self.results)} tests: {parts}{tail}"


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


def run_humaneval(sandbox: Sandbox, program: str, test: str, entry_point: str,
                  timeout: Optional[float] = None) -> RunReport:
    """`program` is the full code (prompt + completion, or a complete function)."""
    results = sandbox.run(program, humaneval_tests(test, entry_point), timeout=timeout)
    return RunReport(results=results, isolation=sandbox.isolation)


def run_mbpp(sandbox: Sandbox, program: str, asserts: Sequence[str], setup_code: str = "",
             timeout: Optional[float] = None) -> RunReport:
    results = sandbox.run(program, mbpp_tests(asserts, setup_code), timeout=timeout)
    return RunReport(results=results, isolation=sandbox.isolation)


def run_pytest_file(sandbox: Sandbox, program: str, test_file: str,
                    timeout: Optional[float] = None, module: str = "solution") -> RunReport:
    try:
        tests = pytest_tests(test_file)
    except SyntaxError as exc:
        return RunReport(error=f"test file does not parse: {exc}", isolation=sandbox.isolation)
    if not tests:
        return RunReport(error="test file has no test_* functions", isolation=sandbox.isolation)
    results = sandbox.run(program, tests, timeout=timeout, module=module)
    return RunReport(results=results, isolation=sandbox.isolation)


def detect_style(tests: str) -> str:
    """Which runner a `reference.tests` string wants: humaneval, pytest or mbpp."""
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
              timeout: Optional[float] = None) -> RunReport:
    """Dispatch on the style of `tests` (a string as stored in `reference.tests`)."""
    style = detect_style(tests)
    if style == "humaneval":
        if not entry_point:
            return RunReport(error="HumanEval-style tests need an entry_point",
                             isolation=sandbox.isolation)
        return run_humaneval(sandbox, program, tests, entry_point, timeout)
    if style == "pytest":
        return run_pytest_file(sandbox, program, tests, timeout)
    try:
        asserts, setup = split_asserts(tests)
    except SyntaxError as exc:
        return RunReport(error=f"tests do not parse: {exc}", isolation=sandbox.isolation)
    if not asserts:
        return RunReport(error="no assert statements in tests", isolation=sandbox.isolation)
    return run_mbpp(sandbox, program, asserts, setup, timeout)


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
    report = run_tests(sandbox, program.source, tests, entry)
    if report.error:
        return CodeCheck(program, report, "unknown", f"the tests cannot run: {report.error}")
    if report.infra:
        return CodeCheck(program, report, "unknown",
                         f"the sandbox failed, not the program (may pass on another try): {report.summary()}")
    return CodeCheck(program, report, "passed" if report.passed else "failed", report.summary())
