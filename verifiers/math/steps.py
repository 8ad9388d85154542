"""`check_step`: is any arithmetic or algebra claim written in a step false?

Only -1 or abstain: a step whose arithmetic is right can still be a wrong step, so "all claims
true" is evidence, not a +1. Everything here is exact/numeric fast path (no sympy, no worker),
bounded by the caller's timeout.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from .claims import Claim, iter_claims
from .forms import canonical_unit, unit_factor
from .numeric import CTX, Budget, Num, OutOfTime, Undefined, approx, compare, evaluate, rounds_to, sample_points
from .pyexpr import PyExpr, Unsupported, to_python
from .stance import could_be_tested, stance

MAX_STEP_CHARS = 200_000
_DECIMAL = re.compile(r"^-?\d*\.\d+$")
_IDENTITY_WORDS = re.compile(
    r"\bexpand|multiply(?:ing)? out|distribut|\bfoil\b|\bfactor|complet\w*\s+the\s+square", re.IGNORECASE
)
_PRODUCT = re.compile(r"^ ?-?\d* ?(?:\([^()]*\) ?(?:\^ ?\{?\d+\}?)? ?){1,4}(?:[+-] ?\d+ ?)?$")  # (x-4)^2 + 6 too
_MIXED = re.compile(r"(?<![\d.])\d+\s*\\[dtc]?frac\s*\{\s*\d+\s*\}")


NO_CLAIMS, EMPTY_STEP = "no checkable claims", "empty step"


@dataclass(frozen=True)
class StepCheck:
    rating: Optional[int]  # -1 (a claim is false) or None (abstain)
    evidence: str
    claims_checked: int

    @property
    def found_nothing(self) -> bool:
        """The step held nothing to check: no verdict is worth recording for it."""
        return self.rating is None and self.claims_checked == 0 and self.evidence in (NO_CLAIMS, EMPTY_STEP)


@dataclass
class _Part:
    text: str
    expr: Optional[PyExpr]
    names: frozenset[str]
    units: frozenset[str] = frozenset()
    places: int = 0  # most decimal places among its literals (3+ suggests a rounded input)
    shown: str = ""  # as written, unit words included (for evidence)
    unit_terms: int = 0  # numbers that carry a unit word

    @property
    def unit_kind(self) -> str:
        """'bare' (no unit), 'united' (every number carries the one unit), 'mixed' (some do:
        `1 hour × 60`, a conversion inside the expression), 'single' (one number and its unit)."""
        numbers = len(self.expr.literals) if self.expr is not None else 0
        if not self.unit_terms:
            return "bare"
        if len(self.units) != 1 or self.unit_terms != numbers:
            return "mixed"
        return "single" if numbers == 1 else "united"


_UNDECIDED = "undecided"  # sentinel: the link could not be evaluated or compared
_UNIT_MARK = re.compile(r"\\unit\{([^{}]*)\}")
_LITERAL_PLACES = re.compile(r"\d\.(\d+)")
_SPACES = re.compile(r"\s+")
_AMBIGUOUS_LATEX = re.compile(r"\\log(?![A-Za-z_])|\\\{|\\lbrace")
_BASES = re.compile(r"\bbase\b|\bbinary\b|\boctal\b|hexadecimal|\bternary\b|[\d)]_\{?\(?\d+", re.IGNORECASE)
_NUMERAL = re.compile(r"^\s*\(?\d+\)?\s*$")  # "13 = 1101": two numerals, one may be in another base


def _unit_name(word: str) -> str:
    """'meters' -> 'm', 'hours' -> 'h' (units that convert), 'apples' -> 'apple' (what is counted)."""
    return canonical_unit(word) or word.strip().lower().rstrip("s")


def _prepare(text: str, latex: bool) -> _Part:
    units = frozenset(_unit_name(u) for u in _UNIT_MARK.findall(text) if u.strip())
    shown = _SPACES.sub(" ", _UNIT_MARK.sub(r"\1", text)).strip()
    t = _SPACES.sub(" ", _UNIT_MARK.sub(" ", text)).strip()  # one space: no regex below sees a long run
    places = max((len(m) for m in _LITERAL_PLACES.findall(t)), default=0)
    if not latex:
        t = re.sub(r"\$", "", t)
        t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
        t = re.sub(r"\s+x\s+|(?<=\d)x(?=\d)", "*", t)
    else:
        t = re.sub(r"\\\$|\\%(?=\s*$)", lambda m: "" if m.group(0) == "\\$" else "\\%", t)
        t = re.sub(r"(?<=\d)\{,\}(?=\d{3})", "", t)
        t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)
    if latex and _MIXED.search(t):
        return _Part(t, None, frozenset())  # 3\frac{4}{5}: mixed number or product? not guessing
    if latex and _AMBIGUOUS_LATEX.search(t):
        return _Part(t, None, frozenset())  # \log 100: base 10 or e? \{1.5\}: a fractional part
    try:
        e = to_python(t)
    except Unsupported:
        return _Part(t, None, frozenset())
    unit_terms = len(_UNIT_MARK.findall(text))
    return _Part(t, e, e.names - {"pi"}, units, places, shown, unit_terms)  # in steps, e and i are named quantities


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


# units a bare number may stand for in another unit ("2 hours = 120" means minutes): never checked
# against a bare number; what is counted ("apples", "eggs") is checked like the bare number
_SCALED = frozenset({"cent", "degree", "percent", "radian", "dollar", "unit"})


def _unit_factors(a: _Part, b: _Part, first: bool) -> Optional[Fraction]:
    """The factor that brings the left side of a link into the right side's unit, or None when
    the link is not arithmetic to check: a conversion written inside a side (`1 hour × 60`), a
    label at the head of a chain (`5 pairs = 5 × 2 = 10 shoes`), different things counted, or a
    measured value set equal to a bare number (`2 hours = 120`). Units on every term are checked
    like bare numbers (`3 apples + 4 apples = 8 apples`, `2 + 48 = 50 pounds`), or converted
    (`180 meters + 180 meters = 280 miles`, `4 hours = 240 minutes`)."""
    ka, kb = a.unit_kind, b.unit_kind
    if ka == kb == "bare":
        return Fraction(1)
    if "mixed" in (ka, kb):
        return None
    if ka != "bare" and kb != "bare":
        if a.units == b.units:
            return Fraction(1)
        fa, fb = unit_factor(next(iter(a.units))), unit_factor(next(iter(b.units)))
        return fa[1] / fb[1] if fa and fb and fa[0] == fb[0] else None
    if first and ka == "single":
        return None  # "5 quarters = 5 × 25": what the number counts, then what it is worth
    if kb == "bare":  # "2 hours = 120": the bare number may be in another unit
        (u,) = a.units
        return None if unit_factor(u) or u in _SCALED else Fraction(1)
    return Fraction(1)  # a computation's result in its unit: "2 + 48 + 3150 = 3200 pounds"


def _check_numeric(a: _Part, b: _Part, op: str, budget: Budget, factor: Fraction = Fraction(1)) -> Optional[str]:
    """Evidence string if the link is certainly false, else None. `factor` brings the left side
    into the right side's unit."""
    va, vb = _value(a, budget), _value(b, budget)
    if va is None or vb is None:
        return _UNDECIDED
    if factor != 1:
        va = Num(va.value * factor if va.exact else va.value * approx(factor), va.scale * approx(factor).real, va.huge)
    same = compare(va, vb)
    if same is None:
        return _UNDECIDED
    if same:
        return None
    if _approx_ok(va, vb, a.text if factor == 1 else "", b.text):
        return None
    if ("%" in a.text) != ("%" in b.text) and (va.value == 100 * vb.value if "%" in b.text else vb.value == 100 * va.value):
        return None  # "(2/4) × 100 = 50%": the percent sign names the scaled number
    rounded = max(a.places, b.places)
    if rounded >= 3 and _near(va, vb, Fraction(1, 10 ** (rounded - 1))):
        return None  # (2.8284)^2 = 8: the inputs were already rounded
    if op == "~" and (_near(va, vb) or _round_number(va, b.text) or _round_number(vb, a.text if factor == 1 else "")):
        return None
    unit = f" {next(iter(b.units))}" if factor != 1 else ""
    link = f"`{a.shown} {'≈' if op == '~' else '='} {b.shown}`"
    return f"{link} is false: the left side is {_show(va)}{unit}, the right side is {_show(vb)}{unit}"


