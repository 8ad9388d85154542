"""What every exporter shares: its options, its report, and the labeled steps of a chain.

An exporter never drops a chain silently: it raises `Skip(reason)` and the report counts the
reason, which `export.json` and the command line show.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Neutral = Literal["correct", "incorrect", "cut"]
NEUTRAL_CHOICES: tuple[str, ...] = ("correct", "incorrect", "cut")


class Skip(Exception):
    """This chain cannot be exported in this format; the message is the reason counted."""


@dataclass(frozen=True)
class ExportOptions:
    """Choices a user makes per export (each format reads the ones it needs).

    neutral: a 0-rated step counts as correct (PRM800K's authors trained both ways), as incorrect,
    or ends the exported prefix (`cut`, as an unrated step does); export.json records the choice.
    placeholder / positive_token / negative_token: Math-Shepherd's step tag and reward tokens."""

    neutral: Neutral = "correct"
    placeholder: str = "ки"
    positive_token: str = "+"
    negative_token: str = "-"

    def __post_init__(self) -> None:
        if self.neutral not in NEUTRAL_CHOICES:
            raise ValueError(f"neutral must be one of {', '.join(NEUTRAL_CHOICES)}, got {self.neutral!r}")
        tokens = (self.placeholder, self.positive_token, self.negative_token)
        if any(not t or t != t.strip() for t in tokens) or len(set(tokens)) < 3:
            raise ValueError(f"placeholder and reward tokens must be distinct, non-empty, without spaces: {tokens}")


@dataclass
class ExportReport:
    path: Path  # the export's folder
    options: ExportOptions = field(default_factory=ExportOptions)
    files: list[str] = field(default_factory=list)  # relative to path
    read: int = 0
    written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def labeled_steps(chain: dict[str, Any], options: ExportOptions) -> list[tuple[dict[str, Any], bool]]:
    """(step, is_correct) for the exported prefix of a labeled chain.

    The prefix ends at the first unrated step (PRM800K stops at the first error too, and steps
    after a stop are unrated), or at the first neutral one when `neutral == "cut"`."""
    if chain["status"] != "labeled":
        raise Skip(f"status {chain['status']}")
    out: list[tuple[dict[str, Any], bool]] = []
    for step in chain["steps"]:
        rating = step["rating"]
        if rating is None or (rating == 0 and options.neutral == "cut"):
            break
        out.append((step, rating > 0 or (rating == 0 and options.neutral == "correct")))
    if not out:
        raise Skip("first step unlabeled" if not chain["steps"] or chain["steps"][0]["rating"] is None
                   else "first step neutral (neutral=cut)")
    return out
