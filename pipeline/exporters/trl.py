"""TRL's stepwise PRM format, for `trl.experimental.prm.PRMTrainer` (in TRL's wheels up to 1.13.0;
1.14.0 and later have no PRM trainer).

TRL casts labels with `int()`, so labels are bools; soft scores (e.g. Monte-Carlo values) go in a
separate `scores` column that the trainer ignores.
"""
from __future__ import annotations

from typing import Any

from .base import ExportOptions, labeled_steps


def record(chain: dict[str, Any], options: ExportOptions) -> dict[str, Any]:
    steps = labeled_steps(chain, options)
    return {
        "prompt": chain["problem"],
        "completions": [s["text"] for s, _ in steps],
        "labels": [ok for _, ok in steps],
        "scores": [s["score"] for s, _ in steps],
        "chain_id": chain["chain_id"],
    }
