"""Finding checkable claims inside one reasoning step.

A claim is a chain of expressions joined by `=` or `≈` (`16 - 3 - 4 = 9`, `\\(a = b = c\\)`,
`<<48/2=24>>`). Extraction is deliberately conservative: a run of plain-text arithmetic is only
taken when nothing that could change its meaning (a word, an operator, a digit) touches either
end, because a claim read wrongly becomes a false -1.

Everything here is linear in the step's length (a step is model text: it can be 100 kB of
anything): plain arithmetic is read by a token state machine, not a regex with nested
quantifiers; math segments are found with `str.find`; runs of spaces are collapsed before any
pattern with optional spaces sees them. Each claim keeps its position, so `stance.py` can read
the words around it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from .forms import split_top
from .numeric import Budget


@dataclass(frozen=True)
class Claim:
    parts: tuple[str, ...]  # expressions in the source notation
    ops: tuple[str, ...]  # "=" or "~" (approximately), one per link
    latex: bool  # parts are LaTeX (else plain text)
    source: str  # the text as written, for evidence
    start: int = 0  # where the claim (or the math segment holding it) sits in the step
    end: int = 0


_ANNOTATION = re.compile(r"<<([^<>=]{1,200})=([^<>=]{1,60})>>")
_DOLLAR_MATH = re.compile(r"(?<![\\$])\$([^$]{1,400}?)\$(?!\d)")
_DELIMITERS = (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"))

# plain-text arithmetic: numbers (money, thousands, percent) joined by + - * / x × ÷ ^, read one
# token at a time by a small state machine (a regex with nested quantifiers backtracked for
# minutes on one long step); every token alternative below consumes what it matches for good
_PLAIN_TOKEN = re.compile(
    r"(?P<num>\$?\d+(?:,\d{3})*(?:\.\d+)?%?)|(?P<rel>~=|=|≈)|(?P<op>[-+*/×÷^])|(?P<open>\()"
    r"|(?P<close>\))|(?P<word>(?:about|approximately|approx\.?|roughly)(?![A-Za-z]))|(?P<unit>[A-Za-z]{2,})"
    r"|(?P<x>x)|(?P<ws>\s+)"
)
# a word after a number is its unit or what it counts ("180 meters + 180 meters", "3 apples + 4
# apples") only when an operator, a relation or the end of the statement follows it, and it is
# not a word that changes the arithmetic
_AFTER_UNIT = re.compile(r"[ \t]*(?:[-+*/×÷^=≈)]|[.,;:!?](?:\s|$)|$|\n)")
_NOT_UNIT = frozenset(
    "times of per plus minus by over divided multiplied equals equal is are was and or to from in for at each "
    "which that so then gives choose squared cubed factorial percent percentage degrees degree radians radian "
    "dozen dozens hundred hundreds thousand thousands million millions billion billions mod modulo less more "
    "than left remaining total altogether about approximately roughly".split()
)
_START = re.compile(r"[-(\d$]")
_ARITHMETIC_RUN = re.compile(r"[\d\s=≈~+\-*/×÷^().,$%x]*")
_NO_START_AFTER = set("_.,$^/*+-=(")  # and any letter or digit
_GOES_ON = re.compile(r"[ \t]*(?:\u2029|[-+*/×÷^%(\d]|\.\d|x\s*\d|(?:times|of|per|choose|over|squared|cubed|factorial)\b|!)")
_WORD_BEFORE = re.compile(r"\b(?:times|of|per|plus|minus|by|x|choose|over|root|sqrt|log|ln|squared|cubed)$")
_OK_BEFORE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:,;.!?=\n\u2029\"'")

_SKIP_MATH = re.compile(
    r"\\(?:equiv|pmod|bmod|mod|pm|mp|cdots|ldots|dots|sum|prod|int|lim|to|mapsto|in|subset|cup|cap|"
    r"angle|triangle|overline|vec|hat|bar|circ|deg|perp|parallel|sim|cong|partial|nabla|infty|choose|"
    r"lfloor|rfloor|lceil|rceil|begin|end|sin|cos|tan|cot|sec|csc|arc\w+)(?![A-Za-z])"
    r"|'|\\text\{[^{}]*(?:mod|base|remainder)"
)
_STATEMENT_SPLIT = re.compile(
    r"\s*(?:\\\\|\\quad|\\qquad|\\(?:Rightarrow|implies|Longrightarrow|iff|therefore|because)|"
    r"\\(?:text|mbox)\s*\{\s*(?:and|or|so|then)\s*\}|;|,\s+(?=[A-Za-z\\]))\s*"
)
_REL_LATEX = re.compile(
    r"\s*(=|≈|<|>|≤|≥|≠|\\(?:approx|simeq|doteq|leq?|geq?|leqslant|geqslant|neq?|lt|gt)(?![A-Za-z]))\s*"
)  # (?![A-Za-z]): "\\left" is not "\\le" followed by "ft"
_EQUALITY = ("=", "\\approx", "≈", "\\simeq", "\\doteq")
_NOT_EQUAL = ("\\neq", "\\ne", "≠")
MAX_STATEMENT = 600  # a longer LaTeX statement is not one claim we can read with confidence
_TEXT_CMD = re.compile(r"\\(?:text|mathrm|operatorname|textbf|mbox)\s*\{[^{}]*\}")
MAX_LINKS = 64  # nor is a plain-text chain of more relations than this


def _plain_runs(text: str, budget: Optional[Budget] = None):
    """(start, end, relation tokens) of each run of plain arithmetic with at least one `=`/`≈`,
    the longest one from each start (as a greedy regex would); linear in len(text)."""
    n, i = len(text), 0
    while i < n:
        s = _START.search(text, i)
        if s is None:
            return
        i = s.start()
        m = _PLAIN_TOKEN.match(text, i)
        if m is None or (m.lastgroup == "op" and m.group() != "-") or m.lastgroup not in ("num", "open", "op"):
            i += 1
            continue
        if m.group() == "-" and _bullet(text, i):
            i += 1  # "- 3^2 = 9": a list item's bullet, not a minus sign
            continue
        if i > 0 and (text[i - 1].isalnum() or text[i - 1] in _NO_START_AFTER):
            i = m.end()
            continue
        if budget is not None:
            budget.check()
        end, rels, j = _scan_run(text, i, budget)
        if end is None:
            i = max(j, m.end())
            continue
        yield i, end, rels
        i = end


def _bullet(text: str, i: int) -> bool:
    """Is the '-' at i a list bullet: first on its line, followed by a space?"""
    if text[i + 1 : i + 2] not in (" ", "\t"):
        return False
    k = i
    while k > 0 and text[k - 1] in " \t":  # bounded by the spaces before it, not by the line
        k -= 1
    return k == 0 or text[k - 1] == "\n"


def _scan_run(text: str, i: int, budget: Optional[Budget]) -> tuple[Optional[int], list[tuple[int, int, bool]], int]:
    """Run the operand/operator machine from i: (end of the longest complete run with a relation
    or None, its relations as (start, end, approximate), where the scan stopped)."""
    state = "operand"  # operand: expect ( - number | minus: expect number | value: after a number or )
    rels: list[tuple[int, int, bool]] = []
    pending: list[tuple[int, int, bool]] = []  # relations since the last complete value
    best: Optional[int] = None
    best_count = 0
    prev_ws = after_rel = False
    last_kind = ""
    n, steps = len(text), 0
    while i < n:
        m = _PLAIN_TOKEN.match(text, i)
        if m is None:
            break
        steps += 1
        if budget is not None and steps % 1024 == 0:
            budget.check()
        kind, j = m.lastgroup, m.end()
        if kind == "ws":
            if "\n" in m.group() and not after_rel:
                nxt = _PLAIN_TOKEN.match(text, j)
                if nxt is None or nxt.lastgroup != "rel":
                    break  # a new line is a new statement (a bullet's item), unless it goes on with "= …"
            prev_ws, i = True, j
            continue
        if state in ("operand", "minus"):
            if kind == "num":
                state = "value"
            elif kind == "open" and state == "operand":
                pass
            elif kind == "op" and m.group() == "-" and state == "operand":
                state = "minus"
            elif kind == "word" and after_rel:
                pending[-1] = (pending[-1][0], pending[-1][1], True)
            else:
                break
        else:  # value
            if kind == "close":
                pass
            elif kind == "unit":
                if (last_kind != "num" or m.group().lower() in _NOT_UNIT or not _AFTER_UNIT.match(text, j)):
                    break
            elif kind == "op":
                state = "operand"
            elif kind == "x" and ((prev_ws and j < n and text[j].isspace())
                                  or (text[i - 1].isdigit() and j < n and text[j].isdigit())):
                state = "operand"
            elif kind == "rel":
                pending.append((i, j, m.group() != "="))
                state = "operand"
                if len(rels) + len(pending) > MAX_LINKS:  # never read as a claim: skip the run at C speed
                    return None, [], _ARITHMETIC_RUN.match(text, j).end()
            else:
                break
        after_rel = kind == "rel"
        last_kind = kind
        if state == "value" and pending:
            rels.extend(pending)
            pending = []
        if state == "value" and rels:
            best, best_count = j, len(rels)
        prev_ws, i = False, j
    return best, rels[:best_count], i


def _plain_claims(text: str, budget: Optional[Budget] = None) -> Iterator[Claim]:
    for start, end, rels in _plain_runs(text, budget):
        if len(rels) > MAX_LINKS or end - start > MAX_STATEMENT * 4:
            continue  # not one claim a step makes; reading it would cost more than it could tell
        raw = text[start:end].rstrip()
        end = start + len(raw)
        after = text[end : end + 40]
        b = start
        while b > 0 and text[b - 1].isspace() and text[b - 1] not in "\n\u2029":
            b -= 1
        prev = text[b - 1] if b > 0 else ""  # a new line starts a new statement: "\n" is a fine prev
        if prev == "-" and _bullet(text, b - 1):
            prev = "\n"  # "- 3^2 = 9": the item of a list starts here
        if _GOES_ON.match(after):
            continue  # the expression goes on past what we matched
        if _WORD_BEFORE.search(text[max(0, b - 12) : b]) or (prev and prev not in _OK_BEFORE):
            continue  # ... or started before it ("√169 = 13", "(2+1)(1+1) = 6", "D - 8 = 52")
        if prev.isalpha() and not _compound_first_part(text, start, rels) and _label_word(text, b):
            continue  # "Day 1 = 10 miles", "Week 3 = $50": a label and its number, not arithmetic
        if prev == ":" and b == start and b >= 2 and text[b - 2].isdigit():
            continue  # a ratio or a time: "3:4 = 0.75", "2:30 = 150 minutes"
        if raw.startswith("-") and prev and prev not in "(:=":
            continue  # a binary minus whose left operand we did not capture
        if re.match(r"[A-Za-z_]", after) or (start > 0 and re.match(r"[A-Za-z_]", text[start - 1])):
            continue  # glued to a word: "2x", "8th", "a1"
        cuts = [start] + [x for r in rels for x in r[:2]] + [end]
        parts = [_UNIT_WORD.sub(r" \\unit{\1} ", _drop_approx_word(text[cuts[k] : cuts[k + 1]])).strip()
                 for k in range(0, len(cuts), 2)]
        ops = ["~" if r[2] else "=" for r in rels]
        if len(parts) >= 2 and all(parts) and raw.count("(") == raw.count(")"):
            yield Claim(tuple(parts), tuple(ops), False, raw, start, end)


_UNIT_WORD = re.compile(r"(?<=[\d%])\s*([A-Za-z]{2,})")

_CONNECTORS = frozenset(
    "so thus then hence therefore is are was were be been get gets got gives give giving have has had and or "
    "that which because since as also yields equals making makes compute computing calculate calculating find "
    "obtain check verify now first next finally total sum we it this becomes become leaves leaving means "
    "simplifies simplify to into by with of per in answer result value".split()
)


def _compound_first_part(text: str, start: int, rels: list[tuple[int, int, bool]]) -> bool:
    """Is the claim's first part more than one number (an operator before its first relation)?"""
    first = text[start : rels[0][0]].strip() if rels else ""
    return not re.fullmatch(r"\$?\d+(?:,\d{3})*(?:\.\d+)?%?", first)