_ROUND_INTEGER = re.compile(r"^-?[1-9]\d*?(0*)$")


def _round_number(v: Num, text: str) -> bool:
    """'≈ 1000' for 1024, '≈ 3' for π: an integer is the value rounded to its last nonzero digit."""
    m = _ROUND_INTEGER.match(text.strip().replace(",", ""))
    if m is None:
        return False
    half = Fraction(10 ** len(m.group(1)), 2)
    return abs(approx(v.value) - approx(Fraction(text.strip().replace(",", "")))) <= approx(half).real


def _near(a: Num, b: Num, rel: Fraction = Fraction(1, 100)) -> bool:
    """Within a relative tolerance ('≈' with an unstated rounding: 1 %)."""
    x, y = approx(a.value), approx(b.value)
    return abs(x - y) <= approx(rel).real * max(abs(x), abs(y))


def _show(v: Num) -> str:
    if v.exact:
        f = v.value
        if f.denominator == 1:
            return str(f.numerator) if f.numerator.bit_length() < 200 else f"≈ {CTX.nstr(approx(f).real, 6)}"
        if max(f.numerator.bit_length(), f.denominator.bit_length()) < 60:
            return f"{f} (≈ {float(f):.6g})"
        return f"≈ {CTX.nstr(approx(f).real, 6)}"
    z = v.value
    return f"≈ {CTX.nstr(z.real, 6)}" if z.imag == 0 else f"≈ {CTX.nstr(z, 6)}"


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


