"""Answer strings -> structured forms (scalar, tuple/interval, set, matrix, relation, text, choice).

Why a structure layer: order matters in a point but not in a solution set, interval ends must
match, and `x = 5` means `5`. Leaves stay strings; comparing them is `compare.py`'s job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Union

from .extract import boxed_contents
from .words import repeating_decimal, spelled_number

INF = re.compile(r"^\s*([+-]?)\s*(?:\\infty|∞|oo|inf|infinity)\s*$")


@dataclass(frozen=True)
class Scalar:
    text: str
    unit: Optional[str] = None  # canonical unit name, e.g. "cm", or a free word ("apples")
    percent: bool = False


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choice:
    letter: str


@dataclass(frozen=True)
class Seq:
    """A bracketed list: a tuple, a point, or an interval (then open/close matter)."""

    open: str
    close: str
    items: tuple["Form", ...]


@dataclass(frozen=True)
class SetOf:
    items: tuple["Form", ...]
    braced: bool = False


@dataclass(frozen=True)
class Matrix:
    rows: tuple[tuple["Form", ...], ...]


@dataclass(frozen=True)
class Relation:
    parts: tuple[str, ...]  # expression strings
    ops: tuple[str, ...]  # "=", "<", "<=", ">", ">=", "!="


@dataclass(frozen=True)
class Union_:
    items: tuple["Form", ...]


@dataclass(frozen=True)
class Bounded:
    """A value with a bound word around it: "at most 5" is ("<=", 5), "more than 3" is (">", 3)."""

    bound: str  # "<=", ">=", "<", ">"
    inner: "Form"


Form = Union[Scalar, Text, Choice, Seq, SetOf, Matrix, Relation, Union_, Bounded]

# --- units: factor to a base unit per dimension, exact -------------------------------------------
_LEN = {"mm": Fraction(1, 1000), "cm": Fraction(1, 100), "m": Fraction(1), "km": Fraction(1000),
        "in": Fraction(254, 10000), "ft": Fraction(3048, 10000), "yd": Fraction(9144, 10000),
        "mi": Fraction(1609344, 1000)}
_MASS = {"mg": Fraction(1, 1000), "g": Fraction(1), "kg": Fraction(1000), "lb": Fraction(45359237, 100000),
         "oz": Fraction(45359237, 1600000)}
_TIME = {"s": Fraction(1), "min": Fraction(60), "h": Fraction(3600), "day": Fraction(86400),
         "week": Fraction(604800)}
_VOL = {"ml": Fraction(1, 1000), "l": Fraction(1)}
UNITS: dict[str, tuple[str, Fraction]] = {}
for _dim, _table in (("length", _LEN), ("mass", _MASS), ("time", _TIME), ("volume", _VOL)):
    for _u, _f in _table.items():
        UNITS[_u] = (_dim, _f)
_ALIASES = {
    "millimeter": "mm", "millimeters": "mm", "centimeter": "cm", "centimeters": "cm", "meter": "m",
    "meters": "m", "metre": "m", "metres": "m", "kilometer": "km", "kilometers": "km", "inch": "in",
    "inches": "in", "foot": "ft", "feet": "ft", "yard": "yd", "yards": "yd", "mile": "mi", "miles": "mi",
    "gram": "g", "grams": "g", "kilogram": "kg", "kilograms": "kg", "milligram": "mg", "milligrams": "mg",
    "pound": "lb", "pounds": "lb", "lbs": "lb", "ounce": "oz", "ounces": "oz", "sec": "s", "second": "s",
    "seconds": "s", "minute": "min", "minutes": "min", "mins": "min", "hour": "h", "hours": "h", "hr": "h",
    "hrs": "h", "days": "day", "weeks": "week", "liter": "l", "liters": "l", "litre": "l", "litres": "l",
    "milliliter": "ml", "milliliters": "ml", "mL": "ml", "L": "l",
}
_NEUTRAL_WORDS = {"units", "unit", "square units", "sq units", "cubic units", "dollars", "dollar", "usd",
                  "cents?"}
_UNIT_WORD = r"[A-Za-z]+(?:\s+[A-Za-z]+)?"
_UNIT_SUFFIX = re.compile(
    r"^(?P<num>.*?[\d}).\w])\s*(?:\\(?:text|mbox|mathrm|textrm|operatorname)\s*\{\s*(?P<u1>[^{}]*?)\s*\}"
    r"|\s(?P<u2>" + _UNIT_WORD + r"))(?P<pow>\^\{?[23]\}?|²|³)?\s*$"
)


def canonical_unit(word: str, power: str = "") -> Optional[str]:
    """'centimeters', '^2' -> 'cm^2'; None for words that are not units."""
    w = word.strip().rstrip(".")
    sq = ""
    for prefix, p in (("square ", "^2"), ("sq ", "^2"), ("cubic ", "^3")):
        if w.lower().startswith(prefix):
            w, sq = w[len(prefix) :], p
    if power:
        sq = "^" + re.sub(r"\D", "", power.replace("²", "2").replace("³", "3"))
    u = _ALIASES.get(w, _ALIASES.get(w.lower(), w if w in UNITS else w.lower() if w.lower() in UNITS else None))
    return None if u is None else u + sq


def unit_factor(unit: str) -> Optional[tuple[str, Fraction]]:
    """(dimension, factor to base) for a canonical unit, powers included."""
    base, _, p = unit.partition("^")
    if base not in UNITS:
        return None
    dim, f = UNITS[base]
    k = int(p) if p else 1
    return f"{dim}^{k}", f**k


# --- cleaning -----------------------------------------------------------------------------------
_PREFIX = re.compile(r"^\s*(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*:?\s*", re.IGNORECASE)
_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$")
_THOUSANDS_COUNTED = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?\s+[A-Za-z]+(?:\s+[A-Za-z]+)?$")
_SPACES_TEX = re.compile(r"(?<!\\)\\[,;:! ]|\\quad|\\qquad|~|\\displaystyle|\\textstyle")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\\text\{\s*degrees?\s*\}|\s+degrees?$")
_CURRENCY = re.compile(r"\\\$|\$|€|£|\\euro|\bUSD\b|\\text\{\s*dollars?\s*\}|\s+dollars?$")
_PERCENT = re.compile(r"\s*(?:\\%|%|\\text\{\s*percent\s*\}|\s+percent)\s*$")
_WRAP = re.compile(r"^\\(?:text|textbf|textit|mbox|mathrm|mathbf|textrm)\s*\{(.*)\}$", re.DOTALL)
_CHOICE = re.compile(r"^(?:\(([A-Ea-e])\)|([A-E])|([A-E])\)|\\text\{\(?([A-E])\)?\})$")
_CHOICE_VALUE = re.compile(r"^\(([A-E])\)\s+\S")  # "(B) 12": the letter is the answer
_CHOICE_LEAD = re.compile(r"^\(?([A-E])\)[\s.:]")
_WORDS_ONLY = re.compile(r"^[A-Za-z]+(?:[\s'\-][A-Za-z]+)*$")
_MATRIX = re.compile(r"^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}$", re.DOTALL)
_FUNC_WORDS = {"sin", "cos", "tan", "log", "ln", "sqrt", "exp", "pi", "sec", "csc", "cot"}


# a trailing remark after the answer: "900 (i.e., all values)", "12, i.e. a dozen", "900, as there
# are 900 such numbers", "7 — the smallest such value"
_ASIDE = re.compile(
    r"\s\((?=[^()]*(?<![\\A-Za-z])[A-Za-z]{3})[^()]*\)$|\s\\text\{\s*\([^{}]*\)\s*\}$"
    r"|(?<!\s)[,;]?\s+\(?(?:i\.\s?e\.?|e\.\s?g\.?|that\s+is|namely)[,:]?\s[^()]*\)?$"
    r"|(?<!\s)(?:,|;|\s[—–]|\s-{1,2})\s+(?:as|because|since|which|where|so|given|due\s+to|for|the|this|that|these|"
    r"all|both|each|every|one|it|we|they|there)\s[^()]*$",
    re.IGNORECASE,
)
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.|\\ldots|\\dots)$")
# "No, it is not possible" answers "No"; "No solutions" is not a yes/no answer (no punctuation)
_YES_NO_LEAD = re.compile(r"^(yes|no)\s*[,.;:!—–]\s*\S", re.IGNORECASE)


def _strip_wrappers(s: str) -> tuple[str, bool]:
    """Remove boxes, dollar delimiters, \\text{} around the whole thing; report text-wrapping."""
    s = re.sub(r"\s+", " ", s).strip()  # one space at most: no pattern below meets a long run of them
    boxes = boxed_contents(s)
    if boxes:
        s = boxes[-1]
    s = _PREFIX.sub("", s)
    s = s.strip().strip("$").strip()
    s = re.sub(r"\\left\s*|\\right\s*", "", s)
    s = re.sub(r"\\(?:dfrac|tfrac|cfrac)", r"\\frac", s)
    s = re.sub(r"(\d)\{,\}(\d{3})", r"\1,\2", s)
    s = re.sub(r"(\d)\\[,!]\s?(?=\d{3}\b)", r"\1,", s)
    s = _SPACES_TEX.sub(" ", s).strip()
    s = _DEGREES.sub("", s)
    s = _CURRENCY.sub("", s).strip()
    s = s.rstrip(" .\t\n\r\f\v") if not re.search(r"\d\.$", s) else s.rstrip(".").strip()
    s = _ELLIPSIS.sub("", s)
    yes_no = _YES_NO_LEAD.match(s)
    if yes_no or s.lower() in ("yes", "no"):
        return (yes_no.group(1) if yes_no else s).capitalize(), True
    aside = _ASIDE.search(s)
    if aside and aside.start() > 0:
        s = s[: aside.start()].rstrip(" ,;")
    was_text = False
    m = _WRAP.match(s)
    while m and _balanced(m.group(1)):
        s, was_text = m.group(1).strip(), True
        m = _WRAP.match(s)
    return s, was_text


def _balanced(s: str) -> bool:
    depth = 0
    for c in s:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


_OPEN = "([{"
_CLOSE = ")]}"


def split_top(s: str, sep: re.Pattern[str]) -> list[str]:
    """Split at `sep` matches outside any bracket (mismatched interval brackets count too).

    `sep` must begin with `\\s*` or be unable to match at a space: runs of spaces are tried once.
    """
    parts, depth, last, i = [], 0, 0, 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and s.startswith("\\{", i) or c == "\\" and s.startswith("\\}", i):
            depth += 1 if s[i + 1] == "{" else -1
            i += 2
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
        elif depth == 0:
            m = sep.match(s, i)
            if m and m.end() > i:
                parts.append(s[last:i])
                last = i = m.end()
                continue
            if c.isspace():  # every separator here starts with \s* (or not with a space at all):
                while i + 1 < n and s[i + 1].isspace():  # failing at a space fails on the whole run,
                    i += 1  # so skip it instead of retrying at each space (quadratic)
        i += 1
    parts.append(s[last:])
    return parts


def _encloses(s: str, open_at: int, close_at: int) -> bool:
    """Is s[open_at] matched exactly by s[close_at] (so the bracket wraps everything)?"""
    depth = 0
    for j in range(open_at, close_at + 1):
        if s[j] in _OPEN:
            depth += 1
        elif s[j] in _CLOSE:
            depth -= 1
            if depth == 0 and j < close_at:
                return False
    return depth == 0


_COMMA = re.compile(r",")
_OR = re.compile(r"\s*(?:\\text\{\s*(?:or|and)\s*\}|\\(?:quad|qquad)|\bor\b|\band\b|;)\s*")
_MEMBER = re.compile(r"^[A-Za-z]\s*\\in\s*(?=[\[(\\])")
_PM = re.compile(r"\s*(?:\\pm|\\mp|±)\s*")
_CUP = re.compile(r"\s*(?:\\cup|∪|\bU\b)\s*")
_REL = re.compile(r"\s*(\\leq?q?|\\geq?q?|\\neq|\\ne(?![a-z])|≤|≥|≠|<=|>=|!=|<|>|=)\s*")
_REL_NAMES = {"\\le": "<=", "\\leq": "<=", "\\leqq": "<=", "≤": "<=", "<=": "<=", "\\ge": ">=", "\\geq": ">=",
              "\\geqq": ">=", "≥": ">=", ">=": ">=", "\\neq": "!=", "\\ne": "!=", "≠": "!=", "!=": "!=",
              "<": "<", ">": ">", "=": "="}


def answer_text(raw: str) -> str:
    """The answer with boxes, delimiters and wrappers removed ('' for an empty `\\boxed{}`)."""
    if len(raw) > 5000:
        return raw
    return _strip_wrappers(raw)[0]


def parse_answer(raw: str) -> Form:
    """Structured form of one answer string (reference or candidate)."""
    s, was_text = _strip_wrappers(raw)
    return _parse(s, was_text, 0)


_BOUND_WORDS = re.compile(
    r"^(at\s+most|at\s+least|no\s+more\s+than|no\s+less\s+than|not\s+more\s+than|not\s+less\s+than|up\s+to|"
    r"more\s+than|less\s+than|fewer\s+than|greater\s+than|over|under)\s+(?=[-$\d\\(]|(?:zero|one|two|three|four|"
    r"five|six|seven|eight|nine|ten)\b)",
    re.IGNORECASE,
)
_BOUNDS = {"at most": "<=", "no more than": "<=", "not more than": "<=", "up to": "<=", "at least": ">=",
           "no less than": ">=", "not less than": ">=", "more than": ">", "greater than": ">", "over": ">",
           "less than": "<", "fewer than": "<", "under": "<"}
# words around a value that do not change it: "exactly 12", "a total of 12", "all 900", "12 in total"
_PLAIN_LEAD = re.compile(r"^(?:there\s+(?:are|is|were|was)\s+)?(?:(?:exactly|only|just|precisely|a\s+total\s+of|"
                         r"in\s+total|all|total(?:\s+of)?)\s+)?(?=[-$\d\\(])", re.IGNORECASE)
_PLAIN_TAIL = re.compile(r"(?<=\S)\s+(?:in\s+total|in\s+all|total|altogether|overall)$", re.IGNORECASE)
# "there are no (real) solutions", "no such n exists", "none", "does not exist": the empty set
_NO_SOLUTION = re.compile(
    r"^(?:there\s+(?:are|is|exist|exists)\s+)?no\s+(?:real\s+|integer\s+|positive\s+|integral\s+|such\s+)*"
    r"(?:solutions?|values?|roots?|pairs?|triples?|numbers?|integers?|such\s+\w+)(?:\s+(?:exists?|at\s+all))?$"
    r"|^(?:none|no\s+solutions?\s+exists?|(?:it|the\s+\w+)\s+does\s+not\s+exist|dne)$",
    re.IGNORECASE,
)


def _parse(s: str, was_text: bool, depth: int) -> Form:
    s = _MEMBER.sub("", s.strip())  # x \in [-2, 7] answers with the interval
    if depth > 8:
        return Scalar(s)
    if _NO_SOLUTION.match(s):
        return SetOf((), braced=True)
    s = _PLAIN_TAIL.sub("", _PLAIN_LEAD.sub("", s))
    bound = _BOUND_WORDS.match(s)
    if bound:
        return Bounded(_BOUNDS[re.sub(r"\s+", " ", bound.group(1).lower())], _parse(s[bound.end():], False, depth + 1))
    number = spelled_number(s)
    if number is not None:  # before splitting at "and": "two hundred and fifty"
        return Scalar(number)
    m = _CHOICE.match(s) or _CHOICE_VALUE.match(s)
    if m:
        return Choice(next(g for g in m.groups() if g).upper())
    if s in ("\\emptyset", "\\varnothing", "∅", "\\{\\}", "{}"):
        return SetOf((), braced=True)
    mm = _MATRIX.match(s)
    if mm:
        rows = [r for r in re.split(r"\\\\", mm.group(2)) if r.strip()]
        return Matrix(tuple(tuple(_parse(c, False, depth + 1) for c in r.split("&")) for r in rows))
    if _THOUSANDS.match(s):
        return Scalar(s.replace(",", ""))
    if _THOUSANDS_COUNTED.match(s):  # "1,234 ways": one number and what it counts, not a list
        return _scalar(s, was_text)
    parts = split_top(s, _OR)
    if len(parts) > 1 and all(p.strip() for p in parts):
        return SetOf(tuple(_parse(p, False, depth + 1) for p in parts))
    parts = split_top(s, _CUP)
    if len(parts) > 1 and all(p.strip() for p in parts):
        return Union_(tuple(_parse(p, False, depth + 1) for p in parts))
    if s.startswith("\\{") and s.endswith("\\}") and _encloses(s.replace("\\{", "{").replace("\\}", "}"), 0, len(s.replace("\\{", "{").replace("\\}", "}")) - 1):
        inner = s[2:-2]
        items = [p for p in split_top(inner, _COMMA)]
        return SetOf(tuple(_parse(p, False, depth + 1) for p in items if p.strip()), braced=True)
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and _encloses(s, 0, len(s) - 1):
        items = split_top(s[1:-1], _COMMA)
        if len(items) > 1:
            return Seq(s[0], s[-1], tuple(_parse(p, False, depth + 1) for p in items))
        if s[0] == "[" or s[-1] == "]":
            return _parse(s[1:-1], False, depth + 1)
    items = split_top(s, _COMMA)
    if len(items) > 1 and all(p.strip() for p in items):
        return SetOf(tuple(_parse(p, False, depth + 1) for p in items))
    pm = split_top(s, _PM)
    if len(pm) == 2:  # 1 \pm \sqrt{2} is the set of both signs
        a, b = pm[0].strip(), pm[1].strip()
        return SetOf((_parse(f"{a}+{b}" if a else b, False, depth + 1), _parse(f"{a}-({b})" if a else f"-({b})", False, depth + 1)))
    rel = split_top(s, _REL)
    if len(rel) > 1:
        ops = tuple(_REL_NAMES[o.strip()] for o in _REL.findall(s))
        if len(ops) == len(rel) - 1 and all(p.strip() for p in rel):
            return Relation(tuple(p.strip() for p in rel), ops)
    return _scalar(s, was_text)


def _scalar(s: str, was_text: bool) -> Form:
    number = spelled_number(s) or repeating_decimal(s)
    if number is not None:  # "seventeen", "2.4 billion", "0.\\overline{3}"
        return Scalar(number)
    counted = _spelled_count(s)
    if counted is not None:  # "eleven apples"
        return counted
    if was_text and not re.search(r"\d", s):
        return Text(_text_key(s))
    if _WORDS_ONLY.match(s) and max(len(w) for w in re.split(r"[\s'\-]", s)) >= 3 and not (
        set(re.split(r"[\s'\-]", s.lower())) & _FUNC_WORDS
    ):
        return Text(_text_key(s))
    percent = False
    if _PERCENT.search(s):
        s, percent = _PERCENT.sub("", s), True
    s = _DEGREES.sub("", s).strip()
    s = _CURRENCY.sub("", s).strip()
    unit = None
    m = _UNIT_SUFFIX.match(s)
    if m:
        word = (m.group("u1") or m.group("u2") or "").strip()
        if word.lower() in _NEUTRAL_WORDS:
            s = m.group("num").strip()
        elif word:
            u = canonical_unit(word, m.group("pow") or "")
            if u is not None or m.group("u1") or _count_noun(word):
                s, unit = m.group("num").strip(), u or word.lower()
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    m = _MIXED.match(s)
    if m:  # 2\frac{1}{2} and 2 1/2 are mixed numbers in answers, not products
        sign, whole = m.group("sign") or "", m.group("w")
        num = m.group("n1") or m.group("n1b") or m.group("n2")
        den = m.group("d1") or m.group("d1b") or m.group("d2")
        s = f"{sign}({whole}+{num}/{den})"
    return Scalar(s.strip(), unit, percent)


_NOT_NOUNS = _FUNC_WORDS | {"dozen", "dozens", "hundred", "thousand", "million", "billion", "trillion", "score",
                            "gross", "and", "or", "times", "mod", "modulo", "squared", "cubed", "percent", "degrees",
                            "radians", "rad", "deg", "factorial", "choose", "over", "plus", "minus", "by", "of"}


def _count_noun(words: str) -> bool:
    """'eggs', 'duck eggs', 'students': words naming what a number counts (not a function, a
    magnitude such as 'dozen', an operator word or a one-letter variable)."""
    parts = words.lower().split()
    return all(len(w) >= 2 and w.isalpha() and w not in _NOT_NOUNS for w in parts)


def _spelled_count(s: str) -> Optional[Scalar]:
    """'eleven apples', 'twenty-one duck eggs': a number in words and the one or two words it counts."""
    words = s.split()
    for k in (1, 2):
        if len(words) > k and _count_noun(" ".join(words[-k:])):
            number = spelled_number(" ".join(words[:-k]))
            if number is not None:
                return Scalar(number, " ".join(words[-k:]).lower())
    return None


_MIXED = re.compile(
    r"^(?P<sign>-)?\s*(?P<w>\d+)\s*(?:\\frac\s*(?:\{(?P<n1>\d+)\}\{(?P<d1>\d+)\}|(?P<n1b>\d)(?P<d1b>\d))"
    r"|\s+(?P<n2>\d+)/(?P<d2>\d+))$"
)


def _text_key(s: str) -> str:
    s = re.sub(r"\\text\{([^{}]*)\}", r"\1", s)
    return re.sub(r"\s+", " ", s).strip().lower()


def choice_in(form: Form) -> Optional[str]:
    """A choice letter stated by a candidate form, e.g. '(B) 12' -> 'B'."""
    if isinstance(form, Choice):
        return form.letter
    if isinstance(form, Text):
        m = _CHOICE_LEAD.match(form.text.upper() + " ")
        return m.group(1) if m else None
    return None


def infinity(text: str) -> Optional[str]:
    """'+oo' / '-oo' for spellings of infinity, else None."""
    m = INF.match(text)
    return None if not m else ("-oo" if m.group(1) == "-" else "+oo")
