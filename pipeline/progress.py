"""Progress a scheduler can read: one JSON object per written shard (`steplabel build --progress json`).

Rates and the ETA count only this run's shards (a resumed build does not look fast because of
the shards an earlier run wrote). LLM figures come from the build's ledger (`llm/budget.py`),
each count once: the flat `llm_*` keys are this run's (the ledger now minus the ledger when the
run started), `llm_all_runs` the same counts over every run that used this OUT's ledger. The
ledger counts requests and tokens, so that is the cost reported — a price per token is not part
of the config.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

from .llm.budget import difference, ledger_usage, read_ledger, usage

# the counts a progress event carries, as `llm_<name>` (this run) and in `llm_all_runs`
PROGRESS_COUNTS = ("requests", "answered", "failed", "failed_attempts", "retried_attempts", "cache_hits",
                   "prompt_tokens", "completion_tokens", "tokens")


def ledger_now(cache_dir: str | Path) -> dict[str, Any]:
    """The ledger's totals now ({} before any LLM request of this OUT)."""
    return read_ledger(cache_dir) if (Path(cache_dir) / "ledger.json").exists() else {}


def llm_figures(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{"this_run": {role: usage}, "all_runs": {role: usage}} from two ledger snapshots."""
    return {"this_run": difference(after, before), "all_runs": ledger_usage(after)}


class ShardProgress:
    def __init__(self, pending_rows: int, pending_shards: int, shards_total: int, cache_dir: str | Path,
                 ledger_before: Optional[dict[str, Any]] = None) -> None:
        self.pending_rows, self.pending_shards, self.shards_total = pending_rows, pending_shards, shards_total
        self.cache_dir = Path(cache_dir)
        self.ledger_before = ledger_now(cache_dir) if ledger_before is None else ledger_before
        self.started = time.perf_counter()
        self.rows = self.shards = 0

    def shard_written(self, shard: int, counts: dict[str, int]) -> dict[str, Any]:
        """The event for one written shard, with the totals of this run so far."""
        self.rows += counts.get("rows", 0)
        self.shards += 1
        elapsed = time.perf_counter() - self.started
        rate = self.rows / elapsed if elapsed > 0 else 0.0
        left = self.pending_rows - self.rows
        figures = llm_figures(self.ledger_before, ledger_now(self.cache_dir))
        run = figures["this_run"].get("total") or usage({})
        every = figures["all_runs"].get("total") or usage({})
        return {
            "event": "shard",
            "shard": shard,
            "chains": counts.get("rows", 0),
            "quarantined": counts.get("quarantined", 0),
            "chains_done": self.rows,
            "chains_left": left,
            "shards_done": self.shards,
            "shards_left": self.pending_shards - self.shards,
            "shards_total": self.shards_total,
            "elapsed_s": round(elapsed, 3),
            "rows_per_s": round(rate, 3),
            "eta_s": round(left / rate, 1) if rate > 0 else None,
            **{f"llm_{k}": run[k] for k in PROGRESS_COUNTS},
            "llm_all_runs": {k: every[k] for k in PROGRESS_COUNTS},
        }
