"""Stages: callables that map a batch of chain dicts to a batch of the same length and shape.

The build wraps every stage in `guarded`, so one bad row becomes a quarantined row with its
reason instead of an exception that would fail the whole Ray job.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable, Protocol

from .errors import StopBuild
from .labelers.base import Labeler, apply_labeling

__all__ = ["STOPPED", "StopBuild", "Stage", "guarded", "quarantine", "LabelStage"]

Rows = list[dict[str, Any]]


STOPPED = "stopped"  # transient status: the row's shard must not be written in this run


class Stage(Protocol):
    name: str

    def __call__(self, rows: Rows) -> Rows: ...


def quarantine(row: dict[str, Any], stage: str, reason: str) -> dict[str, Any]:
    """Mark a row quarantined; its reason names the stage. Earlier reasons are kept."""
    row["status"] = "quarantined"
    note = f"[{stage}] {reason}"
    row["status_reason"] = f"{row['status_reason']}; {note}" if row.get("status_reason") else note
    return row


def _short_error(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"[:2000]


def guarded(stage: Stage) -> Callable[[Rows], Rows]:
    """Run `stage` on the rows still live; if the batch call fails, retry row by row and
    quarantine exactly the rows that fail. Quarantined rows pass through untouched."""

    def run(rows: Rows) -> Rows:
        live = [i for i, r in enumerate(rows) if r["status"] not in ("quarantined", STOPPED)]
        if not live:
            return rows
        try:
            out = stage([rows[i] for i in live])
            if len(out) != len(live):
                raise RuntimeError(f"stage {stage.name} returned {len(out)} rows for {len(live)}")
            for i, r in zip(live, out):
                rows[i] = r
        except StopBuild:
            raise
        except Exception:  # isolate the culprit rows below
            for i in live:
                try:
                    rows[i] = stage([rows[i]])[0]
                except StopBuild:
                    raise
                except Exception as exc:
                    rows[i] = quarantine(rows[i], stage.name, _short_error(exc))
        return rows

    return run


class LabelStage:
    """Adapts one or more Labelers to the stage contract: label live rows, append verdicts.

    Several labelers share one stage when they share work in one process (the code labelers:
    one sandbox, one test run per chain). All labelings are made before any is applied, so a
    batch that fails and is retried row by row never appends a verdict twice."""

    def __init__(self, labeler: Labeler, *more: Labeler) -> None:
        self.labelers = (labeler, *more)
        self.labeler = labeler
        self.name = "+".join(lab.name for lab in self.labelers)

    def __call__(self, rows: Rows) -> Rows:
        labelings = [lab.label_batch(rows) for lab in self.labelers]
        for per_labeler in labelings:
            for row, labeling in zip(rows, per_labeler):
                apply_labeling(row, labeling)
        return rows

    def close(self) -> None:
        for lab in self.labelers:
            lab.close()
