"""Exports for PRM trainers: TRL stepwise JSONL, PRM800K JSONL, and a Hugging Face dataset folder.

TRL's PRMTrainer casts labels with `int()`, so labels are bools and soft scores go in a separate
`scores` column. A chain whose rated steps stop before its end is exported up to its last
consecutively rated step (PRM800K stops at the first error too); a chain with no rated first
step cannot be used and is counted in the returned report, not dropped silently.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .store import read_chains, read_manifest


@dataclass
class ExportReport:
    path: Path
    written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _rated_prefix(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    prefix = []
    for step in steps:
        if step["rating"] is None:
            break
        prefix.append(step)
    return prefix


def _chains(out: Path, batch: int = 2048) -> Iterator[dict[str, Any]]:
    table = read_chains(out)
    for offset in range(0, table.num_rows, batch):
        yield from table.slice(offset, batch).to_pylist()


def trl_records(out: Path, report: ExportReport, neutral_is_correct: bool = True) -> Iterator[dict[str, Any]]:
    for chain in _chains(out):
        if chain["status"] != "labeled":
            report.skip(f"status {chain['status']}")
            continue
        steps = _rated_prefix(chain["steps"])
        if not steps:
            report.skip("first step unlabeled")
            continue
        yield {
            "prompt": chain["problem"],
            "completions": [s["text"] for s in steps],
            "labels": [s["rating"] > 0 or (neutral_is_correct and s["rating"] == 0) for s in steps],
            "scores": [s["score"] for s in steps],
            "chain_id": chain["chain_id"],
        }


def prm800k_records(out: Path, report: ExportReport) -> Iterator[dict[str, Any]]:
    for chain in _chains(out):
        if chain["status"] != "labeled":
            report.skip(f"status {chain['status']}")
            continue
        steps = _rated_prefix(chain["steps"])
        errored = any(s["rating"] == -1 for s in steps)
        finish = "found_error" if errored else ("solution" if len(steps) == len(chain["steps"]) else "give_up")
        yield {
            "question": {"problem": chain["problem"], "ground_truth_answer": chain["reference"]["answer"]},
            "label": {
                "steps": [
                    {"completions": [{"text": s["text"], "rating": s["rating"], "flagged": False}],
                     "human_completion": None, "chosen_completion": 0}
                    for s in steps
                ],
                "finish_reason": finish,
            },
            "steplabel": {"chain_id": chain["chain_id"], "decided_by": [s["decided_by"] for s in steps]},
        }


def _write_jsonl(records: Iterator[dict[str, Any]], path: Path, report: ExportReport) -> ExportReport:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            report.written += 1
    tmp.replace(path)
    return report


def export(out: str | Path, fmt: str, to: str | Path | None = None) -> ExportReport:
    """Write `fmt` (trl, prm800k, hf) for the build in `out`; returns what was written and skipped."""
    out = Path(out)
    if read_manifest(out) is None:
        raise FileNotFoundError(f"{out} is not a steplabel build")
    if fmt == "trl":
        report = ExportReport(Path(to or out / "exports" / "trl.jsonl"))
        return _write_jsonl(trl_records(out, report), report.path, report)
    if fmt == "prm800k":
        report = ExportReport(Path(to or out / "exports" / "prm800k.jsonl"))
        return _write_jsonl(prm800k_records(out, report), report.path, report)
    if fmt == "hf":
        target = Path(to or out / "exports" / "hf")
        (target / "data").mkdir(parents=True, exist_ok=True)
        report = ExportReport(target)
        for part in sorted((out / "data").glob("shard-*.parquet")):
            shutil.copyfile(part, target / "data" / part.name)
            report.written += 1
        shutil.copyfile(out / "README.md", target / "README.md")
        return report
    raise ValueError(f"unknown export format {fmt!r}; choose trl, prm800k or hf")
