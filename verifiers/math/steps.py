"""`check_step`: is any arithmetic or algebra claim written in a step false?

Only -1 or abstain: a step whose arithmetic is right can still be a wrong step, so "all claims
true" is evidence, not a +1. Everything here is exact/numeric fast path (no sympy, no worker),
bounded by the caller's timeout.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .claims import Claim, find_claims
from .numeric import Budget, Num, OutOfTime, Undefined, compare, evaluate, rounds_to, sample_points
from .pyexpr import CONSTANTS, PyExpr, Unsupported, to_python

MAX_STEP_CHARS = 200_000
_DECIMAL = re.compile(r"^-?\d*\.\d+$")
_IDENTITY_WORDS = re.compile(r"expand|simplif|factor|identity|rewrit|distribut", re.IGNORECASE)
_LONE = re.compile(r"^\s*(?:[A-Za-z]|\\[A-Za-z]+)\s*(?:\([^()]*\))?\s*$")


@dataclass(frozen=True)
class StepCheck:
    rating: Optional[int]  # -1 (a claim is false) or None (abstain)
    evidence: str
    claims_checked: int


@dataclass
class _Part:
    text: str
    expr: Optional[PyExpr]
    names: frozenset[str]


def _prepare(text: str, latex: bool) -> _Part:
    t = text.strip()
    if not latex:
        t = re.sub(r"\$", "", t)
        t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
        t = re.sub(r"\s+x\s+|(?<=\d)x(?=\d)", "*", t)
    else:
        t = re.sub(r"\\\$|\\%(?=\s*$)", lambda m: "" if m.group(0) == "\\$" else "\\%", t)
        t = re.sub(r"(?<=\d)\{,\}(?=\d{3})", "", t)
        t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)
    try:
        e = to_python(t)
    except Unsupported:
        return _Part(t, None, frozenset())
    return _Part(t, e, e.names - CONSTANTS)


def _value(p: _Part, budget: Budget) -> Optional[Num]:
    try:
        return evaluate(p.expr, None, budget) if p.expr is not None else None
    except (Unsupported, Undefined):
        return None


def _approx_ok(a: Num, b: Num, a_text: str, b_text: str) -> bool:
    """A rounded decimal on either side is fine if the other side rounds or truncates to it."""
    if _DECIMAL.match(b_text.strip()) and rounds_to(a, b_text.strip(), truncate=True):
        return True
    return bool(_DECIMAL.match(a_text.strip()) and rounds_to(b, a_text.strip(), truncate=True))


def _check_numeric(a: _Part, b: _Part, op: str, budget: Budget) -> Optional[str]:
    """Evidence string if the link is certainly false, else None."""
    va, vb = _value(a, budget), _value(b, budget)
    if va is None or vb is None:
        return None
    same = compare(va, vb)
    if same is not False:
        return None
    if _approx_ok(va, vb, a.text, b.text):
        return None
    if op == "~":
        if _near(va, vb):
            return None
        return f"`{a.text} ≈ {b.text}` is false: the left side is {_show(va)}"
    return f"`{a.text} = {b.text}` is false: the left side is {_show(va)}, not {_show(vb)}"


def _near(a: Num, b: Num) -> bool:
    """'≈' with an integer or a fraction on the right: allow 1 % (stated rounding is unknown)."""
    from .numeric import _approx

    x, y = _approx(a.value), _approx(b.value)
    return abs(x - y) <= 0.01 * max(abs(x), abs(y))


def _show(v: Num) -> str:
    if v.exact:
        f = v.value
        if f.denominator == 1:
            return str(f.numerator) if f.numerator.bit_length() < 200 else "a large integer"
        if max(f.numerator.bit_length(), f.denominator.bit_length()) < 60:
            return f"{f} (≈ {float(f):.6g})"
        return f"≈ {float(f):.6g}"
    z = v.value
    return f"≈ {float(z.real):.6g}" if z.imag == 0 else f"≈ {complex(z):.6g}"


def _check_identity(a: _Part, b: _Part, budget: Budget) -> Optional[str]:
    """Both sides contain the same variables: false if they differ at exact random points."""
    names = sorted(a.names | b.names)
    differs = 0
    defined = 0
    for pt in sample_points(names, count=4, seed=13):
        try:
            va, vb = evaluate(a.expr, pt, budget), evaluate(b.expr, pt, budget)
        except (Unsupported, Undefined):
            continue
        if not (va.exact and vb.exact):
            return None
        defined += 1
        differs += va.value != vb.value
    if defined >= 3 and differs == defined:
        return f"`{a.text} = {b.text}` is not an identity (differs at random values of {', '.join(names)})"
    return None


def _check_claim(c: Claim, step_text: str, budget: Budget) -> tuple[int, Optional[str]]:
    """(links checked, evidence of the first false link or None)."""
    parts = [_prepare(p, c.latex) for p in c.parts]
    checked = 0
    identity_ok = bool(_IDENTITY_WORDS.search(step_text)) or len(parts) >= 3
    for k, op in enumerate(c.ops):
        a, b = parts[k], parts[k + 1]
        if a.expr is None or b.expr is None:
            continue
        if not a.names and not b.names:
            checked += 1
            bad = _check_numeric(a, b, op, budget)
            if bad:
                return checked, bad
        elif (
            op == "=" and identity_ok and a.names and a.names == b.names
            and not _LONE.match(c.parts[k]) and not _LONE.match(c.parts[k + 1])
            and all(p.names == a.names for p in parts if p.expr is not None)
        ):
            checked += 1
            bad = _check_identity(a, b, budget)
            if bad:
                return checked, bad
    return checked, None


def check_step(text: str, context: str = "", timeout: float = 2.0) -> StepCheck:
    """-1 with evidence when a claim in `text` is false; None (abstain) otherwise.

    `context` (the problem and earlier steps) is accepted for callers' convenience; claims are
    judged on their own, so it only switches off checks in modular-arithmetic problems, where
    `=` often means congruence.
    """
    if not isinstance(text, str) or not text.strip():
        return StepCheck(None, "empty step", 0)
    if len(text) > MAX_STEP_CHARS:
        return StepCheck(None, f"step longer than {MAX_STEP_CHARS} characters", 0)
    modular = bool(re.search(r"\bmod(?:ulo)?\b|\\pmod|\\equiv|remainder|congruen", context + " " + text, re.IGNORECASE))
    budget = Budget(timeout)
    total = 0
    try:
        claims = find_claims(text)
        for c in claims:
            budget.check()
            n, bad = _check_claim(c, text, budget)
            total += n
            if bad and modular:
                return StepCheck(None, f"possible false claim in a modular-arithmetic setting, not flagged: {bad}", total)
            if bad:
                return StepCheck(-1, bad, total)
    except OutOfTime:
        return StepCheck(None, f"deadline of {timeout:.2f} s reached after {total} claims", total)
    except (RecursionError, MemoryError) as e:
        return StepCheck(None, f"checker gave up: {type(e).__name__}", total)
    if total == 0:
        return StepCheck(None, "no checkable claims", 0)
    return StepCheck(None, f"{total} claims checked, all true", total)
