"""A small build written straight to disk (real Parquet, real manifest, no Ray) for tests of what
reads a build: exports, the card, the report."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from steplabel.pipeline.config import load_config
from steplabel.pipeline.schema import Chain, rows_to_table
from steplabel.pipeline.store import write_manifest, write_shard

BUILD = {"build_id": "b0123456789a", "config_hash": "c0ffee0123456789", "steplabel_version": "0.1.0",
         "labelers": [{"name": "outcome", "version": "1"}, {"name": "math_steps", "version": "1"}],
         "created_at": "2026-11-30T00:00:00+00:00"}


def step(index: int, text: str, rating: Optional[int], *verdicts: tuple[str, Optional[int], str],
         decided_by: Optional[str] = None) -> dict[str, Any]:
    """A step with verdicts given as (labeler, rating, evidence)."""
    return {"index": index, "text": text, "rating": rating,
            "decided_by": decided_by or (verdicts[0][0] if verdicts and rating is not None else None),
            "verdicts": [{"labeler": name, "version": "1", "rating": r, "evidence": why} for name, r, why in verdicts]}


def chain(chain_id: str, steps: list[dict[str, Any]], status: str = "labeled", problem: str = "What is 2 + 3?",
          **fields: Any) -> dict[str, Any]:
    ratings = [s["rating"] for s in steps]
    first_error = next((i for i, r in enumerate(ratings) if r == -1), -1 if None not in ratings else None)
    row = Chain(chain_id=chain_id, problem_id=f"p-{chain_id}", problem=problem, steps=steps, status=status,
                first_error=first_error, **fields).model_dump()
    row["build"] = BUILD
    return row


def write_build(out: Path, chains: list[dict[str, Any]], shard_size: int = 50) -> Path:
    """Write `chains` as a finished build in `out` (shards, manifest, no card)."""
    out.mkdir(parents=True, exist_ok=True)
    shards = {}
    for shard, start in enumerate(range(0, len(chains), shard_size)):
        rows = [dict(c, shard=shard) for c in chains[start:start + shard_size]]
        counts = write_shard(out, shard, rows_to_table(rows))
        shards[str(shard)] = {"status": "done", "file": f"data/shard-{shard:05d}.parquet", **counts}
    config = load_config().model_dump(mode="json")
    write_manifest(out, {"build": BUILD, "name": "tiny", "config": config, "shards": shards, "status": "done"})
    return out
