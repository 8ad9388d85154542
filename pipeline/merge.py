"""Merge: turn each step's verdicts into one rating, and name who decided it.

`priority`: labelers in a configured order; the first one with a non-abstaining verdict on a
step decides it. With `stop_at_first_error` (PRM800K's convention) steps after the first -1 stay
unlabeled. `first_error` follows ProcessBench: the index of the first -1 step; -1 when every step
is rated and none is -1; None when no step is -1 but some are unlabeled (it cannot be told).
"""
from __future__ import annotations

from typing import Any, Optional

from .config import MergeConfig


def _decide(verdicts: list[dict[str, Any]], order: list[str]) -> Optional[dict[str, Any]]:
    by_labeler: dict[str, dict[str, Any]] = {}
    for v in verdicts:
        if v["rating"] is not None:
            by_labeler.setdefault(v["labeler"], v)
    return next((by_labeler[name] for name in order if name in by_labeler), None)


def first_error_of(ratings: list[Optional[int]]) -> Optional[int]:
    if -1 in ratings:
        return ratings.index(-1)
    return None if None in ratings else -1


class MergeStage:
    name = "merge"

    def __init__(self, config: MergeConfig) -> None:
        self.config = config

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            self.merge(row)
        return rows

    def merge(self, row: dict[str, Any]) -> dict[str, Any]:
        seen_error = False
        for step in row["steps"]:
            step["rating"] = step["score"] = step["decided_by"] = None
            if seen_error and self.config.stop_at_first_error:
                continue
            chosen = _decide(step["verdicts"], self.config.order)
            if chosen is not None:
                step["rating"], step["score"], step["decided_by"] = chosen["rating"], chosen["score"], chosen["labeler"]
                seen_error = seen_error or chosen["rating"] == -1
        row["first_error"] = first_error_of([s["rating"] for s in row["steps"]]) if row["steps"] else None
        return row
