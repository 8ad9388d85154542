"""Finding checkable claims inside one reasoning step.

A claim is a chain of expressions joined by `=` or `≈` (`16 - 3 - 4 = 9`, `\\(a = b = c\\)`,
`<<48/2=24>>`). Extraction is deliberately conservative: a run of plain-text arithmetic is only
taken when nothing that could change its meaning (a word, an operator, a digit) touches either
end, because a claim read wrongly becomes a false -1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .forms import split_top


@dataclass(frozen=True)
class Claim:
    parts: tuple[str, ...]  # expressions in the source notation
    ops: tuple[str, ...]  # "=" or "~" (approximately), one per link
    latex: bool  # parts are LaTeX (else plain text)
    source: str  # the text as written, for evidence


_ANNOTATION = re.compile(r"<<([^<>=]{1,200})=([^<>=]{1,60})>>")
_MATH_SEGMENT = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$", re.DOTALL)
_DOLLAR_MATH = re.compile(r"(?<![\\$])\$([^$]{1,400}?)\$(?!\d)")

# plain-text arithmetic: numbers (money, thousands, percent) joined by + - * / x × ÷ ^
_NUM = r"\$?\d+(?:,\d{3})*(?:\.\d+)?%?"
_TERM = rf"\(*\s*-?\s*{_NUM}\s*\)*"
_OP = r"(?:\s*[-+*/×÷^]\s*|\s+x\s+|(?<=\d)x(?=\d))"
_EXPR = rf"{_TERM}(?:{_OP}{_TERM})*"
_REL_TEXT = r"\s*(?:=|≈|~=)\s*(?:(?:about|approximately|approx\.?|roughly)\s+)?"
_PLAIN = re.compile(rf"(?<![\w.,$^/*+\-=(])({_EXPR}(?:{_REL_TEXT}{_EXPR})+)")
_PLAIN_SPLIT = re.compile(_REL_TEXT)
_OK_BEFORE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:,;.!?=\n\u2029\"'")

_SKIP_MATH = re.compile(
    r"\\(?:equiv|pmod|bmod|mod|pm|mp|cdots|ldots|dots|sum|prod|int|lim|to|mapsto|in|subset|cup|cap|"
    r"angle|triangle|overline|vec|hat|bar|circ|deg|perp|parallel|sim|cong|partial|nabla|infty|choose|"
    r"lfloor|rfloor|lceil|rceil|begin|end|sin|cos|tan|cot|sec|csc|arc\w+)(?![A-Za-z])"
    r"|[_']|\\text\{[^{}]*(?:mod|base|remainder)"
)
_STATEMENT_SPLIT = re.compile(
    r"\s*(?:\\\\|\\quad|\\qquad|\\(?:Rightarrow|implies|Longrightarrow|iff|therefore|because)|"
    r"\\(?:text|mbox)\s*\{\s*(?:and|or|so|then)\s*\}|;|,\s+(?=[A-Za-z\\]))\s*"
)
_REL_LATEX = re.compile(r"\s*(=|\\approx|≈|\\simeq|\\doteq|<|>|\\le(?:q)?|\\ge(?:q)?|\\neq|\\ne|≤|≥|≠)\s*")


def _plain_claims(text: str) -> list[Claim]:
    out = []
    for m in _PLAIN.finditer(text):
        raw = m.group(1).rstrip()
        start = m.start(1) + len(raw) - len(raw.lstrip())
        raw = raw.strip()
        after = text[start + len(raw) :]
        before = text[:start].rstrip()
        if re.match(r"\s*(?:[-+*/×÷^%(\d]|\.\d|x\s*\d|times\b|of\b|per\b)", after):
            continue  # the expression goes on past what we matched
        if re.search(r"\b(?:times|of|per|plus|minus|by|x)$", before) or (before and before[-1] not in _OK_BEFORE):
            continue  # ... or started before it ("√169 = 13", "(2+1)(1+1) = 6", "D - 8 = 52")
        if raw.startswith("-") and before and before[-1] not in "(:=":
            continue  # a binary minus whose left operand we did not capture
        if re.match(r"[A-Za-z_]", after) or re.search(r"[A-Za-z_]$", text[:start]):
            continue  # glued to a word: "2x", "8th", "a1"
        parts = [p.strip() for p in _PLAIN_SPLIT.split(raw)]
        ops = ["~" if re.search(r"≈|~=|about|approx|roughly", r) else "=" for r in _PLAIN_SPLIT.findall(raw)]
        if len(parts) >= 2 and all(parts) and raw.count("(") == raw.count(")"):
            out.append(Claim(tuple(parts), tuple(ops), False, raw))
    return out


_TEXT = re.compile(r"\\(?:text|mbox|mathrm|textbf|operatorname)\s*\{([^{}]*)\}")
_UNIT_TEXT = re.compile(r"^\s*(?:dollars?|cents?|units?|degrees?|cm|m|km|kg|g|hours?|minutes?|seconds?|\s*)\s*$")


def _mark_text(stmt: str) -> str:
    """\text{apples} after a number is a unit (dropped); any other \text{...} is a named quantity,
    replaced by an unknown so that its link is never evaluated as arithmetic."""
    return _TEXT.sub(lambda m: f" \\unit{{{m.group(1).strip().lower()}}} " if _UNIT_TEXT.match(m.group(1)) else " \\Theta ", stmt)


def _latex_claims(segment: str) -> list[Claim]:
    out = []
    seg = re.sub(r"\\begin\{(?:align|aligned|eqnarray|gather|split)\*?\}|\\end\{(?:align|aligned|eqnarray|gather|split)\*?\}", "\\\\", segment)
    seg = seg.replace("&", " ")
    seg = re.sub(r"\\text\s*\{\s*(?:and|or|so|then|thus|hence)\s*\}", r"\\quad ", seg)
    seg = _mark_text(seg)
    for stmt in split_top(seg, _STATEMENT_SPLIT):
        stmt = stmt.strip().rstrip(".,;:")
        if "=" not in stmt and "\\approx" not in stmt and "≈" not in stmt:
            continue
        if _SKIP_MATH.search(stmt) or len(stmt) > 600:
            continue
        pieces = split_top(stmt, _REL_LATEX)
        rels = [r.strip() for r in _REL_LATEX.findall(stmt)]
        if len(rels) != len(pieces) - 1 or any(r not in ("=", "\\approx", "≈", "\\simeq", "\\doteq") for r in rels):
            continue
        if not all(p.strip() for p in pieces):
            continue
        ops = tuple("=" if r == "=" else "~" for r in rels)
        out.append(Claim(tuple(p.strip() for p in pieces), ops, True, stmt))
    return out


def find_claims(text: str) -> list[Claim]:
    """All claims in a step, in order of appearance (annotations, LaTeX, then plain text)."""
    claims: list[Claim] = []
    for m in _ANNOTATION.finditer(text):
        claims.append(Claim((m.group(1).strip(), m.group(2).strip()), ("=",), False, m.group(0)))
    text = _ANNOTATION.sub(" ", text)
    rest = []
    last = 0
    for m in _MATH_SEGMENT.finditer(text):
        rest.append(text[last : m.start()])
        last = m.end()
        claims.extend(_latex_claims(next(g for g in m.groups() if g is not None)))
    rest.append(text[last:])
    plain = " \u2029 ".join(rest)
    if "$" in plain:
        pieces = []
        last = 0
        for m in _DOLLAR_MATH.finditer(plain):
            body = m.group(1)
            if not re.search(r"[\\^{}=]", body) or re.search(r"(?<![\\A-Za-z])[A-Za-z]{3,}", body):
                continue  # "$5 and ... $10": dollars, not math delimiters
            pieces.append(plain[last : m.start()])
            last = m.end()
            claims.extend(_latex_claims(m.group(1)))
        pieces.append(plain[last:])
        plain = " \u2029 ".join(pieces)
    claims.extend(_plain_claims(plain))
    return claims
