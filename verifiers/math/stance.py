"""Is an equation written in a step asserted by it, or only tested, supposed or rejected?

Olympiad solutions write equations they do not claim: trial values ("try a = 2: 1 = 1/2 + 1/3 +
1/7 … does not equal 1"), checks of a candidate ("Check: 60 = 5^2 + 6^2 = 61 — this does not
work"), hypotheses ("if 6 = 2 + 3 then …", "we would need 8 = 9") and conclusions that an
equation fails. A false equation of that kind is not an error of the step, so the checker must
not flag it. These rules read only the words around the claim, within a bounded window (linear in
the step's length); when they fire on a false equation the checker abstains instead of flagging.
"""
from __future__ import annotations

import re
from typing import Optional

WINDOW = 300  # characters looked at on each side of a claim

# broad words of rejection or doubt: they may be about a candidate rather than the equation
_DOUBTS = re.compile(
    r"≠|\\neq?(?![A-Za-z])|!=|=\\!\\!\\!\\/|\bnot\s+(?:equal|true|correct|right|valid|possible|hold|satisf|work|"
    r"the\s+case|a\s+(?:solution|root)|match|consistent|an?\s+(?:integer|identity))|n[o']t\s+(?:equal|work|hold|"
    r"satisf|match|possible|true|correct|valid|right|consistent)|\bdoes\s*n[o']t\s+(?:work|hold|satisf|match|equal)|"
    r"\bfail|\bfalse\b|contradict|impossible|absurd|\bwrong\b|mistake|incorrect|extraneous|\breject|"
    r"\binvalid\b|\bno\s+(?:real\s+|integer\s+)?solutions?\b|\bcannot\b|\bcan't\b|\binstead\b|rather\s+than|"
    r"\bactually\b|\bwait\b|\boops\b|\berror\b|miscalculat|recalculat|re-?check|re-?evaluat|re-?examin|"
    r"\bcorrect(?:ion|ed|ing)\b|\bshould\s+(?:be|have|read)\b|\bnever\b|\bunless\b|\btoo\s+(?:big|large|small)\b|"
    r"\bno\b\s*[,.:;!]|\bnope\b|\bdiscard|\brule[sd]?\s+out\b|\bexclude|\bcontradiction\b|\bnot\s+allowed\b",
    re.IGNORECASE,
)
# the equation sits inside a hypothesis or a question (until a consequence word ends it)
_SUPPOSE = re.compile(
    r"\b(?:if|suppose|supposing|supposed|assume|assuming|assumption|try|trying|tried|test|testing|tested|"
    r"check|checking|verify|verifying|guess|guessing|whether|would|could|might|need|needs|needed|require|"
    r"tempting|tempted|naive|naively|mistaken|mistakenly|wrongly|incorrectly|"
    r"requires|required|want|wanted|hypothes\w*|contrary|say|plug|plugging|substitut\w*|is|does|do|are|can|"
    r"what|when|for\s+(?:example|instance))\b",
    re.IGNORECASE,
)
_BREAK = re.compile(
    r"\bthen\b|[,:;]|\bso\b|\bgives?\b|\bwe\s+(?:get|have|obtain|find)\b|\byields?\b|=>|\\Rightarrow|\\implies|→|"
    r"\bhence\b|\bthus\b|\btherefore\b|\bwhich\b|\bcompute\b|\bcalculate\b",
    re.IGNORECASE,
)
# words that keep a hypothesis open across a comma ("if the side were 6, the area would be ...")
_MODAL = re.compile(r"\b(?:would|could|might|need|needs|require|requires|want|wanted)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<!\d)[.!?](?=\s|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|\*\*|#))")
# words that can only judge an equation: they count for any false link, in the claim's sentence or
# the next one; the broader _DOUBTS ("fails", "impossible", "reject") may be about a candidate
# ("x = -206 does not satisfy the condition"), so it counts only for a link that could be a test,
# and only in the claim's own sentence ("None of these is between 30 and 50, so we rule them out")
_JUDGES_EQUATION = re.compile(
    r"≠|\\neq?(?![A-Za-z])|\bnot\s+(?:equal|true|correct|right|valid|hold)|n[o']t\s+(?:equal|work|hold|true|correct)|"
    r"\bdoes\s*n[o']t\s+(?:work|hold|equal)|\bfalse\b|contradict|absurd|\bwrong\b|extraneous|"
    r"mistake|incorrect|miscalculat|\boops\b|\bwait\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\?")
_BARE_NUMBER = re.compile(r"^[$({\[]*[-+]?\d[\d,]*(?:\.\d+)?[$)}\]]*$")  # matched with spaces removed
# "is", "does", "are", "can", "what", "when" open a hypothesis only as the first word of a question
_QUESTION_WORDS = {"is", "does", "do", "are", "can", "what", "when"}


def _sentence_start(text: str, pos: int) -> int:
    lo = max(0, pos - WINDOW)
    last = lo
    for m in _SENTENCE_END.finditer(text, lo, pos):
        last = m.end()
    return last


def _sentence_end(text: str, pos: int) -> int:
    m = _SENTENCE_END.search(text, pos, min(len(text), pos + WINDOW))
    return m.end() if m else min(len(text), pos + WINDOW)


def could_be_tested(left: str, right: str) -> bool:
    """A tested equation sets a value against a number (`60 = 5^2 + 6^2`, `-8 = -3`); a link
    between two expressions (`5050 - 77*68 = 5050 - 5256`) is a computation the step performs."""
    return bool(_BARE_NUMBER.match(re.sub(r"\s+", "", left)) or _BARE_NUMBER.match(re.sub(r"\s+", "", right)))


def stance(text: str, start: int, end: int, tested_shape: bool = True) -> Optional[str]:
    """Why the claim at text[start:end] is not asserted by the step (quoting the words), or None.

    `tested_shape`: the false link could be a tested equation (see `could_be_tested`); only then
    do words that reject an equation or ask about it keep it from being a claim.
    """
    begin = _sentence_start(text, start)
    own_end = _sentence_end(text, end)
    own = text[begin:own_end]
    next_end = _sentence_end(text, own_end) if own_end < len(text) else own_end
    m = _JUDGES_EQUATION.search(text, start, own_end) or _JUDGES_EQUATION.search(text, own_end, next_end)
    if m is None and tested_shape:
        m = _DOUBTS.search(text, start, own_end)
    if m:
        return f"the step rejects or doubts it ({m.group(0).strip()!r})"
    if tested_shape:
        if _QUESTION.search(text, end, own_end):
            return "the step asks whether it holds"
    prefix = text[begin:start]
    hypothesis = None
    for h in _SUPPOSE.finditer(prefix):
        word = h.group(0).lower()
        if word in _QUESTION_WORDS and (h.start() > 0 or "?" not in own):
            continue
        hypothesis = h
    if hypothesis is None:
        return None
    tail = prefix[hypothesis.end() :]
    if _MODAL.fullmatch(hypothesis.group(0)) and not re.search(r"[:;]", tail):
        return f"it is what the step would need ({hypothesis.group(0)!r}), not what it claims"
    if _BREAK.search(tail):
        return None
    return f"it is supposed or tested ({hypothesis.group(0)!r}), not claimed"