def _label_word(text: str, b: int) -> bool:
    """The word right before position b is not a connector ("so", "is", "total"): a label."""
    m = re.search(r"([A-Za-z]+)$", text[max(0, b - 30) : b])
    return bool(m) and m.group(1).lower() not in _CONNECTORS


def _drop_approx_word(part: str) -> str:
    part = part.strip()
    m = re.match(r"(?:about|approximately|approx\.?|roughly)\s+", part)
    return part[m.end() :].strip() if m else part


_TEXT = re.compile(r"\\(?:text|mbox|mathrm|textbf|operatorname)\s*\{([^{}]*)\}")
_UNIT_TEXT = re.compile(r"^\s*(?:dollars?|cents?|units?|degrees?|cm|m|km|kg|g|hours?|minutes?|seconds?|\s*)\s*$")


def _mark_text(stmt: str) -> str:
    """\text{apples} after a number is a unit (dropped); any other \text{...} is a named quantity,
    replaced by an unknown so that its link is never evaluated as arithmetic."""
    return _TEXT.sub(lambda m: f" \\unit{{{m.group(1).strip().lower()}}} " if _UNIT_TEXT.match(m.group(1)) else " \\Theta ", stmt)


_LINE_GOES_ON = re.compile(r"\\\\ ?(?=(?:=|≈|<|>|\\(?:approx|simeq|doteq|leq?|geq?|lt|gt)(?![A-Za-z])))")
_BINARY_START = re.compile(r"^(?:[+*/^×÷·]|\\(?:times|cdot|div)(?![A-Za-z]))")
_OPERATOR_CHARS = "+*/^×÷·=<>≈"


