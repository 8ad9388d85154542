"""Code labelers: run the chain's code against the problem's unit tests in the sandbox.

`code_outcome` decides the chain (all tests pass) and marks the step holding the code: +1 when
the tests pass, -1 when they fail and the failing step is identifiable (a syntax error, an
exception raised inside a step's code, or the step that holds the entry point's final definition).
`code_steps` gives only the verdicts a run proves: -1 for the step whose code stops the program
from parsing (no later step repairs it) and for a step whose code raised in a test (the
traceback is the evidence); on other code steps it abstains.

How code is read out of a chain and checked is `steplabel.verifiers.code.check_code` (fenced
python blocks, concatenated in order, step-aware), the same check rollouts use on code chains.
Every verdict names the isolation the run had and the run it comes from (a digest of the program
and its tests: the same in every build, so rows are reproducible). A check that needed a value
that is not plain data (the program returned an object of its own class) is `unknown`: both
labelers abstain and say so.

The two labelers share work: in one process they use one sandbox per set of options, and a
chain's tests run once for both (the build puts them in one stage, `shares_stage`). When the
sandbox itself fails (not the program), both abstain: the chain waits for the next run.

Options (config `labelers[].options`): isolation ("bwrap", or "rlimits" to run WITHOUT a sandbox
on a trusted machine), timeout (CPU seconds per test), wall_factor (the wall-clock backstop,
timeout x this), memory_mb, output_bytes, nproc, tmp_mb.
If bubblewrap cannot create namespaces, constructing the labeler raises `SandboxUnavailable`,
so the build stops with the reason instead of running code unconfined.
"""
from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from typing import Any, ClassVar, Literal, Optional

from pydantic import Field

from ...verifiers.code import (CodeCheck, Limits, Program, Sandbox, check_code, exception_findings,
                               syntax_findings)
from .base import Context, Labeler, Labeling, Options, Stopwatch, verdict

_DEFAULT = Limits()


class SandboxOptions(Options):
    """How code is run; rollouts on code chains use the same model, so the same limits."""

    isolation: Literal["bwrap", "rlimits"] = "bwrap"  # rlimits: NO sandbox, trusted machines only
    timeout: float = Field(default=_DEFAULT.timeout, gt=0)  # CPU seconds per test or stdin/stdout case
    wall_factor: float = Field(default=_DEFAULT.wall_factor, ge=1)  # wall-clock backstop: timeout x this
    memory_mb: int = Field(default=_DEFAULT.memory_mb, ge=1)
    output_bytes: int = Field(default=_DEFAULT.output_bytes, ge=1)
    nproc: int = Field(default=_DEFAULT.nproc, ge=1)
    tmp_mb: int = Field(default=_DEFAULT.tmp_mb, ge=1)

    def limits(self) -> Limits:
        return Limits(timeout=self.timeout, wall_factor=self.wall_factor, memory_mb=self.memory_mb,
                      output_bytes=self.output_bytes, nproc=self.nproc, tmp_mb=self.tmp_mb)


class CodeOptions(SandboxOptions):
    pass


class SharedRuns:
    """Per process: one sandbox per set of options, and one test run per chain for every code
    labeler using it. A run is kept until each of the other users has taken it once (then
    dropped), so two labelers in one stage run each chain's tests exactly once."""

    KEEP = 4096  # bound for runs a user never came for (e.g. a batch retried row by row)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boxes: dict[str, tuple[Sandbox, set[int]]] = {}  # options key -> sandbox, users
        self._runs: "OrderedDict[tuple[str, str], tuple[CodeCheck, set[int]]]" = OrderedDict()

    def acquire(self, opts: SandboxOptions, user: int) -> tuple[str, Sandbox]:
        key = opts.model_dump_json()
        with self._lock:
            if key not in self._boxes:
                self._boxes[key] = (Sandbox(isolation=opts.isolation, limits=opts.limits()), set())
            sandbox, users = self._boxes[key]
            users.add(user)
        try:
            sandbox.start()  # refuses here, early, when there is no sandbox to be had
        except BaseException:
            self.release(key, user)
            raise
        return key, sandbox

    def release(self, key: str, user: int) -> None:
        with self._lock:
            entry = self._boxes.get(key)
            if entry is None:
                return
            entry[1].discard(user)
            if entry[1]:
                return
            del self._boxes[key]
            for run_key in [k for k in self._runs if k[0] == key]:
                del self._runs[run_key]
        entry[0].close()

    def check(self, key: str, user: int, chain: dict[str, Any]) -> CodeCheck:
        ref = chain.get("reference") or {}
        steps = [s["text"] for s in chain["steps"]]
        digest = hashlib.sha256("\x00".join([chain.get("chain_id") or "", *steps, chain.get("text") or "",
                                              ref.get("tests") or "", ref.get("entry_point") or ""])
                                .encode()).hexdigest()
        run_key = (key, digest)
        with self._lock:
            sandbox, users = self._boxes[key]
            kept = self._runs.get(run_key)
            if kept is not None and user not in kept[1]:
                kept[1].add(user)
                if users <= kept[1]:
                    del self._runs[run_key]
                return kept[0]
        result = check_code(sandbox, steps, chain.get("problem") or "", ref,
                            text=chain.get("text") or None)
        if len(users) > 1 and result.report is not None:
            with self._lock:
                self._runs[run_key] = (result, {user})
                while len(self._runs) > self.KEEP:
                    self._runs.popitem(last=False)
        return result


