"""Helpers for tests that watch a build from outside (kill/resume tests), and a build folder
written by hand (real Parquet shard, manifest and card header) for tests of what reads a build —
exports, evaluation — without running Ray."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from steplabel.pipeline.schema import new_chain, rows_to_table
from steplabel.pipeline.segment import make_steps
from steplabel.pipeline.store import read_manifest, write_manifest, write_shard


def done_shards(out: Path) -> int:
    """Shards the manifest records as written (0 before the build has written its manifest)."""
    manifest = read_manifest(out)
    return 0 if manifest is None else sum(1 for e in manifest["shards"].values() if e["status"] == "done")


def verdict(labeler: str, rating: Optional[int]) -> dict[str, Any]:
    return {"labeler": labeler, "version": "1", "rating": rating, "score": None, "evidence": "",
            "cost": {"ms": 0.0, "tokens": 0}, "cached": False}


def chain(chain_id: str, ratings: list[Optional[int]], build_id: str = "b", problem_id: str = "p",
          verdicts: Optional[dict[str, list[Optional[int]]]] = None) -> dict[str, Any]:
    """A chain whose merged ratings are `ratings` (decided by labeler "a"), with optional per-labeler
    verdicts ({labeler: rating per step}, None = no verdict)."""
    row = new_chain(chain_id=chain_id, problem_id=problem_id, problem="q", build={"build_id": build_id},
                    steps=make_steps([f"step {i}" for i in range(len(ratings))]))
    for i, (step, r) in enumerate(zip(row["steps"], ratings)):
        step["rating"], step["decided_by"] = r, None if r is None else "a"
        for labeler, given in (verdicts or {}).items():
            if given[i] is not None:
                step["verdicts"].append(verdict(labeler, given[i]))
    return row


def write_build(out: Path, rows: list[dict[str, Any]], build_id: str = "b", name: str = "my build") -> Path:
    write_shard(out, 0, rows_to_table(rows))
    write_manifest(out, {"name": name, "build": {"build_id": build_id}})
    (out / "README.md").write_text(f"---\nconfigs:\n- config_name: default\n  description: steplabel build {build_id}\n"
                                   "  data_files:\n  - split: train\n    path: data/*.parquet\n---\n")
    return out
