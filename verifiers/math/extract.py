"""Final-answer extraction from a math chain's text.

Recognised, latest occurrence wins: `\\boxed{…}` / `\\fbox{…}` (nested braces), GSM8K's
`#### 42`, PRM800K's `# Answer` section, and "the (final) answer is …" (or on the next lines after
"The final answer is:"). Never returns bare punctuation; linear in the text's length.
"""
from __future__ import annotations

import re
from typing import Optional

_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_HASHES = re.compile(r"^[ \t]*####[ \t]*(\S.*)$", re.MULTILINE)
_ANSWER_SECTION = re.compile(r"^[ \t]*#[ \t]*Answer[ \t]*\n(?:[ \t]*\n)*[ \t]*(\S.*)$", re.MULTILINE | re.IGNORECASE)
_ANSWER_PHRASE = re.compile(r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:)", re.IGNORECASE)
_SENTENCE_STOP = re.compile(r"(?<=\D)\.(?:\s|$)|\.(?=[ \t]+[A-Z])")
_DELIMITER_LINE = re.compile(r"^(?:\$\$|\\\[|\\\]|\\\(|\\\)|```\w*)?$")
_CHECKING = re.compile(r"(?:check\w*|verif\w*|confirm\w*|test\w*|sanity)\s+(?:(?:the|our|my|this|that)\s+)?"
                       r"(?:final\s+)?$", re.IGNORECASE)
_LOOK_AHEAD_LINES = 3  # "The final answer is:" may put the answer on the next lines


def boxed_contents(text: str) -> list[str]:
    """Contents of every `\\boxed{…}` in order, honouring nested braces; unbalanced ones are skipped.

    One pass over the braces with a stack, so a step full of unclosed boxes stays linear.
    """
    openers = {m.end() - 1 for m in _BOX.finditer(text)}
    if not openers:
        return []
    found: list[tuple[int, str]] = []
    stack: list[int] = []
    for m in re.finditer(r"[{}]", text):
        if m.group() == "{":
            stack.append(m.start())
        elif stack:
            start = stack.pop()
            if start in openers:
                found.append((start, text[start + 1 : m.start()].strip()))
    return [body for _, body in sorted(found)]


def _clean(candidate: str) -> Optional[str]:
    """Cut at the end of the sentence; None when nothing answer-like is left (":", ".", "**")."""
    stop = _SENTENCE_STOP.search(candidate)
    if stop:
        candidate = candidate[: stop.start()]
    candidate = candidate.strip().rstrip(".").strip("$* ").strip()
    return candidate if any(ch.isalnum() for ch in candidate) else None


def _after_phrase(text: str, end: int) -> Optional[str]:
    """The answer after "the answer is" at `end`: the rest of its line, or the next lines."""
    line_end = text.find("\n", end)
    rest = text[end : line_end if line_end >= 0 else len(text)].lstrip(" \t:*")
    got = _clean(rest)
    if got is not None or line_end < 0:
        return got
    pos = line_end + 1
    for _ in range(_LOOK_AHEAD_LINES):
        nxt = text.find("\n", pos)
        line = text[pos : nxt if nxt >= 0 else len(text)].strip()
        if not _DELIMITER_LINE.match(line):
            return _clean(line)
        if nxt < 0:
            break
        pos = nxt + 1
    return None


def extract_answer(text: str) -> Optional[str]:
    """The chain's final answer, or None when it states none (never bare punctuation)."""
    boxes = boxed_contents(text)
    if boxes:
        return boxes[-1] or "\\boxed{}"  # an empty box is a (wrong) answer, not a missing one
    for pattern in (_HASHES, _ANSWER_SECTION):
        hits = [h.strip() for h in pattern.findall(text)]
        hits = [h for h in hits if any(ch.isalnum() for ch in h)]
        if hits:
            return hits[-1]
    for m in reversed(list(_ANSWER_PHRASE.finditer(text))):
        if _CHECKING.search(text, max(0, m.start() - 40), m.start()):
            continue  # "let me double-check the answer: 3 × 4 = 12" is a check, not the statement
        got = _after_phrase(text, m.end())
        if got is not None:
            return got
    return None


def answer_location(texts: list[str]) -> Optional[int]:
    """Index of the last text (step) that states a final answer, or None."""
    for i in range(len(texts) - 1, -1, -1):
        if extract_answer(texts[i]) is not None:
            return i
    return None
