"""Progress a scheduler can read: one JSON object per written shard (`steplabel build --progress json`).

Rates and the ETA count only this run's shards (a resumed build does not look fast because of
the shards an earlier run wrote). LLM figures are the build's ledger totals so far (every run,
cached answers free); the ledger counts requests and tokens, so that is the cost reported — a
price per token is not part of the config.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .llm.budget import read_ledger


class ShardProgress:
    def __init__(self, pending_rows: int, pending_shards: int, shards_total: int, cache_dir: str | Path) -> None:
        self.pending_rows, self.pending_shards, self.shards_total = pending_rows, pending_shards, shards_total
        self.cache_dir = Path(cache_dir)
        self.started = time.perf_counter()
        self.rows = self.shards = 0

    def shard_written(self, shard: int, counts: dict[str, int]) -> dict[str, Any]:
        """The event for one written shard, with the totals of this run so far."""
        self.rows += counts.get("rows", 0)
        self.shards += 1
        elapsed = time.perf_counter() - self.started
        rate = self.rows / elapsed if elapsed > 0 else 0.0
        left = self.pending_rows - self.rows
        ledger = read_ledger(self.cache_dir) if (self.cache_dir / "ledger.json").exists() else {}
        roles = [v for v in ledger.values() if isinstance(v, dict)]
        total = {k: sum(int(v.get(k, 0)) for v in roles)
                 for k in ("requests", "prompt_tokens", "completion_tokens", "failed")}
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
            "llm_requests": total["requests"],
            "llm_prompt_tokens": total["prompt_tokens"],
            "llm_completion_tokens": total["completion_tokens"],
            "llm_tokens": total["prompt_tokens"] + total["completion_tokens"],
            "llm_failed": total["failed"],
        }
