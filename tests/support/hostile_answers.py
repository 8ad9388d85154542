"""Answer pairs that make naive math checkers hang or grind (shared by the deadline tests and the
benchmark that times them)."""
from __future__ import annotations

NESTED = "2"
for _ in range(50):
    NESTED = f"\\sqrt{{{NESTED} + 1}}"

PATHOLOGICAL = {
    "tower": ("10^{10^{10}}", "10^{10^{10}} + 1"),
    "nested_radicals": (NESTED, NESTED + " + 10^{-40}"),
    "100kB": ("1" + "+1" * 50_000, "50001"),
    "unbalanced": ("\\frac{1}{2", "{{{x+1}"),
    "sympy_grinds": ("\\sin(10^{10^{5}})", "\\cos(10^{10^{5}})"),  # escalated; sympy overruns
}


def answers(pairs: dict, deadline: float) -> dict:
    """name -> (answers_equal's result, its evidence, check_step's rating) with `deadline` each."""
    from steplabel.verifiers.math import answers_equal, check_step

    out = {}
    for name, (a, b) in pairs.items():
        r = answers_equal(a, b, timeout=deadline)
        s = check_step(f"\\({a} = {b}\\)", timeout=deadline)
        out[name] = (r.result, r.evidence, s.rating)
    return out
