"""Splitting a chain's text into steps that join back to exactly that text.

Each step keeps its trailing separator, so `"".join(step texts) == chain text` always holds and an
exporter can rebuild the original. Step texts stored in the table are stripped copies; the
lossless split is what `split_exact` returns.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from ..verifiers.math.extract import answer_location, extract_answer

_SEPARATORS = {
    "blank_line": r"\n[ \t]*\n\s*",
    "newline": r"\n\s*",
}
# a new step starts at "Step 3:", "**Step 3.**", "## Step 3" at the beginning of a line
_ANSWER_HEADING = re.compile(r"\s*#\s*Answer\s*\Z", re.IGNORECASE)
_STEP_MARKER = re.compile(r"(?m)^(?=[ \t]*(?:#+\s*|\*\*)?Step\s+\d+\s*[:.)\-])", re.IGNORECASE)


def split_exact(text: str, splitter: str = "blank_line", pattern: Optional[str] = None) -> list[str]:
    """Pieces of `text` (separators kept at the end of each piece) whose concatenation is `text`."""
    if splitter == "step_markers":
        starts = sorted({0, *(m.start() for m in _STEP_MARKER.finditer(text))})
    else:
        sep = pattern if splitter == "regex" else _SEPARATORS.get(splitter)
        if sep is None:
            raise ValueError(f"unknown splitter {splitter!r}" + (" (regex needs a pattern)" if splitter == "regex" else ""))
        starts = [0, *(m.end() for m in re.finditer(sep, text) if m.end() > m.start())]
    starts = sorted(set(s for s in starts if s < len(text))) or [0]
    pieces = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    # whitespace-only pieces, and PRM800K's bare "# Answer" heading, are folded into the next
    # piece: no step is empty, and the heading stays with the answer it introduces
    merged: list[str] = []
    carry = ""
    for piece in pieces:
        if not piece.strip() or _ANSWER_HEADING.match(piece):
            carry += piece
            continue
        merged.append(carry + piece)
        carry = ""
    if carry:
        if merged:
            merged[-1] += carry
        else:
            merged.append(carry)
    return merged


def split_steps(text: str, splitter: str = "blank_line", pattern: Optional[str] = None) -> list[str]:
    """Step texts as stored: each piece without its trailing separator and outer whitespace."""
    sep = pattern if splitter == "regex" else _SEPARATORS.get(splitter)
    trailing = re.compile(f"(?:{sep})\\Z") if sep else None
    steps = []
    for piece in split_exact(text, splitter, pattern):
        if trailing is not None:
            piece = trailing.sub("", piece)
        steps.append(piece.strip())
    return steps


def make_steps(texts: list[str]) -> list[dict[str, Any]]:
    """Step dicts in the schema's shape from step texts."""
    return [
        {"index": i, "text": t, "rating": None, "score": None, "decided_by": None, "agreement": None, "verdicts": []}
        for i, t in enumerate(texts)
    ]


def final_answer(step_texts: list[str], generator: dict[str, Any]) -> Optional[str]:
    """The answer stated by the last step that states one; none for a truncated generation,
    whose last words were cut off rather than concluded."""
    if generator.get("finish_reason") == "length":
        return None
    at = answer_location(step_texts)
    return None if at is None else extract_answer(step_texts[at])


class SegmentStage:
    """Stage: fill `steps`, `segmenter` and `final_answer` for rows that have text but no steps.

    Imported chains that arrive pre-split (segmenter "given") pass through untouched. A chain
    whose text yields no step is quarantined by raising, which `guarded` turns into a reason.
    """

    name = "segment"

    def __init__(self, splitter: str = "blank_line", pattern: Optional[str] = None,
                 fallback: Optional[str] = None) -> None:
        split_exact("probe", splitter, pattern)  # fail at construction on a bad splitter
        self.splitter, self.pattern, self.fallback = splitter, pattern, fallback
        self.segmenter = splitter if splitter != "regex" else f"regex:{pattern}"

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            if not row["steps"]:
                if not row["text"].strip():
                    raise ValueError("chain has no text to split into steps")
                texts, row["segmenter"] = split_steps(row["text"], self.splitter, self.pattern), self.segmenter
                if len(texts) == 1 and self.fallback and "\n" in texts[0].strip():
                    texts, row["segmenter"] = split_steps(row["text"], self.fallback), f"{self.segmenter}>{self.fallback}"
                row["steps"] = make_steps(texts)
            if row["domain"] == "math" and row["final_answer"] is None:
                row["final_answer"] = final_answer([s["text"] for s in row["steps"]], row["generator"])
        return rows