def _latex_claims(segment: str, start: int = 0, end: int = 0, cut_start: bool = False,
                  cut_end: bool = False) -> list[Claim]:
    """Claims of one math segment. `cut_start` / `cut_end`: the segment begins / ends inside an
    expression written around it (`5 \\times \\(3 + 4 = 7\\)`), so its first / last piece is only
    part of a term and is not read."""
    out = []
    seg = re.sub(r"\\begin\{(?:align|aligned|eqnarray|gather|split)\*?\}|\\end\{(?:align|aligned|eqnarray|gather|split)\*?\}",
                 lambda _: "\\\\", segment)  # a line break (a plain replacement string would leave one backslash)
    seg = re.sub(r"\s+", " ", seg.replace("&", " "))  # one space at most: no pattern below meets a long run
    seg = _LINE_GOES_ON.sub(" ", seg)  # a chain that goes on after a line break ("\\\\ &\\approx 12.57") stays whole
    seg = re.sub(r"\\text\s*\{\s*(?:and|or|so|then|thus|hence)\s*\}", r"\\quad ", seg)
    seg = _mark_text(seg)
    statements = split_top(seg, _STATEMENT_SPLIT)
    for k, stmt in enumerate(statements):
        stmt = stmt.strip().rstrip(".,;:")
        if "=" not in stmt and "\\approx" not in stmt and "≈" not in stmt:
            continue
        if len(stmt) > MAX_STATEMENT or _SKIP_MATH.search(stmt):
            continue
        pieces = [p.strip() for p in split_top(stmt, _REL_LATEX)]
        rels = [r.strip() for r in _REL_LATEX.findall(stmt)]
        if len(rels) != len(pieces) - 1 or any(r in _NOT_EQUAL for r in rels):
            continue  # a relation inside brackets, or a "≠" (the step is testing something)
        if rels and (not pieces[0] or _BINARY_START.match(pieces[0]) or (k == 0 and cut_start)):
            pieces, rels = pieces[1:], rels[1:]  # "= \sqrt{720} = 12\sqrt{5}" continues a line above
        if rels and (not pieces[-1] or (k == len(statements) - 1 and cut_end)):
            pieces, rels = pieces[:-1], rels[:-1]
        if len(pieces) < 2 or not all(pieces) or not any(r in _EQUALITY for r in rels):
            continue
        ops = tuple("=" if r == "=" else "~" if r in _EQUALITY else "<" for r in rels)  # "<": any order, unchecked
        out.append(Claim(tuple(pieces), ops, True, stmt, start, end))
    return out


