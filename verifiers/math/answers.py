"""`answers_equal`: the public answer-equivalence check (fast path, cache, deadline worker)."""
from __future__ import annotations

from dataclasses import dataclass

from ..lru import LRU
from .compare import compare_answers, fast_leaf
from .forms import answer_text as parse_answer_text
from .deadline import shared_pool
from .numeric import Budget, OutOfTime

MAX_CHARS = 5000  # beyond this an "answer" is not an answer; we abstain rather than parse it
_CACHE_SIZE = 100_000


@dataclass(frozen=True)
class Equivalence:
    result: str  # "equal" | "not_equal" | "unknown"
    evidence: str

    @property
    def equal(self) -> bool | None:
        return {"equal": True, "not_equal": False}.get(self.result)


_cache: LRU[tuple[str, str], Equivalence] = LRU(_CACHE_SIZE)  # timeouts are not kept (see _keep)


def answers_equal(reference: str, candidate: str, timeout: float = 2.0) -> Equivalence:
    """Is `candidate` the same answer as `reference`? Never raises, never exceeds `timeout` by much."""
    if not isinstance(reference, str) or not isinstance(candidate, str):
        return Equivalence("unknown", "answers must be strings")
    key = (reference, candidate)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    if not reference.strip() or not parse_answer_text(reference):
        return Equivalence("unknown", "empty reference answer")
    if not candidate.strip() or not parse_answer_text(candidate):
        return _keep(key, Equivalence("not_equal", "empty candidate answer"))
    if reference.strip() == candidate.strip():
        return _keep(key, Equivalence("equal", "identical strings"))
    if max(len(reference), len(candidate)) > MAX_CHARS:
        return _keep(key, Equivalence("unknown", f"answer longer than {MAX_CHARS} characters"))
    budget = Budget(0.5 * timeout)  # the fast path may use half; sympy gets the rest
    try:
        d = compare_answers(reference, candidate, fast_leaf, budget)
    except OutOfTime:
        return Equivalence("unknown", "fast path ran out of time")
    except (RecursionError, MemoryError, ArithmeticError, ValueError) as e:  # hostile input: unknown, say so
        return Equivalence("unknown", f"fast path failed: {type(e).__name__}: {str(e)[:100]}")
    if not d.escalate:
        return _keep(key, Equivalence(d.result, d.evidence))
    remaining = 0.5 * timeout + budget.left  # timeout minus what the fast path used (on the budget's clock)
    if remaining <= 0.01:
        return Equivalence("unknown", f"no time left for sympy (fast path: {d.evidence})")
    return _slow(key, reference, candidate, remaining, d.evidence)


def _slow(key: tuple[str, str], reference: str, candidate: str, timeout: float, why: str) -> Equivalence:
    out = shared_pool().run(
        "steplabel.verifiers.math.symbolic:compare_in_worker", (reference, candidate, timeout), timeout
    )
    if out.timed_out:
        return Equivalence("unknown", f"sympy deadline: {out.error} (fast path: {why})")
    if not out.ok:
        return _keep(key, Equivalence("unknown", f"sympy failed: {out.error}"))
    result, evidence = out.value
    return _keep(key, Equivalence(result, evidence))


def _keep(key: tuple[str, str], value: Equivalence) -> Equivalence:
    _cache.put(key, value)
    return value
