"""Stages: callables that map a batch of chain dicts to a batch of the same length and shape.

The build wraps every stage in `guarded`, so one bad row becomes a quarantined row with its
reason instead of an exception that would fail the whole Ray job.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Protocol, Union

from .errors import StopBuild
from .labelers.base import Context, Labeler, apply_labeling
from .labelers.watchdog import Hosted, LabelerHost, RowError, short_error

__all__ = ["STOPPED", "StopBuild", "Stage", "guarded", "quarantine", "LabelStage", "label_stage"]

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
                    rows[i] = quarantine(rows[i], stage.name, short_error(exc))
        return rows

    return run


class LabelStage:
    """Adapts one or more Labelers to the stage contract: label live rows, append verdicts.

    Several labelers share one stage when they share work in one process (the code labelers:
    one sandbox, one test run per chain). In a build they run in a `LabelerHost`, a watched child
    process with a per-row deadline (`labelers/watchdog.py`); LLM labelers run in-process. All
    labelings of a row are made before any is applied; a row a labeler raised on (`RowError`)
    is quarantined alone, with the reason."""

    def __init__(self, labeler: Union[Labeler, LabelerHost], *more: Labeler) -> None:
        self.labelers = (labeler, *more)
        self.labeler = labeler
        self.name = "+".join(lab.name for lab in self.labelers)

    def __call__(self, rows: Rows) -> Rows:
        if isinstance(self.labeler, LabelerHost):  # a HostFailure is a StopBuild: rows wait for a re-run
            per_labeler = self.labeler.label_batch(rows)
        else:
            per_labeler = [lab.label_batch(rows) for lab in self.labelers]
        for i, row in enumerate(rows):
            results = [per_row[i] for per_row in per_labeler]
            errors = [r.reason for r in results if isinstance(r, RowError)]
            if errors:
                rows[i] = quarantine(row, self.name, "; ".join(errors))
                continue
            try:
                for labeling in results:
                    apply_labeling(row, labeling)
            except IndexError as exc:  # a labeler's verdict for a step the row lacks: quarantined here,
                rows[i] = quarantine(row, self.name, short_error(exc))  # not retried (no verdict twice)
        return rows

    def close(self) -> None:
        for lab in self.labelers:
            lab.close()


def label_stage(labelers: list[tuple[type[Labeler], dict[str, Any], Optional[float]]],
                context: Optional[Context] = None) -> LabelStage:
    """The stage for labelers (class, options, the config's row_timeout or None): watched in one
    child process, each with its per-row budget (the config's, else the class default), or
    in-process when their default is None (LLM labelers: their requests carry their own deadlines)."""
    budgets = [(cls, options, cls.row_timeout if timeout is None else timeout) for cls, options, timeout in labelers]
    if all(timeout is None for _, _, timeout in budgets):
        made = [cls(context, **options) for cls, options, _ in budgets]
        return LabelStage(*made)
    if any(timeout is None for _, _, timeout in budgets):
        raise ValueError("labelers sharing a stage must all run in-process or all be watched")
    return LabelStage(LabelerHost([Hosted(cls, options, float(t)) for cls, options, t in budgets], context))