def _is_expansion(left: str, right: str, a: _Part, b: _Part, budget: Budget) -> bool:
    """`(x+1)^2 = x^2 + 2x + 1`: a product of brackets written out as a sum of several terms.

    Only this shape is checked as an identity: steps are full of conditional equations
    (`2x + 3 = 7`, substitutions from earlier steps) that are false as identities but not errors.
    A slip in an expansion keeps the leading terms, so the two sides must also agree in degree
    with a lower-degree difference; a conditional equation usually does not.
    """
    if not a.names or a.names != b.names or "(" in right or not _PRODUCT.match(re.sub(r"\s+", " ", left)):
        return False
    terms = [t for t in re.split(r"(?<!\^)[+-]", right) if t.strip()]
    if len(terms) < 2:
        return False
    try:
        return (_degree(a, b, True, budget) < _degree(a, b, False, budget)
                == _degree(b, a, False, budget))
    except (Unsupported, Undefined, OutOfTime):
        return False


def _degree(a: _Part, b: _Part, subtract: bool, budget: Budget) -> int:
    """Total degree in t of a(t*r) (- b(t*r)) along a random ray r, by finite differences."""
    ray = sample_points(sorted(a.names | b.names), count=1, seed=5)[0]
    values = []
    for t in range(1, 14):
        env = {n: t * v for n, v in ray.items()}
        va = evaluate(a.expr, env, budget)
        vb = evaluate(b.expr, env, budget) if subtract else None
        if not va.exact or (vb is not None and not vb.exact):
            raise Unsupported("not a polynomial")
        values.append(va.value - vb.value if vb is not None else va.value)
    for d in range(12, -1, -1):
        diffs = values
        for _ in range(d):
            diffs = [y - x for x, y in zip(diffs, diffs[1:])]
        if any(diffs):
            return d
    return -1


def _check_claim(c: Claim, expanding: bool, budget: Budget, moduli: Optional[frozenset[int]] = None,
                 based: bool = False) -> tuple[int, Optional[str], bool, Optional[str]]:
    """(links checked, evidence of the first false link or None, could that link be a test, why a
    false link may still be right in a modular-arithmetic setting (`moduli` given) or None)."""
    prepared: dict[int, _Part] = {}

    def part(k: int) -> _Part:
        if k not in prepared:
            budget.check()
            prepared[k] = _prepare(c.parts[k], c.latex)
            prepared.pop(k - 2, None)
        return prepared[k]

    checked = 0
    approximate = False
    for k, op in enumerate(c.ops):
        approximate = approximate or op == "~"
        if op == "=" and approximate:
            op = "~"  # after a ≈, the chain goes on with rounded values: "≈ 12.566 = 12.57"
        if op not in ("=", "~"):
            continue  # an inequality in the chain: its order is not checked
        a, b = part(k), part(k + 1)
        if a.expr is None or b.expr is None:
            continue
        factor = _unit_factors(a, b, k == 0)
        if factor is None:
            continue  # 2 hours + 30 minutes = 150, 3 apples + 4 pears = 7
        if not a.names and not b.names:
            bad = _check_numeric(a, b, op, budget, factor)
            if bad is _UNDECIDED:
                continue
            checked += 1
            if bad:
                excuse = None if moduli is None else _modular_excuse(a, b, op, moduli, budget)
                if excuse is None and based and _NUMERAL.match(c.parts[k]) and _NUMERAL.match(c.parts[k + 1]):
                    excuse = "a numeral in another base (the step or problem works in bases)"
                return checked, _quote(bad, c), could_be_tested(c.parts[k], c.parts[k + 1]), excuse
        elif op == "=" and expanding and (_is_expansion(c.parts[k], c.parts[k + 1], a, b, budget)
                                                 or _is_expansion(c.parts[k + 1], c.parts[k], b, a, budget)):
            checked += 1
            bad = _check_identity(a, b, budget)
            if bad:
                return checked, _quote(bad, c), False, None
    return checked, None, False, None


