"""Deterministic math verification: answer equivalence and step-claim checking.

Plain functions, safe from threads and Ray actors: every sympy call runs in a worker process
under a hard deadline (see `deadline.py`); most inputs never leave the exact fast path.
"""
from .answers import Equivalence, answers_equal
from .extract import answer_location, boxed_contents, extract_answer
from .final import FinalAnswerCheck, check_final_answer
from .steps import StepCheck, check_step

__all__ = ["Equivalence", "answers_equal", "StepCheck", "check_step", "extract_answer",
           "boxed_contents", "answer_location", "FinalAnswerCheck", "check_final_answer"]
