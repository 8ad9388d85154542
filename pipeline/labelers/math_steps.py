"""Math-steps labeler: -1 for a step that writes a false arithmetic or algebra claim.

Thin adapter over `steplabel.verifiers.math.check_step`; the verifier knows nothing about chains.
Only steps where a claim was actually checked get a verdict: -1 when one is false, an abstain
(rating None) with "n claims checked, all true" otherwise. Correct arithmetic is not a +1.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field

from ...verifiers.math import check_step
from .base import Labeler, Labeling, Options, Stopwatch, verdict


class MathStepsOptions(Options):
    timeout: float = Field(default=2.0, gt=0)  # seconds per step's claims
    abstain_verdicts: bool = True  # record "n claims checked, all true" as an abstain


class MathStepsLabeler(Labeler):
    name = "math_steps"
    version = "1.0"
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
            elif r.claims_checked and self.opts.abstain_verdicts:
                verdicts[i] = verdict(self, None, r.evidence, ms=clock.ms)
        return Labeling(verdicts=verdicts)
