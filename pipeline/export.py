"""Exports for PRM trainers: TRL stepwise JSONL, PRM800K JSONL, and a Hugging Face dataset folder.

TRL's PRMTrainer casts labels with `int()`, so labels are bools and soft scores go in a separate
`scores` column; a neutral (0) step becomes True or False as the `neutral` option says (PRM800K's
authors trained both ways), and the report records the choice. A chain whose rated steps stop
before its end is exported up to its last consecutively rated step (PRM800K stops at the first
error too); a chain with no rated first step cannot be used and is counted in the returned
report, not dropped silently.

Without `to`, exports go to `OUT/exports/<name>-<build id>/`, so two builds never share a folder
(and `datasets` never serves one build's cached rows for another's).
"""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from .store import read_chains, read_manifest


Neutral = Literal["correct", "incorrect"]
NEUTRAL_CHOICES: tuple[str, ...] = ("correct", "incorrect")


@dataclass
class ExportReport:
    path: Path
    written: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    neutral: Neutral = "correct"  # how a 0 step was exported where labels are bools

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _rated_prefix(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    prefix = []
    for step in steps:
        if step["rating"] is None:
            break
        prefix.append(step)
    return prefix


def step_label(rating: int, neutral: Neutral) -> bool:
    """A merged rating as a trainer's bool: +1 True, -1 False, 0 as `neutral` says."""
    if rating == 0:
        return neutral == "correct"
    return rating > 0


def export_folder(out: Path) -> Path:
    """`OUT/exports/<name>-<build id>`: the default home of this build's exports."""
    manifest = read_manifest(out) or {}
    build_id = (manifest.get("build") or {}).get("build_id") or "unknown-build"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(manifest.get("name") or "steplabel")).strip("-.") or "steplabel"
    return out / "exports" / f"{name}-{build_id}"


def _chains(out: Path, batch: int = 2048) -> Iterator[dict[str, Any]]:
    table = read_chains(out)
    for offset in range(0, table.num_rows, batch):
        yield from table.slice(offset, batch).to_pylist()


def trl_records(out: Path, report: ExportReport) -> Iterator[dict[str, Any]]:
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
            "labels": [step_label(s["rating"], report.neutral) for s in steps],
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


def export(out: str | Path, fmt: str, to: str | Path | None = None, neutral: Neutral = "correct") -> ExportReport:
    """Write `fmt` (trl, prm800k, hf) for the build in `out`; returns what was written and skipped.

    `neutral` ("correct" or "incorrect") is the bool a 0 step gets in formats whose labels are bools."""
    out = Path(out)
    if read_manifest(out) is None:
        raise FileNotFoundError(f"{out} is not a steplabel build")
    if neutral not in NEUTRAL_CHOICES:
        raise ValueError(f"neutral must be one of {', '.join(NEUTRAL_CHOICES)}, got {neutral!r}")
    if fmt == "trl":
        report = ExportReport(Path(to or export_folder(out) / "trl.jsonl"), neutral=neutral)
        return _write_jsonl(trl_records(out, report), report.path, report)
    if fmt == "prm800k":
        report = ExportReport(Path(to or export_folder(out) / "prm800k.jsonl"), neutral=neutral)
        return _write_jsonl(prm800k_records(out, report), report.path, report)
    if fmt == "hf":
        target = Path(to or export_folder(out) / "hf")
        (target / "data").mkdir(parents=True, exist_ok=True)
        report = ExportReport(target, neutral=neutral)
        parts = sorted((out / "data").glob("shard-*.parquet"))
        for stale in set((target / "data").glob("shard-*.parquet")) - {target / "data" / p.name for p in parts}:
            stale.unlink()  # a shard of another build exported here before would mix its rows in
        for part in parts:
            shutil.copyfile(part, target / "data" / part.name)
            report.written += 1
        shutil.copyfile(out / "README.md", target / "README.md")
        return report
    raise ValueError(f"unknown export format {fmt!r}; choose trl, prm800k or hf")
