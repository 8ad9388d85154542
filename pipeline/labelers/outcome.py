"""The math outcome labeler: is the chain's final answer equal to the reference?

Chain level: `outcome.correct` with the comparison's evidence. Step level: the step that states a
wrong final answer is -1 (a PRM800K rater would mark it so); a right final answer gives that step
+1. Everything else is left to other labelers — a right answer does not prove earlier steps right.
"""
from __future__ import annotations

from typing import Any

from pydantic import Field

from ...verifiers.math import answers_equal
from ...verifiers.math.extract import answer_location, extract_answer
from .base import Labeler, Labeling, Options, Stopwatch, verdict


class OutcomeOptions(Options):
    timeout: float = Field(default=2.0, gt=0)  # seconds for one answer comparison


class MathOutcomeLabeler(Labeler):
    name = "outcome"
    version = "1.0"
    domains = ("math",)
    options_model = OutcomeOptions

    def label(self, chain: dict[str, Any]) -> Labeling:
        clock = Stopwatch()
        steps = [s["text"] for s in chain["steps"]]
        reference = (chain["reference"] or {}).get("answer")
        truncated = chain["generator"].get("finish_reason") == "length"
        at = None if truncated else answer_location(steps)
        answer = chain.get("final_answer") or (extract_answer(steps[at]) if at is not None else None)
        if at is None and answer is not None:
            at = len(steps) - 1  # imported with a separately given answer: the last step concludes
        if reference is None or not str(reference).strip():
            return Labeling(outcome={"correct": None, "evidence": "no reference answer"}, final_answer=answer)
        if truncated:
            return Labeling(outcome={"correct": None, "evidence": "generation truncated (finish_reason=length)"})
        if answer is None or at is None:
            return Labeling(outcome={"correct": False, "evidence": "the chain states no final answer"})
        result = answers_equal(str(reference), answer, timeout=self.opts.timeout)
        evidence = f"final answer {answer!r} vs reference {reference!r}: {result.result} ({result.evidence})"
        if result.result == "unknown":
            return Labeling(outcome={"correct": None, "evidence": evidence}, final_answer=answer,
                            verdicts={at: verdict(self, None, evidence, ms=clock.ms)})
        correct = result.result == "equal"
        return Labeling(
            outcome={"correct": correct, "evidence": evidence},
            final_answer=answer,
            verdicts={at: verdict(self, 1 if correct else -1, evidence, ms=clock.ms)},
        )
