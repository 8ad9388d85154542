"""Deterministic step checks for code chains: which step broke the parse, which step raised.

Why only these two: they are the only step-level facts a test run proves. A failed assertion in
the test says the answer is wrong but not which step made it wrong, so it yields no step verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .extract import Program
from .runner import SOLUTION_FILE, RunReport
from .sandbox import TestResult


@dataclass
class StepFinding:
    step: int
    kind: str  # "syntax" or "exception"
    evidence: str


def syntax_findings(program: Program) -> list[StepFinding]:
    """Steps holding a syntax error that no later block repaired (first one per block)."""
    out: list[StepFinding] = []
    if program.syntax_error is None:
        return out  # blocks that fail alone but parse together (one function over two blocks)
    for block in program.blocks:
        err = block.syntax_error
        if err is None:
            continue
        lineno = err.lineno or len(block.line_steps)
        lineno = min(max(lineno, 1), len(block.line_steps)) if block.line_steps else 1
        step = block.line_steps[lineno - 1] if block.line_steps else 0
        line = (err.text or "").strip()
        out.append(StepFinding(step, "syntax",
                               f"SyntaxError: {err.msg} (block line {lineno}: {line!r}); "
                               "no later step repairs it, so the program does not parse"))
    if not out:  # every block parses alone, the concatenation does not: blame the error's line
        err = program.syntax_error
        step = program.step_of_line(err.lineno or 0)
        if step is not None:
            out.append(StepFinding(step, "syntax", f"SyntaxError: {err.msg} (program line "
                                   f"{err.lineno}); the concatenated program does not parse"))
    return out


def innermost_solution_frame(result: TestResult) -> Optional[tuple[str, int, str]]:
    frames = [f for f in result.frames if f[0] == SOLUTION_FILE]
    return frames[-1] if frames else None


def exception_findings(program: Program, report: RunReport) -> list[StepFinding]:
    """A test that raised (not a failed assertion of the test itself) inside a step's code."""
    out: dict[int, StepFinding] = {}
    for result in report.results:
        if result.status not in ("error", "failed"):
            continue
        frame = innermost_solution_frame(result)
        if frame is None:
            continue
        if result.status == "failed" and result.frames and result.frames[-1][0] != SOLUTION_FILE:
            continue  # the test's own assert failed: a wrong value, not locatable
        step = program.step_of_line(frame[1])
        if step is None or step in out:
            continue
        out[step] = StepFinding(step, "exception",
                                f"test {result.name}: {result.message}; raised at solution line "
                                f"{frame[1]} in {frame[2]}\n{result.tb[-1500:]}")
    return sorted(out.values(), key=lambda f: f.step)
