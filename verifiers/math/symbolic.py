"""The sympy side: runs only inside a deadline worker process (see `deadline.py`).

Reached when the exact fast path could not parse a leaf (an unfamiliar LaTeX command) or could
not decide it numerically; latex2sympy2_extended parses, sympy decides.
"""
from __future__ import annotations

import random
from typing import Any

import sympy
from latex2sympy2_extended import latex2sympy

from .compare import EQUAL, NOT_EQUAL, Decision, compare_answers, fast_leaf
from .numeric import Budget

_I, _E = sympy.Symbol("i"), sympy.Symbol("e")


def _parse(text: str) -> sympy.Expr:
    expr = latex2sympy(text)
    if not isinstance(expr, sympy.Expr):
        raise ValueError(f"not a scalar expression: {type(expr).__name__}")
    return expr.subs({_I: sympy.I, _E: sympy.E})


def _numeric_zero(d: sympy.Expr, scale: sympy.Expr) -> bool | None:
    """True/False when d is certainly zero/nonzero numerically at 60 digits, else None."""
    v = complex(sympy.N(d, 60))
    s = max(abs(complex(sympy.N(scale, 60))), 1e-300)
    if abs(v) > 1e-30 * s:
        return False
    if abs(v) < 1e-45 * s and s < 1e25:  # beyond that, 60 digits cannot vouch for equality
        return True
    return None


def sympy_leaf(ref: str, cand: str, mode: str, budget: Budget) -> Decision:
    """Fast leaf first; sympy for what it escalates."""
    d = fast_leaf(ref, cand, mode, budget)
    if not d.escalate:
        return d
    try:
        a, b = _parse(ref), _parse(cand)
    except Exception as e:  # latex2sympy raises many types; the pair is then undecidable
        return Decision("unknown", f"latex2sympy cannot parse: {type(e).__name__}")
    if mode == "proportional":
        ratio = sympy.simplify(b / a) if a != 0 else None
        if ratio is not None and ratio.is_number and ratio != 0:
            return Decision(EQUAL, f"sympy: one equation is {ratio} times the other")
        return Decision(NOT_EQUAL, "sympy: the equations are not multiples of each other")
    diff = a - b
    if diff == 0 or sympy.simplify(diff) == 0:
        return Decision(EQUAL, "sympy: difference simplifies to 0")
    if diff.is_Rational:
        return Decision(NOT_EQUAL, f"sympy: the difference is the nonzero rational {diff}")
    free = sorted(diff.free_symbols, key=str)
    rng = random.Random(11)
    verdicts = []
    for _ in range(3 if free else 1):
        pt = {s: sympy.Rational(rng.randint(101, 9973), rng.randint(7, 997)) for s in free}
        try:
            verdicts.append(_numeric_zero(diff.subs(pt), abs(a.subs(pt)) + abs(b.subs(pt))))
        except (TypeError, ValueError, ZeroDivisionError):
            verdicts.append(None)
    if False in verdicts:
        return Decision(NOT_EQUAL, "sympy: values differ numerically")
    if verdicts and all(v is True for v in verdicts):
        return Decision(EQUAL, "sympy: numerically equal to 45 digits")
    return Decision("unknown", "sympy could not decide")


def compare_in_worker(reference: str, candidate: str, seconds: float) -> tuple[str, str]:
    """Entry point called through the pool: (result, evidence)."""
    d = compare_answers(reference, candidate, sympy_leaf, Budget(seconds + 60.0))
    return d.result, d.evidence


def warm() -> Any:
    """Touch the parser once so the first real request does not pay its lazy set-up."""
    return latex2sympy("\\frac{1}{2}")