def _inside_expression(text: str, start: int, end: int) -> tuple[bool, bool]:
    """Does the math at text[start:end] begin after an operator or a number (`5 × \\(3 + 4\\)`),
    and does an operator or a number follow it (`\\(3 + 4\\) × 2`)? Then its end pieces are
    parts of a longer expression. Looks only at the characters next to it (linear)."""
    b = start
    while b > 0 and text[b - 1] in " \t":
        b -= 1
    before = text[b - 1] if b > 0 else ""
    a = end
    while a < len(text) and text[a] in " \t":
        a += 1
    after = text[a] if a < len(text) else ""
    starts_inside = before in _OPERATOR_CHARS and before != "" or before.isdigit() or (
        before == "-" and b >= 2 and (text[b - 2].isdigit() or text[b - 2] == ")"))
    ends_inside = (after != "" and after in "+*/^×÷·") or after.isdigit() or (
        after == "-" and text[a + 1 : a + 2].isdigit())
    return starts_inside, ends_inside


def _segments(text: str):
    """(start, end, body) of each \\(...\\), \\[...\\] and $$...$$ in order; linear: a delimiter
    with no closer after some point has none after any later point either."""
    pos, live = 0, list(_DELIMITERS)
    while live:
        best = None
        for d in list(live):
            k = text.find(d[0], pos)
            if k < 0:
                live.remove(d)
            elif best is None or k < best[0]:
                best = (k, d)
        if best is None:
            return
        k, (open_, close) = best
        c = text.find(close, k + len(open_))
        if c < 0:
            live.remove((open_, close))
            continue
        if c > k + len(open_):
            yield k, c + len(close), text[k + len(open_) : c]
            pos = c + len(close)
        else:
            pos = k + len(open_)


