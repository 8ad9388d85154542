"""The stdin/stdout problem set (tests/data/code_stdio_problems.jsonl) and how a run's verdict is read.

A row is one problem: its statement, `tests` (the stdio JSON test document, as a reference's
`tests` field holds it), `cpu_limit` (CPU seconds per case) and `programs`, each with its `kind`,
the `expected` status and `first_bad_case` (1-based; None when every case must pass). Built by
tests/tools/build_code_stdio_problems.py, which judged every program with a judge of its own.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from steplabel.verifiers.code import RunReport

DATA = Path(__file__).resolve().parents[1] / "data" / "code_stdio_problems.jsonl"


def load_problems(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def verdict(report: RunReport) -> tuple[str, Optional[int], str]:
    """(status, case, message): the first case that did not pass decides, as a judge's verdict
    does; (passed, None, "") when all passed. A run that could not start is `unrunnable`, and a
    sandbox failure is `infra` (neither is ever an expected verdict)."""
    if report.error:
        return "unrunnable", None, report.error
    for i, r in enumerate(report.results):
        if r.infra:
            return "infra", i + 1, r.message
        if r.status != "passed":
            return r.status, i + 1, r.message
    return ("passed", None, "") if report.results else ("unrunnable", None, "no results")


def expected(program: dict) -> tuple[str, Optional[int]]:
    return program["expected"], program["first_bad_case"]
