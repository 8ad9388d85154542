"""Sandboxed test runner and code step checks (no Ray, no HTTP, no pipeline imports).

    from steplabel.verifiers.code import Sandbox, run_tests, build_program
    with Sandbox() as sb:                       # bubblewrap; SandboxUnavailable if it cannot be had
        program = build_program(step_texts, problem, entry_point)
        report = run_tests(sb, program.source, tests, entry_point)   # any style, see runner.py
        report.passed, report.results, report.isolation
        sb.run_io(program.source, [{"input": "1 2", "output": "3"}])  # stdin/stdout cases
        check = check_code(sb, step_texts, problem, reference)   # the one check labelers use
        check.verdict                               # passed / failed / unknown (and check.why)

The program runs in a process of its own and only serves calls; the tests run in another
process and compare plain data only (README.md in this folder says why that makes a pass
impossible to forge).
"""
from .extract import CodeBlock, Program, build_program, extract_blocks
from .isolation import LEVELS, Limits, SandboxUnavailable
from .runner import (CodeCheck, RunReport, check_code, detect_style, run_calls, run_humaneval, run_mbpp,
                     run_pytest_file, run_stdio, run_tests)
from .sandbox import Sandbox, SandboxError, SandboxPool, TestResult
from .steps import StepFinding, exception_findings, syntax_findings

__all__ = [
    "CodeBlock", "Program", "build_program", "extract_blocks", "LEVELS", "Limits",
    "SandboxUnavailable", "CodeCheck", "check_code", "RunReport", "detect_style", "run_calls", "run_humaneval",
    "run_mbpp", "run_pytest_file", "run_stdio", "run_tests", "Sandbox", "SandboxError", "SandboxPool", "TestResult",
    "StepFinding", "exception_findings", "syntax_findings",
]