def find_claims(text: str, budget: Optional[Budget] = None) -> list[Claim]:
    """All claims in a step, in order of appearance (annotations, LaTeX, then plain text)."""
    return list(iter_claims(text, budget))


def iter_claims(text: str, budget: Optional[Budget] = None) -> Iterator[Claim]:
    """Claims one at a time (a checker can stop at the first false one). Linear in the step's
    length; polls `budget` (raising OutOfTime) while it scans."""
    pieces, last = [], 0
    for m in _ANNOTATION.finditer(text) if "<<" in text else ():
        if budget is not None:
            budget.check()
        yield Claim((m.group(1).strip(), m.group(2).strip()), ("=",), False, m.group(0), m.start(), m.end())
        pieces += [text[last : m.start()], " " * (m.end() - m.start())]
        last = m.end()
    plain = "".join(pieces) + text[last:]
    pieces, last = [], 0
    for start, end, body in _segments(plain):
        if budget is not None:
            budget.check()
        yield from _latex_claims(body, start, end, *_inside_expression(plain, start, end))
        pieces += [plain[last:start], (" \u2029" + " " * (end - start))[: end - start]]
        last = end
    plain = "".join(pieces) + plain[last:]
    if "$" in plain:
        pieces, last = [], 0
        for m in _DOLLAR_MATH.finditer(plain):
            body = m.group(1)
            words = _TEXT_CMD.sub(" ", body)  # \\text{lcm} is not prose
            if not re.search(r"[\\^{}=]", body) or re.search(r"(?<![\\A-Za-z])[A-Za-z]{3,}", words):
                continue  # "$5 and ... $10": dollars, not math delimiters
            if budget is not None:
                budget.check()
            yield from _latex_claims(body, m.start(), m.end(), *_inside_expression(plain, m.start(), m.end()))
            pieces += [plain[last : m.start()], (" \u2029" + " " * (m.end() - m.start()))[: m.end() - m.start()]]
            last = m.end()
        plain = "".join(pieces) + plain[last:]
    yield from _plain_claims(plain, budget)
