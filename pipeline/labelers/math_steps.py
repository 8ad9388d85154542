"""Math-steps labeler: -1 for a step that writes a false arithmetic or algebra claim.

Thin adapter over `steplabel.verifiers.math.check_step`; the verifier knows nothing about chains.
Only steps with something to check get a verdict: -1 when a claim is false; otherwise an abstain
(rating None) saying why — "n claims checked, all true", a deadline, a false equation the step
itself tests or rejects — with its cost, so slow steps stay visible. Correct arithmetic is not a +1.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field

from ...verifiers.math import check_step
from .base import Labeler, Labeling, Options, Stopwatch, verdict


class MathStepsOptions(Options):
    timeout: float = Field(default=2.0, gt=0)  # seconds per step's claims
    abstain_verdicts: bool = True  # record abstains ("n claims checked, all true", deadlines) with their cost


class MathStepsLabeler(Labeler):
    name = "math_steps"
    version = "1.2"
    domains = ("math",)
    options_model = MathStepsOptions

    def label(self, chain: dict[str, Any]) -> Labeling:
        verdicts: dict[int, dict[str, Any]] = {}
        context = chain.get("problem") or ""
        for i, step in enumerate(chain.get("steps") or []):
            clock = Stopwatch()
            r = check_step(step.get("text") or "", context=context, timeout=self.opts.timeout)
            if r.rating == -1:
                verdicts[i] = verdict(self, -1, r.evidence, ms=clock.ms)
            elif self.opts.abstain_verdicts and not r.found_nothing:
                verdicts[i] = verdict(self, None, r.evidence, ms=clock.ms)
        return Labeling(verdicts=verdicts)