_MODULUS = re.compile(
    r"(?:\bmod(?:ulo)?\b|\\pmod|\\bmod|\\mod)\s*\{?\s*(\d{1,9})|\b(?:divided|divisible)\s+by\s+\$?(\d{1,9})",
    re.IGNORECASE,
)


def _moduli(text: str) -> frozenset[int]:
    return frozenset(int(m.group(1) or m.group(2)) for m in _MODULUS.finditer(text)) - {0, 1}


def _modular_excuse(a: _Part, b: _Part, op: str, moduli: frozenset[int], budget: Budget) -> Optional[str]:
    """Where `=` may mean integer division or congruence, a false link is excused only in those
    shapes: `194 ÷ 11 = 17` (the quotient, rounded down) and `1024 = 4` between integers that are
    congruent modulo a modulus the problem names (or any, when it names none)."""
    if op != "=":
        return None
    va, vb = _value(a, budget), _value(b, budget)
    if va is None or vb is None or not (va.exact and vb.exact) or vb.value.denominator != 1:
        return None
    x, y = va.value, vb.value
    if x.denominator != 1:
        return "an integer quotient (rounded down)" if math.floor(x) == y else None
    if not moduli:
        return "a possible congruence (the problem names no modulus)"
    hit = sorted(m for m in moduli if (x - y) % m == 0)
    return f"a congruence modulo {hit[0]}" if hit else None


def _quote(bad: str, c: Claim) -> str:
    """Evidence names the claim as written when the false link is only part of it."""
    if len(c.parts) == 2 and not c.source.startswith("<<"):
        return bad
    source = c.source if len(c.source) <= 300 else c.source[:297] + "..."
    return f"{bad} (in `{source}`)"


_MODULAR = re.compile(r"\bmod(?:ulo)?\b|\\pmod|\\equiv|remainder|congruen", re.IGNORECASE)
_MODULAR_HINTS = ("mod", "equiv", "remainder", "congruen")
_BASE_HINTS = ("base", "binary", "octal", "hexadecimal", "ternary", "_")
_IDENTITY_HINTS = ("expand", "multiply", "distribut", "foil", "factor", "complet")


def _has(low: str, words: tuple[str, ...]) -> bool:
    return any(w in low for w in words)


def check_step(text: str, context: str = "", timeout: float = 2.0) -> StepCheck:
    """-1 with evidence when a claim in `text` is false; None (abstain) otherwise.

    `context` (the problem and earlier steps) is accepted for callers' convenience; claims are
    judged on their own, so it only tells whether `=` may mean congruence (modular arithmetic)
    or numerals may be in another base.
    """
    if not isinstance(text, str) or not text.strip():
        return StepCheck(None, EMPTY_STEP, 0)
    if len(text) > MAX_STEP_CHARS:
        return StepCheck(None, f"step longer than {MAX_STEP_CHARS} characters", 0)
    budget = Budget(timeout)  # from the start: every scan below counts against the deadline
    both = context + " " + text
    low = both.lower()  # plain substring tests first: the patterns run only where a word could match
    modular = _has(low, _MODULAR_HINTS) and bool(_MODULAR.search(both))
    moduli = _moduli(both) if modular else None
    based = _has(low, _BASE_HINTS) and bool(_BASES.search(both))
    expanding = _has(low[len(context) + 1 :], _IDENTITY_HINTS) and bool(_IDENTITY_WORDS.search(text))
    total = 0
    unasserted = None  # evidence of a false equation the step itself tests, supposes or rejects
    try:
        for c in iter_claims(text, budget):
            budget.check()
            n, bad, tested_shape, excuse = _check_claim(c, expanding, budget, moduli, based)
            total += n
            if not bad:
                continue
            why = f"it may be {excuse}" if excuse else stance(text, c.start, c.end, tested_shape)
            if why is None:
                return StepCheck(-1, bad, total)
            unasserted = unasserted or f"false equation not flagged, {why}: {bad}"
    except OutOfTime:
        return StepCheck(None, f"deadline of {timeout:.2f} s reached after {total} claims", total)
    except (RecursionError, MemoryError, ArithmeticError, ValueError) as e:  # hostile input: abstain, say so
        return StepCheck(None, f"checker gave up: {type(e).__name__}: {str(e)[:100]}", total)
    if unasserted:
        return StepCheck(None, unasserted, total)
    if total == 0:
        return StepCheck(None, NO_CLAIMS, 0)
    return StepCheck(None, f"{total} claims checked, all true", total)
