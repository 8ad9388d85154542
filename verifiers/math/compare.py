"""Structural comparison of answer forms, with a pluggable leaf comparer.

The same code runs in the caller's process with the exact/numeric leaf (`fast_leaf`) and, when
that cannot decide, inside the deadline-bounded worker with a sympy-backed leaf.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

from . import forms as F
from .numeric import CTX, Budget, Num, OutOfTime, Undefined, compare, evaluate, rounds_to, sample_points
from .pyexpr import CONSTANTS, Malformed, OutOfRange, PyExpr, Unsupported, to_python


@dataclass(frozen=True)
class Decision:
    result: str  # "equal" | "not_equal" | "unknown"
    evidence: str
    escalate: bool = False  # unknown because the fast path lacked a tool, not because it is unsure


EQUAL, NOT_EQUAL = "equal", "not_equal"
Leaf = Callable[[str, str, str, Budget], Decision]  # (ref, cand, mode, budget); mode value|proportional
_DECIMAL = re.compile(r"^-?\d*\.\d+$")
_ASSIGN_LHS = re.compile(r"^(?:[A-Za-z](?:_\{?\w+\}?)?|\\[a-zA-Z]+|[A-Za-z]\([A-Za-z]\))$")


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


# --- the fast leaf --------------------------------------------------------------------------------
@lru_cache(maxsize=50_000)
def _translate(text: str) -> PyExpr:
    """Cached: a reference is compared against many candidates (PyExpr is never mutated)."""
    return to_python(text)


@lru_cache(maxsize=50_000)
def parse_cached(text: str) -> F.Form:
    return F.parse_answer(text)


def _points_for(exprs: list[PyExpr]) -> list[str]:
    return sorted(set().union(*(e.names for e in exprs)) - CONSTANTS)


def fast_leaf(ref: str, cand: str, mode: str, budget: Budget) -> Decision:
    """Exact rational / high-precision comparison; escalates what it cannot parse."""
    if mode == "value" and _squash(ref) == _squash(cand):
        return Decision(EQUAL, "identical after normalization")
    ir, ic = F.infinity(ref), F.infinity(cand)
    if ir or ic:
        return Decision(EQUAL if ir == ic else NOT_EQUAL, f"infinity: {ir} vs {ic}")
    try:
        er, ec = _translate(ref), _translate(cand)
    except Malformed as e:
        return Decision("unknown", f"malformed expression: {e}")
    except Unsupported as e:
        return Decision("unknown", f"fast path: {e}", escalate=True)
    names = _points_for([er, ec])
    try:
        if mode == "proportional":
            return _proportional(er, ec, names, budget)
        if not names:
            a, b = evaluate(er, None, budget), evaluate(ec, None, budget)
            return _decide_constants(ref, cand, a, b)
        return _decide_functions(er, ec, names, budget)
    except OutOfRange as e:
        return Decision("unknown", f"out of range: {e}")
    except Unsupported as e:
        return Decision("unknown", f"fast path: {e}", escalate=True)
    except Undefined as e:
        return Decision("unknown", f"undefined value: {e}", escalate=True)


def _fmt(n: Num) -> str:
    if n.exact:
        v = n.value
        return str(v) if max(v.numerator.bit_length(), v.denominator.bit_length()) < 200 else "a large rational"
    z = n.value
    return CTX.nstr(z.real, 12) if z.imag == 0 else f"{CTX.nstr(z.real, 12)} + {CTX.nstr(z.imag, 12)}i"


def _decide_constants(ref: str, cand: str, a: Num, b: Num) -> Decision:
    same = compare(a, b)
    if same:
        return Decision(EQUAL, "same exact value" if a.exact and b.exact else "equal to 50+ significant digits")
    if _DECIMAL.match(ref.strip()) and not _DECIMAL.match(cand.strip()) and rounds_to(b, ref.strip()):
        return Decision(EQUAL, f"reference is a rounded decimal; candidate {_fmt(b)} rounds to {ref.strip()}")
    if same is None:
        return Decision("unknown", "numeric precision cannot separate the values", escalate=True)
    return Decision(NOT_EQUAL, f"values differ: {_fmt(a)} vs {_fmt(b)}")


def _decide_functions(er: PyExpr, ec: PyExpr, names: list[str], budget: Budget) -> Decision:
    agreed, unsure = 0, 0
    for pt in sample_points(names, count=6):
        try:
            a, b = evaluate(er, pt, budget), evaluate(ec, pt, budget)
        except Undefined:
            continue
        same = compare(a, b)
        if same is False:
            where = ", ".join(f"{k}={v}" for k, v in pt.items())
            return Decision(NOT_EQUAL, f"differ at {where}: {_fmt(a)} vs {_fmt(b)}")
        if same is None:
            unsure += 1
        else:
            agreed += 1
        if agreed >= 3:
            return Decision(EQUAL, f"equal at {agreed} random points in {', '.join(names)}")
    return Decision("unknown", f"random points inconclusive ({agreed} agree, {unsure} unsure)", escalate=True)


def _proportional(er: PyExpr, ec: PyExpr, names: list[str], budget: Budget) -> Decision:
    """Is cand = k * ref for one nonzero constant k (the same equation rescaled)?"""
    pairs = []
    for pt in sample_points(names or ["_"], count=6):
        try:
            pairs.append((evaluate(er, pt, budget), evaluate(ec, pt, budget)))
        except Undefined:
            continue
    if len(pairs) < 3:
        return Decision("unknown", "too few defined sample points", escalate=True)
    if not all(a.exact and b.exact for a, b in pairs):
        return Decision("unknown", "non-rational equation sides", escalate=True)
    zr = [a.value == 0 for a, _ in pairs]
    zc = [b.value == 0 for _, b in pairs]
    if zr != zc:
        return Decision(NOT_EQUAL, "the equations have different solution points")
    ratios = {b.value / a.value for a, b in pairs if a.value != 0}
    if not ratios:
        return Decision(EQUAL, "both sides vanish identically")
    if len(ratios) == 1:
        return Decision(EQUAL, f"one equation is {ratios.pop()} times the other")
    return Decision(NOT_EQUAL, "equations are not multiples of each other")


# --- structure ------------------------------------------------------------------------------------
def compare_forms(ref: F.Form, cand: F.Form, leaf: Leaf, budget: Budget) -> Decision:
    """Equality of two parsed answers; leaf decides scalar pairs."""
    budget.check()
    if isinstance(ref, F.Bounded) or isinstance(cand, F.Bounded):
        return _bounded(ref, cand, leaf, budget)
    ra, ca = _assignments(ref), _assignments(cand)
    if ra is not None and ca is not None and max(len(ra), len(ca)) > 1:
        return _assignment_sets(ra, ca, leaf, budget)  # "x = y = 0" vs "x = 0 and y = 0"
    if isinstance(ref, F.Relation) or isinstance(cand, F.Relation):
        return _relations(ref, cand, leaf, budget)
    if isinstance(ref, F.Choice):
        letter = F.choice_in(cand) or (cand.text.upper() if isinstance(cand, F.Scalar) and re.fullmatch(r"[a-eA-E]", cand.text) else None)
        return Decision(EQUAL if letter == ref.letter else NOT_EQUAL, f"choice {ref.letter} vs {letter or 'none'}")
    if isinstance(ref, F.Text) or isinstance(cand, F.Text):
        rt = ref.text if isinstance(ref, (F.Text, F.Scalar)) else None
        ct = cand.text if isinstance(cand, (F.Text, F.Scalar)) else None
        if rt is not None and ct is not None and _text_norm(rt) == _text_norm(ct):
            return Decision(EQUAL, "same text")
        return Decision(NOT_EQUAL, f"text answers differ: {str(rt)[:40]!r} vs {str(ct)[:40]!r}")
    if isinstance(ref, F.Scalar) and isinstance(cand, F.Scalar):
        return _scalars(ref, cand, leaf, budget)
    if isinstance(ref, F.Union_) or isinstance(cand, F.Union_):
        ri = ref.items if isinstance(ref, F.Union_) else (ref,)
        ci = cand.items if isinstance(cand, F.Union_) else (cand,)
        return _unordered(ri, ci, leaf, budget, "union")
    if isinstance(ref, F.Matrix) or isinstance(cand, F.Matrix):
        return _matrices(ref, cand, leaf, budget)
    if isinstance(ref, F.SetOf) and isinstance(cand, F.SetOf):
        return _unordered(ref.items, cand.items, leaf, budget, "set")
    if isinstance(ref, F.Seq) and isinstance(cand, F.Seq):
        if (ref.open, ref.close) != (cand.open, cand.close):
            return Decision(NOT_EQUAL, f"brackets differ: {ref.open}{ref.close} vs {cand.open}{cand.close}")
        return _ordered(ref.items, cand.items, leaf, budget)
    if isinstance(ref, F.Seq) and isinstance(cand, F.SetOf) and not cand.braced:
        return _ordered(ref.items, cand.items, leaf, budget)  # "(1, 2)" answered as "1, 2"
    if isinstance(ref, F.SetOf) and isinstance(cand, F.Seq) and not ref.braced and cand.open == "(":
        return _unordered(ref.items, cand.items, leaf, budget, "list")
    if isinstance(ref, F.SetOf) and len(ref.items) == 1:
        return compare_forms(ref.items[0], cand, leaf, budget)
    if isinstance(cand, F.SetOf) and len(cand.items) == 1:
        return compare_forms(ref, cand.items[0], leaf, budget)
    if any(isinstance(f, F.SetOf) and f.items and all(isinstance(x, F.Scalar) and x.unit for x in f.items)
           for f in (ref, cand)):  # "4 blue boxes and 6 red boxes" against 10: parts of a total, or not?
        return Decision("unknown", "counts of several things against one value")
    return Decision(NOT_EQUAL, f"different kinds: {type(ref).__name__} vs {type(cand).__name__}")


def _bounded(ref: F.Form, cand: F.Form, leaf: Leaf, budget: Budget) -> Decision:
    """"at most 5" is 5 as a maximum is stated; two bounds must be the same bound; a strict bound
    ("more than 5") against a bare value is a different answer."""
    rb = ref.bound if isinstance(ref, F.Bounded) else None
    cb = cand.bound if isinstance(cand, F.Bounded) else None
    if rb and cb and rb != cb:
        return Decision(NOT_EQUAL, f"bounds differ: {rb} vs {cb}")
    if not (rb and cb) and (rb or cb) in ("<", ">"):
        return Decision(NOT_EQUAL, f"a strict bound ({rb or cb}) does not state the value")
    inner = compare_forms(ref.inner if rb else ref, cand.inner if cb else cand, leaf, budget)
    return Decision(inner.result, f"{'same bound, ' if rb and cb else ''}{inner.evidence}", inner.escalate)


def _text_norm(s: str) -> str:
    s = re.sub(r"\\text\{([^{}]*)\}", r"\1", s)
    return re.sub(r"[\s.]+", " ", s).strip().lower()


_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")
_MATH_WORDS = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "log", "exp", "sqrt", "frac", "dfrac", "text",
                         "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "binom", "infty", "cdot", "times",
                         "left", "right", "mathrm", "pmod", "mod", "max", "min", "gcd", "lcm", "deg", "circ"})


def is_prose(text: str) -> bool:
    """Two or more words of prose ("Verna received $7.00 in change"): a sentence, not a value
    whose letters are unknowns to multiply."""
    return sum(w.lower() not in _MATH_WORDS for w in _WORD.findall(text)) >= 2


def _scalars(ref: F.Scalar, cand: F.Scalar, leaf: Leaf, budget: Budget) -> Decision:
    r, c = ref.text, cand.text
    if is_prose(r) or is_prose(c):
        return Decision("unknown", f"a sentence where a value belongs: {(r if is_prose(r) else c)[:60]!r}")
    if ref.unit and cand.unit and ref.unit != cand.unit:
        fr, fc = F.unit_factor(ref.unit), F.unit_factor(cand.unit)
        if fr and fc and fr[0] == fc[0]:
            d = leaf(f"({r})*({fr[1]})", f"({c})*({fc[1]})", "value", budget)
            return Decision(d.result, f"after converting {ref.unit} and {cand.unit}: {d.evidence}", d.escalate)
        if fr or fc:
            return Decision(NOT_EQUAL, f"units differ: {ref.unit} vs {cand.unit}")
    d = leaf(r, c, "value", budget)
    if d.result != NOT_EQUAL or ref.percent == cand.percent:
        return d
    # 50% answered as 0.5 (or 0.5 answered as 50%)
    alt = leaf(f"({r})/100", c, "value", budget) if ref.percent else leaf(r, f"({c})/100", "value", budget)
    if alt.result == EQUAL:
        return Decision(EQUAL, "same value once the percent sign is applied")
    return d


def _ordered(ri: tuple, ci: tuple, leaf: Leaf, budget: Budget) -> Decision:
    if len(ri) != len(ci):
        return Decision(NOT_EQUAL, f"{len(ri)} vs {len(ci)} components")
    unknown = None
    for k, (a, b) in enumerate(zip(ri, ci)):
        d = compare_forms(a, b, leaf, budget)
        if d.result == NOT_EQUAL:
            return Decision(NOT_EQUAL, f"component {k + 1}: {d.evidence}")
        if d.result != EQUAL:
            unknown = unknown or d
    if unknown:
        return Decision("unknown", f"a component is undecided: {unknown.evidence}", unknown.escalate)
    return Decision(EQUAL, f"all {len(ri)} components equal")


def _unordered(ri: tuple, ci: tuple, leaf: Leaf, budget: Budget, what: str) -> Decision:
    if len(ri) != len(ci):
        return Decision(NOT_EQUAL, f"{what} sizes differ: {len(ri)} vs {len(ci)}")
    left = list(ci)
    unknown = None
    for a in ri:
        hit = None
        for j, b in enumerate(left):
            d = compare_forms(a, b, leaf, budget)
            if d.result == EQUAL:
                hit = j
                break
            if d.result != NOT_EQUAL:
                unknown = unknown or d
        if hit is None:
            if unknown:
                return Decision("unknown", f"{what} element undecided: {unknown.evidence}", unknown.escalate)
            return Decision(NOT_EQUAL, f"{what} element without a match in the candidate")
        left.pop(hit)
    return Decision(EQUAL, f"{what} elements match one to one")


def _matrices(ref: F.Form, cand: F.Form, leaf: Leaf, budget: Budget) -> Decision:
    def cells(f: F.Form) -> Optional[tuple[tuple[int, int], tuple]]:
        if isinstance(f, F.Matrix):
            widths = {len(r) for r in f.rows}
            if len(widths) != 1:
                return None
            flat = tuple(x for r in f.rows for x in r)
            shape = (len(f.rows), widths.pop())
            return (shape if shape[1] != 1 else (shape[0], 1)), flat
        if isinstance(f, F.Seq) and f.open == "(":
            return (len(f.items), 1), f.items
        return None

    a, b = cells(ref), cells(cand)
    if a is None or b is None:
        return Decision(NOT_EQUAL, "matrix vs non-matrix")
    (sa, ia), (sb, ib) = a, b
    if sa != sb and not (sa == (sb[1], sb[0]) and 1 in sa):
        return Decision(NOT_EQUAL, f"shapes differ: {sa} vs {sb}")
    return _ordered(ia, ib, leaf, budget)


def _evaluation(f: F.Form) -> Optional[F.Form]:
    """The value an evaluation chain ends with (`3 \\times 4 = 12` states 12), else None."""
    if isinstance(f, F.Relation) and set(f.ops) == {"="} and not _ASSIGN_LHS.match(f.parts[0].strip()) \
            and not _VARIABLE_IN.search(" ".join(f.parts)):
        return F.parse_answer(f.parts[-1])
    return None


def _relations(ref: F.Form, cand: F.Form, leaf: Leaf, budget: Budget) -> Decision:
    if not isinstance(ref, F.Relation) and _evaluation(cand) is not None:
        return compare_forms(ref, _evaluation(cand), leaf, budget)
    if not isinstance(cand, F.Relation) and _evaluation(ref) is not None:
        return compare_forms(_evaluation(ref), cand, leaf, budget)
    ra, ca = _assignment(ref), _assignment(cand)
    if ra and ca:
        if ra[0] != ca[0]:
            return Decision(NOT_EQUAL, f"different unknowns: {ra[0]} vs {ca[0]}")
        return compare_forms(F.parse_answer(ra[1]), F.parse_answer(ca[1]), leaf, budget)
    if ra and not isinstance(cand, F.Relation):
        return compare_forms(F.parse_answer(ra[1]), cand, leaf, budget)
    if ca and not isinstance(ref, F.Relation):
        return compare_forms(ref, F.parse_answer(ca[1]), leaf, budget)
    ri, ci = _as_interval(ref), _as_interval(cand)
    if ri is not None and ci is not None:
        return compare_forms(ri, ci, leaf, budget)
    if isinstance(ref, F.Relation) and isinstance(cand, F.Relation):
        if ref.ops == ("=",) and cand.ops == ("=",):
            d = leaf(f"({ref.parts[0]})-({ref.parts[1]})", f"({cand.parts[0]})-({cand.parts[1]})", "proportional", budget)
            return Decision(d.result, f"equations: {d.evidence}", d.escalate)
        flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
        cparts, cops = cand.parts, cand.ops
        if len(ref.ops) == len(cops) and ref.ops != cops and tuple(flip[o] for o in reversed(cops)) == ref.ops:
            cparts, cops = tuple(reversed(cparts)), ref.ops
        if ref.ops != cops or len(ref.parts) != len(cparts):
            return Decision(NOT_EQUAL, f"relations differ: {ref.ops} vs {cand.ops}")
        return _ordered(tuple(F.Scalar(p) for p in ref.parts), tuple(F.Scalar(p) for p in cparts), leaf, budget)
    return Decision(NOT_EQUAL, "a relation vs a value")


_VARIABLE = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?$")
_VARIABLE_IN = re.compile(r"(?<![\\A-Za-z])[A-Za-z](?![A-Za-z])")  # a one-letter unknown somewhere


def _assignments(f: F.Form) -> Optional[dict[str, str]]:
    """{'x': '0', 'y': '0'} for `x = y = 0`, `x = 0, y = 0` or `x = 0 and y = 0`; else None."""
    if isinstance(f, F.Relation):
        names = [p.strip() for p in f.parts[:-1]]
        value = f.parts[-1]
        if set(f.ops) != {"="} or not all(_VARIABLE.match(n) for n in names):
            return None
        if any(re.search(rf"(?<![A-Za-z\\]){re.escape(n)}(?![A-Za-z])", value) for n in names):
            return None
        return {n: value for n in names}
    if isinstance(f, F.SetOf) and not f.braced and len(f.items) > 1:
        merged: dict[str, str] = {}
        for item in f.items:
            one = _assignments(item)
            if one is None or set(one) & set(merged):
                return None
            merged.update(one)
        return merged
    return None


def _assignment_sets(ra: dict[str, str], ca: dict[str, str], leaf: Leaf, budget: Budget) -> Decision:
    if set(ra) != set(ca):
        return Decision(NOT_EQUAL, f"different unknowns: {', '.join(sorted(ra))} vs {', '.join(sorted(ca))}")
    names = sorted(ra)
    d = _ordered(tuple(F.parse_answer(ra[n]) for n in names), tuple(F.parse_answer(ca[n]) for n in names), leaf, budget)
    return Decision(d.result, f"values of {', '.join(names)}: {d.evidence}", d.escalate)


def _assignment(f: F.Form) -> Optional[tuple[str, str]]:
    """('x', '5') for `x = 5` (a lone unknown on the left), else None."""
    if isinstance(f, F.Relation) and f.ops == ("=",) and _ASSIGN_LHS.match(f.parts[0].strip()):
        if not re.search(re.escape(f.parts[0].strip()) + r"(?![A-Za-z])", f.parts[1]):
            return f.parts[0].strip(), f.parts[1]
    return None


def _as_interval(f: F.Form) -> Optional[F.Form]:
    """`x > 3` -> (3, oo); `1 <= x < 2` -> [1, 2); intervals pass through."""
    if isinstance(f, (F.Seq, F.Union_)):
        return f
    if not isinstance(f, F.Relation) or "=" in f.ops or "!=" in f.ops:
        return None
    p, o = f.parts, f.ops
    var = re.compile(r"^[A-Za-z]$")
    if len(p) == 2:
        if var.match(p[0].strip()):
            op, c = o[0], p[1]
        elif var.match(p[1].strip()):
            op, c = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[o[0]], p[0]
        else:
            return None
        if op in ("<", "<="):
            return F.Seq("(", ")" if op == "<" else "]", (F.Scalar("-\\infty"), F.Scalar(c)))
        return F.Seq("(" if op == ">" else "[", ")", (F.Scalar(c), F.Scalar("\\infty")))
    if len(p) == 3 and var.match(p[1].strip()) and o[0] in ("<", "<=") and o[1] in ("<", "<="):
        return F.Seq("(" if o[0] == "<" else "[", ")" if o[1] == "<" else "]", (F.Scalar(p[0]), F.Scalar(p[2])))
    return None


def compare_answers(reference: str, candidate: str, leaf: Leaf, budget: Budget) -> Decision:
    """Parse both answers and compare them; OutOfTime propagates to the caller."""
    try:
        return compare_forms(parse_cached(reference), parse_cached(candidate), leaf, budget)
    except OutOfTime:
        raise
    except (Unsupported, Undefined) as e:
        return Decision("unknown", f"fast path: {e}", escalate=True)
