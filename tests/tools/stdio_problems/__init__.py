"""Source of tests/data/code_stdio_problems.jsonl: competitive-programming problems of our own writing.

Each topic module defines `PROBLEMS`, a list of `Problem`s: a statement, hand-checked samples,
a seeded generator of further inputs (edge cases, several test cases per input, large inputs),
one correct program, and other programs of a stated kind with the status a judge must give them.
The builder (tests/tools/build_code_stdio_problems.py) computes the generated cases' outputs with
the correct program, checks every program's status with a judge of its own, and calibrates the
slow ones by CPU time.
"""
from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Optional

# kind -> the statuses a judge may give a program of that kind (the exact one is stated per program)
KINDS = {
    "correct": ("passed",),
    "variant": ("passed",),  # correct, written otherwise: other whitespace, precision, input reading
    "slow_correct": ("passed",),  # correct, using a known fraction of the CPU limit on its heaviest case
    "wrong_answer": ("failed",),
    "off_by_one": ("failed", "error"),
    "wrong_format": ("failed",),
    "missing_output": ("failed",),
    "runtime_error": ("error",),
    "crash_after_output": ("error",),  # the right answer, then a non-zero exit
    "memory_hog": ("error",),
    "infinite_loop": ("timeout",),
    "too_slow": ("timeout",),
}
PLANTED = tuple(k for k, statuses in KINDS.items() if statuses != ("passed",))


def src(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


@dataclass
class Program:
    kind: str
    expected: str  # passed / failed / error / timeout
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.expected not in KINDS[self.kind]:
            raise ValueError(f"a {self.kind} program cannot be expected to be {self.expected}")
        self.source = src(self.source)


def ok(kind: str, source: str, note: str = "") -> Program:
    """A program that must pass (a variant or a slow correct one)."""
    return Program(kind, "passed", source, note)


def bug(kind: str, expected: str, source: str, note: str = "") -> Program:
    return Program(kind, expected, source, note)


@dataclass
class Problem:
    id: str
    title: str
    statement: str
    correct: str
    samples: list[tuple[str, str]]  # (input, output) worked out by hand
    generate: Callable[[random.Random], list[str]]  # further inputs, in the order they are judged
    programs: list[Program] = field(default_factory=list)
    cpu_limit: float = 1.0
    float_tolerance: Optional[float] = None
    heavy_case: Optional[int] = None  # 0-based index among all cases: where slow programs are calibrated

    def __post_init__(self) -> None:
        self.correct = src(self.correct)
        self.statement = src(self.statement)


def ints(xs) -> str:
    return " ".join(map(str, xs))


def lines(*rows) -> str:
    return "\n".join(str(r) for r in rows) + "\n"
