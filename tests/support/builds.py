"""Helpers for tests that watch a build from outside (kill/resume tests), and a build folder
written by hand (real Parquet shard, manifest and card header) for tests of what reads a build —
exports, evaluation — without running Ray."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from steplabel.pipeline import __version__
from steplabel.pipeline.config import load_config
from steplabel.pipeline.first_error import first_error, first_flag
from steplabel.pipeline.schema import new_chain, rows_to_table
from steplabel.pipeline.segment import make_steps
from steplabel.pipeline.store import read_manifest, shard_name, write_manifest, write_shard


def cli_env() -> dict[str, str]:
    """The environment for a `steplabel build` subprocess: it joins this process's Ray (the session
    fixture's) instead of starting its own, which costs seconds; a SIGKILL then kills that driver alone."""
    import ray

    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    if ray.is_initialized():
        env["RAY_ADDRESS"] = ray.get_runtime_context().gcs_address
    return env


def done_shards(out: Path) -> int:
    """Shards the manifest records as written (0 before the build has written its manifest)."""
    manifest = read_manifest(out)
    return 0 if manifest is None else sum(1 for e in manifest["shards"].values() if e["status"] == "done")


def verdict(labeler: str, rating: Optional[int], evidence: str = "") -> dict[str, Any]:
    return {"labeler": labeler, "version": "1", "rating": rating, "score": None, "evidence": evidence,
            "cost": {"ms": 0.0, "tokens": 0}, "cached": False}


def step(index: int, text: str, rating: Optional[int], *verdicts: tuple[str, Optional[int], str],
         decided_by: Optional[str] = None) -> dict[str, Any]:
    """A step with verdicts given as (labeler, rating, evidence); decided by the first by default."""
    return {"index": index, "text": text, "rating": rating, "score": None, "agreement": None,
            "decided_by": decided_by or (verdicts[0][0] if verdicts and rating is not None else None),
            "verdicts": [verdict(*v) for v in verdicts]}


def chain_of(chain_id: str, steps: list[dict[str, Any]], status: str = "labeled", problem: str = "What is 2 + 3?",
             **fields: Any) -> dict[str, Any]:
    """A chain of the given steps (see `step`); first_error and first_flag follow from their ratings."""
    ratings = [s["rating"] for s in steps]
    return new_chain(chain_id=chain_id, problem_id=f"p-{chain_id}", problem=problem, steps=steps, status=status,
                     first_error=first_error(ratings) if steps else None, first_flag=first_flag(ratings),
                     build={"build_id": "b"}, **fields)


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


def write_build(out: Path, rows: list[dict[str, Any]], build_id: str = "b", name: str = "my build",
                shard_size: int = 1000) -> Path:
    """`rows` as a finished build in `out`: shards of `shard_size`, a manifest (the sample config,
    so the card renders) and a card header."""
    shards = {}
    for shard, start in enumerate(range(0, max(len(rows), 1), shard_size)):
        part = [dict(r, shard=shard) for r in rows[start:start + shard_size]]
        counts = write_shard(out, shard, rows_to_table(part))
        shards[str(shard)] = {"status": "done", "file": f"data/{shard_name(shard)}", **counts}
    write_manifest(out, {"name": name, "status": "done", "shards": shards, "config": load_config().model_dump(mode="json"),
                         "build": {"build_id": build_id, "config_hash": "c0ffee0123456789",
                                   "steplabel_version": __version__, "created_at": "2026-11-30T00:00:00+00:00",
                                   "labelers": [{"name": "outcome", "version": "1"}]}})
    (out / "README.md").write_text(f"---\nconfigs:\n- config_name: default\n  description: steplabel build {build_id}\n"
                                   "  data_files:\n  - split: train\n    path: data/*.parquet\n---\n")
    return out
