"""The one final-answer check: extract a chain's final answer and compare it with the reference.

Used by the outcome labeler and by rollout (each completion, and the chain's own answer), and
usable on its own as an RL reward. "No answer found" is its own result, not "wrong": whether a
missing answer counts as wrong is the caller's policy (a sampled chain whose prompt demanded a
format may; an imported chain written in free prose may not).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .answers import answers_equal
from .extract import extract_answer

NO_ANSWER, NO_REFERENCE = "no_answer", "no_reference"


@dataclass(frozen=True)
class FinalAnswerCheck:
    result: str  # "equal" | "not_equal" | "unknown" | "no_answer" | "no_reference"
    answer: Optional[str]  # the final answer that was compared (None if none was found)
    evidence: str

    @property
    def correct(self) -> Optional[bool]:
        """True / False when the comparison decided, None otherwise (unknown, no answer, ...)."""
        return {"equal": True, "not_equal": False}.get(self.result)


def check_final_answer(reference: object, text: Optional[str] = None, answer: Optional[str] = None,
                       timeout: float = 2.0) -> FinalAnswerCheck:
    """Compare `answer` (or the final answer extracted from `text`) with `reference`."""
    if answer is None and text is not None:
        answer = extract_answer(text)
    if reference is None or not str(reference).strip():
        return FinalAnswerCheck(NO_REFERENCE, answer, "no reference answer")
    if answer is None:
        return FinalAnswerCheck(NO_ANSWER, None, "no final answer found")
    eq = answers_equal(str(reference), answer, timeout=timeout)
    return FinalAnswerCheck(eq.result, answer,
                            f"final answer {answer!r} vs reference {str(reference)!r}: {eq.result} ({eq.evidence})")
