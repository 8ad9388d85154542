"""Numbers written in words or with magnitude words, and repeating decimals, as exact values.

Answers arrive as "seventeen", "two hundred and fifty", "2.4 billion", "3 thousand", "two thirds"
or `0.\\overline{3}`; each is read into an exact decimal or fraction string that the rest of the
comparison already understands. Anything not wholly a number in words returns None.
"""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Optional

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1, "an": 1,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_DENOMINATORS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
                 "fourth": 4, "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6,
                 "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8, "ninth": 9, "ninths": 9,
                 "tenth": 10, "tenths": 10}
_NEGATIVE = {"negative", "minus"}
_MAGNITUDE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(dozen|hundred|thousand|million|billion|trillion)\s*$", re.IGNORECASE)
_REPEATING = re.compile(
    r"^\s*(-?)(\d*)\.(\d*)\s*(?:\\overline\s*\{(\d+)\}|\\dot\s*\{?(\d)\}?|\\bar\s*\{(\d+)\})\s*$"
)
MAX_WORDS = 20


def _integer(words: list[str]) -> Optional[int]:
    """'two hundred fifty' -> 250; None if the words are not one integer."""
    total, current, seen, last_scale = 0, 0, False, None
    for w in words:
        if w == "and" and seen:
            continue
        if w in _UNITS:
            if current % 10 or (current and current < 10):
                return None  # "five six"
            current += _UNITS[w]
        elif w in _TENS:
            if current % 100:
                return None
            current += _TENS[w]
        elif w == "hundred":
            if current % 100 == 0 and current:
                return None
            current = (current or 1) * 100
        elif w in _SCALES:
            if current >= 1000 or (last_scale is not None and _SCALES[w] >= last_scale):
                return None  # "thousand thousand", "one thousand one million"
            total += (current or 1) * _SCALES[w]
            last_scale = _SCALES[w]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def spelled_number(text: str) -> Optional[str]:
    """'seventeen' -> '17', '2.4 billion' -> '2400000000', 'two thirds' -> '2/3'; else None."""
    s = text.strip().lower().rstrip(".")
    m = _MAGNITUDE.match(s)
    if m:
        scale = {"hundred": 100, "dozen": 12}.get(m.group(2).lower()) or _SCALES[m.group(2).lower()]
        v = Fraction(m.group(1)) * scale
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    words = [w for w in re.split(r"[\s\-]+", s) if w]
    if not words or len(words) > MAX_WORDS or not all(w.isalpha() for w in words):
        return None
    sign = ""
    if words[0] in _NEGATIVE:
        sign, words = "-", words[1:]
    if len(words) >= 2 and words[-1] in _DENOMINATORS:
        num = _integer(words[:-1])
        plural = words[-1].endswith("s") and words[-1] != "halves" or words[-1] == "halves"
        if num is None or (num == 1) == plural and words[-1] != "half":
            return None
        return f"{sign}{num}/{_DENOMINATORS[words[-1]]}"
    if words == ["half"]:
        return f"{sign}1/2"
    if words[0] in ("a", "an") and len(words) == 1:
        return None
    n = _integer(words)
    return None if n is None else f"{sign}{n}"


def repeating_decimal(text: str) -> Optional[str]:
    """'0.\\overline{3}' -> '1/3', '0.1\\overline{6}' -> '1/6'; else None."""
    m = _REPEATING.match(text)
    if not m:
        return None
    sign, whole, fixed = m.group(1), m.group(2) or "0", m.group(3)
    rep = m.group(4) or m.group(5) or m.group(6)
    value = Fraction(int(whole)) + (Fraction(int(fixed), 10 ** len(fixed)) if fixed else 0)
    value += Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(fixed))
    if sign:
        value = -value
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)
