"""The math outcome labeler: is the chain's final answer equal to the reference?

Chain level: `outcome.correct` with the comparison's evidence. Step level: the step that states a
wrong final answer is -1 (a PRM800K rater would mark it so); a right final answer gives that step
+1. Everything else is left to other labelers — a right answer does not prove earlier steps right.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...verifiers.math import check_final_answer
from ...verifiers.math.extract import answer_location, extract_answer
from .base import Labeler, Labeling, Options, Stopwatch, verdict


class OutcomeOptions(Options):
    timeout: float = Field(default=2.0, gt=0)  # seconds for one answer comparison
    # a chain in which no final answer is found: "abstain" (the outcome stays unknown), or
    # "incorrect" — applied to sampled chains only, for prompts that demand an answer format;
    # an imported chain written in free prose always abstains
    missing_answer: Literal["abstain", "incorrect"] = "abstain"


class MathOutcomeLabeler(Labeler):
    name = "outcome"
    version = "1.1"
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
            sampled = chain["generator"].get("kind") == "sampled"
            if sampled and self.opts.missing_answer == "incorrect":
                return Labeling(outcome={"correct": False,
                                         "evidence": "the chain states no final answer (missing_answer: incorrect)"})
            return Labeling(outcome={"correct": None, "evidence": "no final answer found in the chain: abstain"})
        check = check_final_answer(reference, answer=answer, timeout=self.opts.timeout)
        if check.correct is None:
            return Labeling(outcome={"correct": None, "evidence": check.evidence}, final_answer=answer,
                            verdicts={at: verdict(self, None, check.evidence, ms=clock.ms)})
        return Labeling(
            outcome={"correct": check.correct, "evidence": check.evidence},
            final_answer=answer,
            verdicts={at: verdict(self, 1 if check.correct else -1, check.evidence, ms=clock.ms)},
        )
