"""The math outcome labeler: is the chain's final answer equal to the reference?

Chain level: `outcome.correct` with the comparison's evidence. Step level: the step that states a
wrong final answer is -1 (a PRM800K rater would mark it so); a right final answer gives that step
+1. Everything else is left to other labelers — a right answer does not prove earlier steps right.
The answer is where a reader finds it (`verifiers.math.prose.locate_final_answer`): a box or "the
answer is" in the last step that has one, else the closing statement of the result in prose ("there
are 812 strings", "so k = -3"); the evidence says which step and sentence it was read from.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...verifiers.math import check_final_answer
from ...verifiers.math.extract import answer_location
from ...verifiers.math.prose import locate_final_answer
from .base import Labeler, Labeling, Options, Stopwatch, verdict


class OutcomeOptions(Options):
    timeout: float = Field(default=2.0, gt=0)  # seconds for one answer comparison
    # a chain in which no final answer is found: "abstain" (the outcome stays unknown), or
    # "incorrect" — applied to sampled chains only, for prompts that demand an answer format;
    # an imported chain written in free prose always abstains
    missing_answer: Literal["abstain", "incorrect"] = "abstain"


class MathOutcomeLabeler(Labeler):
    name = "outcome"
    version = "1.2"
    domains = ("math",)
    options_model = OutcomeOptions

    def label(self, chain: dict[str, Any]) -> Labeling:
        clock = Stopwatch()
        steps = [s["text"] for s in chain["steps"]]
        reference = (chain["reference"] or {}).get("answer")
        truncated = chain["generator"].get("finish_reason") == "length"
        where = ""
        if chain.get("final_answer"):  # imported with its answer, or set from a marker when segmented
            answer, at = chain["final_answer"], None if truncated else answer_location(steps)
        else:
            found = None if truncated else locate_final_answer(steps, chain.get("problem") or "")
            answer, at = (found.answer, found.step) if found else (None, None)
            where = f"; answer found in {found.where}" if found else ""
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
        evidence = check.evidence + where
        if check.correct is None:
            return Labeling(outcome={"correct": None, "evidence": evidence}, final_answer=answer,
                            verdicts={at: verdict(self, None, evidence, ms=clock.ms)})
        return Labeling(
            outcome={"correct": check.correct, "evidence": evidence},
            final_answer=answer,
            verdicts={at: verdict(self, 1 if check.correct else -1, evidence, ms=clock.ms)},
        )
