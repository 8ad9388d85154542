"""Work units: which finished shards a run reuses, and how the chains still to build become shards.

A shard is a set of chains, not a range of input positions. A finished shard is reused when every
one of its chains is still in the input (chain ids are content hashes, so "same id" means "same
chain") and the labelers that wrote it are the versions configured now; the chains in no reused
shard are cut into new shards under the lowest numbers not in use, in input order. Input order,
because the chains stream from the input through the stages (the driver holds only their keys): a
shard is complete once the stream has passed it, so shards land one after another instead of all at
the end (gathering a problem's chains from all over the input would make every shard wait for the
end of the stream). A run of one problem's chains stays in one shard where it fits: the samples a
record asks for then go out as one request with `n`, not one request per shard. A grown input
therefore builds only its new chains, a reordered one builds nothing, and a killed run resumes with
the same cut.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pyarrow as pa
import pyarrow.compute as pc

from .labelers import labeler_class
from .place import Place, place
from .store import shard_name


@dataclass
class ShardPlan:
    reused: dict[str, dict[str, Any]]  # manifest key -> entry, kept as they are
    retired: dict[str, str] = field(default_factory=dict)  # manifest key -> why it is built again
    assignment: Optional[pa.Table] = None  # chain_id -> shard, for every chain of a new shard
    pending: dict[int, int] = field(default_factory=dict)  # new shard -> its rows

    @property
    def total(self) -> int:
        return len(self.reused) + len(self.pending)


def labeler_versions(config: Any) -> list[dict[str, str]]:
    """The configured labelers' names and versions: a finished shard is reused only under the same."""
    return [{"name": lc.name, "version": labeler_class(lc.name).version} for lc in config.labelers]


def shard_files(shard: int, entry: dict[str, Any]) -> list[str]:
    """The files a finished shard owns, relative to OUT: its data file, and its quarantine file when
    it has quarantined rows."""
    files = [f"data/{shard_name(shard)}"]
    if entry.get("quarantined"):
        files.append(f"quarantine/{shard_name(shard)}")
    return files


def _chain_ids(out: Place, files: list[str]) -> Optional[list[str]]:
    try:
        return [cid for f in files for cid in out.read_parquet(f, columns=["chain_id"])["chain_id"].to_pylist()]
    except (OSError, pa.ArrowException):  # missing or unreadable: the shard is built again
        return None


def _writer_labelers(manifest: dict[str, Any], entry: dict[str, Any]) -> Any:
    builds = manifest.get("builds") or {}
    build_id = entry.get("build_id") or manifest["build"]["build_id"]
    return (builds.get(build_id) or manifest["build"]).get("labelers")


def reusable(out: str | Path | Place, manifest: Optional[dict[str, Any]], wanted: set[str],
             labelers: list[dict[str, str]]) -> tuple[ShardPlan, set[str]]:
    """Which finished shards hold only chains in `wanted` and were labeled by these labeler versions
    (the plan without new shards yet), and the chain ids they hold. `steplabel check` asks this too."""
    out = place(out)
    plan = ShardPlan(reused={})
    taken: set[str] = set()
    for key, entry in sorted(((manifest or {}).get("shards") or {}).items(), key=lambda kv: int(kv[0])):
        ids = _chain_ids(out, shard_files(int(key), entry)) if entry.get("status") == "done" else None
        if ids is None:
            plan.retired[key] = "not finished" if entry.get("status") != "done" else "files missing or unreadable"
        elif _writer_labelers(manifest, entry) != labelers:
            plan.retired[key] = "labeled by other labeler versions"
        elif len(ids) != entry.get("rows", len(ids)) or not wanted.issuperset(ids) or taken.intersection(ids):
            plan.retired[key] = "its chains are no longer all in the input"
        else:
            plan.reused[key] = entry
            taken.update(ids)
    return plan, taken


KEY_COLUMNS = ("chain_id", "problem_id")


def plan_shards(out: str | Path | Place, manifest: Optional[dict[str, Any]], keys: pa.Table, shard_size: int,
                labelers: list[dict[str, str]]) -> ShardPlan:
    """Split the input's chains (`keys`: chain_id and problem_id of each, in input order) into
    finished shards to reuse and new shards, given as `assignment` (chain_id -> shard)."""
    plan, taken = reusable(out, manifest, set(keys["chain_id"].to_pylist()), labelers)
    keys = keys.select(list(KEY_COLUMNS))
    todo = keys if not taken else keys.filter(pc.invert(pc.is_in(keys["chain_id"], pa.array(list(taken)))))
    free = (n for n in range(len(plan.reused) + todo.num_rows + 1) if str(n) not in plan.reused)
    starts = _cuts(todo["problem_id"].to_pylist(), shard_size)
    shards = []
    for start, end, shard in zip(starts, starts[1:] + [todo.num_rows], free):
        shards.extend([shard] * (end - start))
        plan.pending[shard] = end - start
    plan.assignment = pa.table({"chain_id": todo["chain_id"], "shard": pa.array(shards, pa.int32())})
    return plan


def count_shards(problem_ids: list[Any], shard_size: int) -> int:
    """How many new shards a fresh build cuts its chains into (`steplabel check` says it)."""
    return len(_cuts(problem_ids, shard_size))


def _cuts(problems: list[Any], size: int) -> list[int]:
    """Start offsets of shards of up to `size` chains in input order: a shard ends before a run of
    one problem's chains that would not fit in it whole, unless that run alone is larger than a shard."""
    starts, start, group = [0], 0, 0
    for i in range(1, len(problems)):
        if problems[i] != problems[i - 1]:
            group = i
        if i - start == size:
            start = group if group > start else i
            starts.append(start)
    return starts if problems else []