SHARED = SharedRuns()


class _CodeLabeler(Labeler):
    """Shared plumbing: the process's sandbox for these options, started eagerly."""

    version = "1.1"
    domains = ("code",)
    options_model = CodeOptions
    shares_stage: ClassVar[str] = "code-sandbox"  # the build runs both code labelers in one stage

    def __init__(self, context: Optional[Context] = None, **options: Any) -> None:
        super().__init__(context, **options)
        self._key: Optional[str] = None
        self._key, self.sandbox = SHARED.acquire(self.opts, id(self))
        self.isolation = self.sandbox.isolation
        self.tag = self.sandbox.isolation_tag

    def close(self) -> None:
        if self._key is not None:
            SHARED.release(self._key, id(self))
            self._key = None

    def __del__(self) -> None:  # a labeler dropped without close() still gives its sandbox back
        with contextlib.suppress(Exception):
            self.close()

    def check(self, chain: dict[str, Any]) -> CodeCheck:
        return SHARED.check(self._key, id(self), chain)

    def cite(self, result: CodeCheck) -> str:
        """The evidence suffix: which run (both labelers cite the same one) under what isolation."""
        run = f"run {result.report.run_id}; " if result.report is not None else ""
        return f"[{run}{self.tag}]"


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
        result = self.check(chain)
        program, report = result.program, result.report
        cite = self.cite(result)
        if result.verdict == "unknown":  # no tests, broken tests, or the sandbox failed
            return Labeling(outcome={"correct": None, "evidence": f"{result.why} {cite}"})
        if report is None:  # no code, or code that does not parse
            findings = syntax_findings(program) if program.has_code else []
            why = f"program does not parse: {findings[0].evidence}" if findings else result.why
            evidence = f"{why} {cite}"
            verdicts = ({findings[0].step: verdict(self, -1, evidence, ms=clock.ms)}
                        if findings else {})
            return Labeling(outcome={"correct": False, "evidence": evidence}, verdicts=verdicts)
        ref = chain.get("reference") or {}
        evidence = f"{report.summary()} [run {report.run_id}; isolation: {self.isolation}]"
        short = f"{report.summary()} {cite}"
        if result.passed:
            step = _entry_def_step(program, ref.get("entry_point"))
            if step is None:
                step = program.code_steps()[-1]
            return Labeling(outcome={"correct": True, "evidence": evidence},
                            verdicts={step: verdict(self, 1, short, ms=clock.ms)})
        findings = exception_findings(program, report)
        if findings:
            f = findings[0]
            return Labeling(outcome={"correct": False, "evidence": evidence},
                            verdicts={f.step: verdict(self, -1, f"{f.evidence}\n{cite}", ms=clock.ms)})
        step = _entry_def_step(program, ref.get("entry_point"))
        if step is None and len(program.code_steps()) == 1:  # the whole program is one step's code
            step = program.code_steps()[0]
        verdicts = {step: verdict(self, -1, short, ms=clock.ms)} if step is not None else {}
        return Labeling(outcome={"correct": False, "evidence": evidence}, verdicts=verdicts)


class CodeStepsLabeler(_CodeLabeler):
    name = "code_steps"

    def label(self, chain: dict[str, Any]) -> Labeling:
        clock = Stopwatch()
        result = self.check(chain)
        program: Program = result.program
        if not program.has_code:
            return Labeling()
        cite = self.cite(result)
        verdicts: dict[int, dict[str, Any]] = {}
        why = "code parses; no test exception traced to this step"
        if program.syntax_error is not None:
            for f in syntax_findings(program):
                verdicts.setdefault(f.step, verdict(self, -1, f"{f.evidence} {cite}", ms=clock.ms))
        elif result.report is not None and result.report.infra:
            why = f"nothing known: {result.why}"
        elif result.report is not None:
            for f in exception_findings(program, result.report):
                verdicts[f.step] = verdict(self, -1, f"{f.evidence}\n{cite}", ms=clock.ms)
        for step in program.code_steps():
            verdicts.setdefault(step, verdict(self, None, f"{why} {cite}", ms=clock.ms))
        return Labeling(verdicts=verdicts)
