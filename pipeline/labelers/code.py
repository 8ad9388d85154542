"""Code labelers: run the chain's code against the problem's unit tests in the sandbox.

`code_outcome` decides the chain (all tests pass) and marks the step holding the code: +1 when
the tests pass, -1 when they fail and the failing step is identifiable (a syntax error, an
exception raised inside a step's code, or the step that holds the entry point's final definition).
`code_steps` gives only the verdicts a run proves: -1 for the step whose code stops the program
from parsing (no later step repairs it) and for a step whose code raised in a test (the
traceback is the evidence); on other code steps it abstains.

How code is read out of a chain is `steplabel.verifiers.code.extract` (fenced python blocks,
concatenated in order, step-aware). Every verdict names the isolation the run had.

Options (config `labelers[].options`): isolation ("bwrap", or "rlimits" to run WITHOUT a sandbox
on a trusted machine), timeout (s per test), memory_mb, output_bytes, nproc, tmp_mb.
If bubblewrap cannot create namespaces, constructing the labeler raises `SandboxUnavailable`,
so the build stops with the reason instead of running code unconfined.
"""
from __future__ import annotations

import hashlib
from typing import Any, Literal, Optional

from pydantic import Field

from ...verifiers.code import (Limits, Program, RunReport, Sandbox, build_program,
                               exception_findings, run_tests, syntax_findings)
from ...verifiers.lru import LRU
from .base import Context, Labeler, Labeling, Options, Stopwatch, verdict

_CACHE_SIZE = 512


def _run_key(*parts: Optional[str]) -> str:
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode()).hexdigest()


# recent (program, tests) → report, so both code labelers in one process run a chain once
_RUNS: LRU[str, RunReport] = LRU(_CACHE_SIZE)


class CodeOptions(Options):
    isolation: Literal["bwrap", "rlimits"] = "bwrap"  # rlimits: NO sandbox, trusted machines only
    timeout: float = Field(default=3.0, gt=0)  # seconds per test
    memory_mb: int = Field(default=1024, ge=1)
    output_bytes: int = Field(default=64 * 1024, ge=1)
    nproc: int = Field(default=64, ge=1)
    tmp_mb: int = Field(default=256, ge=1)


class _CodeLabeler(Labeler):
    """Shared plumbing: one sandbox per labeler instance (one per Ray actor), started eagerly."""

    version = "1.0"
    domains = ("code",)
    options_model = CodeOptions

    def __init__(self, context: Optional[Context] = None, **options: Any) -> None:
        super().__init__(context, **options)
        o = self.opts
        limits = Limits(timeout=o.timeout, memory_mb=o.memory_mb, output_bytes=o.output_bytes,
                        nproc=o.nproc, tmp_mb=o.tmp_mb)
        self.sandbox = Sandbox(isolation=o.isolation, limits=limits).start()  # refuses here, early
        self.isolation = self.sandbox.isolation
        self.tag = self.sandbox.isolation_tag

    def close(self) -> None:
        self.sandbox.close()

    def program(self, chain: dict[str, Any]) -> Program:
        ref = chain.get("reference") or {}
        return build_program([s["text"] for s in chain["steps"]], chain.get("problem") or "",
                             ref.get("entry_point"), text=chain.get("text") or None)

    def run(self, program: Program, chain: dict[str, Any]) -> RunReport:
        ref = chain.get("reference") or {}
        tests, entry = ref.get("tests") or "", ref.get("entry_point")
        key = _run_key(self.sandbox.level, program.source, tests, entry)
        report = _RUNS.get(key)
        if report is None:
            report = run_tests(self.sandbox, program.source, tests, entry)
            if not any(r.message.startswith("sandbox died") for r in report.results):
                _RUNS.put(key, report)
        return report

    def unparsable(self, program: Program) -> bool:
        return program.syntax_error is not None


def _entry_def_step(program: Program, entry_point: Optional[str]) -> Optional[int]:
    """The step of the last `def entry_point(` line, when the whole function sits in that step."""
    if not entry_point:
        return None
    lines = program.source.split("\n")
    target = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(f"def {entry_point}(") and line == stripped:
            target = i
    if target is None or program.line_steps[target] is None:
        return None
    step = program.line_steps[target]
    end = target + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][:1] in (" ", "\t")):
        end += 1
    body_steps = {program.line_steps[j] for j in range(target, min(end, len(program.line_steps)))
                  if lines[j].strip()}
    return step if body_steps == {step} else None


class CodeOutcomeLabeler(_CodeLabeler):
    name = "code_outcome"

    def label(self, chain: dict[str, Any]) -> Labeling:
        clock = Stopwatch()
        ref = chain.get("reference") or {}
        if not (ref.get("tests") or "").strip():
            return Labeling(outcome={"correct": None, "evidence": "no unit tests in the reference"})
        program = self.program(chain)
        if not program.has_code:
            return Labeling(outcome={"correct": False,
                                     "evidence": "the chain contains no python code block"})
        if self.unparsable(program):
            findings = syntax_findings(program)
            why = findings[0].evidence if findings else f"SyntaxError: {program.syntax_error}"
            evidence = f"program does not parse: {why} [{self.tag}]"
            verdicts = ({findings[0].step: verdict(self, -1, evidence, ms=clock.ms)}
                        if findings else {})
            return Labeling(outcome={"correct": False, "evidence": evidence}, verdicts=verdicts)
        report = self.run(program, chain)
        evidence = f"{report.summary()} [isolation: {self.isolation}]"
        if report.passed:
            step = _entry_def_step(program, ref.get("entry_point"))
            if step is None:
                step = program.code_steps()[-1]
            return Labeling(outcome={"correct": True, "evidence": evidence},
                            verdicts={step: verdict(self, 1, f"{report.summary()} [{self.tag}]",
                                                    ms=clock.ms)})
        if report.error:  # the tests themselves are broken: nothing is known about the chain
            return Labeling(outcome={"correct": None, "evidence": evidence})
        findings = exception_findings(program, report)
        short = f"{report.summary()} [{self.tag}]"
        if findings:
            f = findings[0]
            return Labeling(outcome={"correct": False, "evidence": evidence},
                            verdicts={f.step: verdict(self, -1, f"{f.evidence}\n[{self.tag}]",
                                                      ms=clock.ms)})
        step = _entry_def_step(program, ref.get("entry_point"))
        verdicts = {step: verdict(self, -1, short, ms=clock.ms)} if step is not None else {}
        return Labeling(outcome={"correct": False, "evidence": evidence}, verdicts=verdicts)


class CodeStepsLabeler(_CodeLabeler):
    name = "code_steps"

    def label(self, chain: dict[str, Any]) -> Labeling:
        clock = Stopwatch()
        program = self.program(chain)
        if not program.has_code:
            return Labeling()
        verdicts: dict[int, dict[str, Any]] = {}
        if self.unparsable(program):
            for f in syntax_findings(program):
                verdicts.setdefault(f.step, verdict(self, -1, f"{f.evidence} [{self.tag}]",
                                                    ms=clock.ms))
        elif (chain.get("reference") or {}).get("tests"):
            report = self.run(program, chain)
            for f in exception_findings(program, report):
                verdicts[f.step] = verdict(self, -1, f"{f.evidence}\n[{self.tag}]", ms=clock.ms)
        for step in program.code_steps():
            verdicts.setdefault(step, verdict(
                self, None, f"code parses; no test exception traced to this step [{self.tag}]",
                ms=clock.ms))
        return Labeling(verdicts=verdicts)
