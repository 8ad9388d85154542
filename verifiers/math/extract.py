"""Final-answer extraction from a math chain's text.

Recognised, latest occurrence wins: `\\boxed{…}` / `\\fbox{…}` (nested braces), GSM8K's
`#### 42`, PRM800K's `# Answer` section, and "the (final) answer is …".
"""
from __future__ import annotations

import re
from typing import Optional

_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_HASHES = re.compile(r"^\s*####\s*(.+?)\s*$", re.MULTILINE)
_ANSWER_SECTION = re.compile(r"^\s*#\s*Answer\s*\n+\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_ANSWER_IS = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:)\s*:?\s*(.+?)\s*(?:$|\n|(?<=[^\d])\.(?:\s|$))",
    re.IGNORECASE,
)


def boxed_contents(text: str) -> list[str]:
    """Contents of every `\\boxed{…}` in order, honouring nested braces; unbalanced ones are skipped."""
    found = []
    for m in _BOX.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            found.append(text[m.end() : i - 1].strip())
    return found


def extract_answer(text: str) -> Optional[str]:
    """The chain's final answer, or None when it states none."""
    boxes = boxed_contents(text)
    if boxes:
        return boxes[-1]
    for pattern in (_HASHES, _ANSWER_SECTION):
        hits = pattern.findall(text)
        if hits:
            return hits[-1].strip()
    hits = _ANSWER_IS.findall(text)
    if hits:
        return hits[-1].strip().rstrip(".").strip("$ ").strip() or None
    return None


def answer_location(texts: list[str]) -> Optional[int]:
    """Index of the last text (step) that states a final answer, or None."""
    for i in range(len(texts) - 1, -1, -1):
        if extract_answer(texts[i]) is not None:
            return i
    return None
