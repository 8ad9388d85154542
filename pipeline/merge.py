"""Merge: turn each step's verdicts into one rating, and name who decided it.

Policies (config `merge.policy`):
- `priority`: labelers in `order`; the first with a non-abstaining verdict on a step decides it.
- `vote`: the majority of the non-abstaining verdicts of the labelers in `order`; a tie is 0.
- `consensus`: ratings as in `priority`, but a chain is kept only when every labeler in `agree`
  puts its first error at the same step (or all find none); the others are kept with status
  `filtered` and the disagreement in `status_reason`, for audit (Qwen's PRM data recipe).

With `stop_at_first_error` (PRM800K's convention) steps after the first -1 stay unlabeled.

With `own_rollout`, a chain whose outcome is correct counts as its own rollout from every prefix:
Math-Shepherd's hard estimate rates each such step +1, so a step no labeler of the merge rated
(hence none rated -1) becomes +1 with `decided_by = "own_rollout"`. Rated steps keep their rating
(a -1 stays), and with `stop_at_first_error` nothing after a -1 is filled in.

`first_error` follows ProcessBench and is set only when known (`first_error.py`): the first -1
with every earlier step rated 0 or +1, or -1 when every step is rated and none is -1; otherwise
null, and `first_flag` still names the first -1 step. Every rated step records `agreement`: the
share of the merge's non-abstaining verdicts that match its rating.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Optional

from .config import MergeConfig
from .first_error import first_error, first_flag

Verdicts = list[dict[str, Any]]
OWN_ROLLOUT = "own_rollout"


def _votes(verdicts: Verdicts, labelers: list[str]) -> dict[str, dict[str, Any]]:
    """The first non-abstaining verdict of each named labeler (a labeler's k votes are combined inside it)."""
    by_labeler: dict[str, dict[str, Any]] = {}
    for v in verdicts:
        if v["rating"] is not None and v["labeler"] in labelers:
            by_labeler.setdefault(v["labeler"], v)
    return by_labeler


def decide_priority(verdicts: Verdicts, order: list[str]) -> Optional[tuple[int, Optional[float], str]]:
    votes = _votes(verdicts, order)
    name = next((n for n in order if n in votes), None)
    return None if name is None else (votes[name]["rating"], votes[name]["score"], name)


def decide_vote(verdicts: Verdicts, order: list[str]) -> Optional[tuple[int, Optional[float], str]]:
    votes = _votes(verdicts, order)
    if not votes:
        return None
    tally = Counter(v["rating"] for v in votes.values()).most_common()
    rating = 0 if len(tally) > 1 and tally[0][1] == tally[1][1] else tally[0][0]
    return rating, None, "vote(" + ",".join(n for n in order if n in votes) + ")"


def labeler_ratings(steps: list[dict[str, Any]], labeler: str) -> list[Optional[int]]:
    """One labeler's rating of each step (its first non-abstaining verdict; None where it abstained)."""
    ratings = []
    for step in steps:
        own = [v["rating"] for v in step["verdicts"] if v["labeler"] == labeler and v["rating"] is not None]
        ratings.append(own[0] if own else None)
    return ratings


def labeler_claim(steps: list[dict[str, Any]], labeler: str) -> Optional[int]:
    """Where one labeler puts the first error: its first -1 (earlier abstains do not contradict
    another labeler), -1 when it rated every step and flagged none, None when it cannot say."""
    ratings = labeler_ratings(steps, labeler)
    flag = first_flag(ratings)
    return flag if flag is not None else first_error(ratings)


class MergeStage:
    name = "merge"

    def __init__(self, config: MergeConfig) -> None:
        self.config = config
        self.decide = decide_vote if config.policy == "vote" else decide_priority

    def __call__(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            self.merge(row)
        return rows

    def merge(self, row: dict[str, Any]) -> dict[str, Any]:
        order = self.config.order
        seen_error = False
        for step in row["steps"]:
            step["rating"] = step["score"] = step["decided_by"] = step["agreement"] = None
            if seen_error and self.config.stop_at_first_error:
                continue
            decided = self.decide(step["verdicts"], order)
            if decided is not None:
                step["rating"], step["score"], step["decided_by"] = decided
                votes = _votes(step["verdicts"], order)
                step["agreement"] = sum(v["rating"] == decided[0] for v in votes.values()) / len(votes)
                seen_error = seen_error or decided[0] == -1
        if self.config.own_rollout and row["outcome"].get("correct") is True:
            self._own_rollout(row["steps"])
        ratings = [s["rating"] for s in row["steps"]]
        row["first_error"] = first_error(ratings) if ratings else None
        row["first_flag"] = first_flag(ratings)
        if self.config.policy == "consensus":
            self._filter(row)
        return row

    def _own_rollout(self, steps: list[dict[str, Any]]) -> None:
        """+1 for the steps of an outcome-correct chain that no labeler of the merge rated (so none
        rated -1); labels outside the order, such as the human ones kept for evaluation, never count."""
        for step in steps:
            if step["rating"] == -1 and self.config.stop_at_first_error:
                return
            if step["rating"] is None:
                step["rating"], step["decided_by"] = 1, OWN_ROLLOUT

    def _filter(self, row: dict[str, Any]) -> None:
        found = {name: labeler_claim(row["steps"], name) for name in self.config.agree}
        if None in found.values() or len(set(found.values())) > 1:
            said = ", ".join(f"{n}={'undetermined' if fe is None else fe}" for n, fe in found.items())
            row["status"] = "filtered"
            row["status_reason"] = f"[merge] no consensus on the first error: {said}"
