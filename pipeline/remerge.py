"""`steplabel remerge`: a new merge section over a finished build's stored verdicts, into a new OUT.

Changing only how verdicts become ratings needs no labeler: every verdict is in the rows. The new
build keeps the source's shards (same numbers, same chains), re-merges each labeled or filtered row
(quarantined rows pass as they are), and records where it came from in its manifest
(`build.remerged_from`) and a new build id and config hash in every row. A config that differs in
anything but `merge` (and `run`, which decides no label) is refused: its labels would need labelers.
"""
from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional


from . import __version__
from .card import write_card
from .cascade import Cascade
from .config import BuildConfig, ConfigError
from .labelers import REGISTRY, labeler_class
from .lease import Lease
from .merge import MergeStage
from .preflight import StartError, check_out
from .schema import CHAINS_SCHEMA, rows_to_table
from .store import MANIFEST, account, read_manifest, shard_name, write_manifest, write_shard
from .place import place
from .workunits import shard_files

MERGE_REASON = "[merge]"  # the prefix of the reasons the merge itself gives (consensus filtering)


@dataclass
class RemergeResult:
    out: Path
    manifest: dict[str, Any]
    shards: int
    rows: int
    seconds: float


def _differs(stored: BuildConfig, new: BuildConfig) -> list[str]:
    """The sections other than merge and run in which the two configs decide labels differently."""
    probe = new.model_copy(update={"merge": stored.merge, "run": stored.run})
    if probe.config_hash() == stored.config_hash():
        return []
    a, b = stored.model_dump(mode="json"), new.model_dump(mode="json")
    return [k for k in a if k not in ("merge", "run") and a[k] != b[k]] or ["prompt templates"]


def _skipped_verdicts_needed(stored: BuildConfig, new: BuildConfig) -> str:
    """Why the new merge needs a verdict the source's cascade skipped ("" when it needs none): the
    cascade skipped what the stored order and stop_at_first_error made unneeded, for the cascaded
    labelers only (cascade.py)."""
    cascade = Cascade.of(stored.merge)
    if cascade is None:
        return ""
    cascaded = sorted(n for n in cascade.order if n in REGISTRY and labeler_class(n).cascades
                      and cascade.applies_to(n))
    if not cascaded:
        return ""
    if new.merge.policy == "vote":
        return f"vote counts every verdict of {', '.join(cascaded)}"
    if list(new.merge.order) != list(cascade.order) or new.merge.stop_at_first_error != cascade.stop_at_first_error:
        return (f"its {', '.join(cascaded)} skipped the steps that merge.order {list(cascade.order)} with "
                f"stop_at_first_error {cascade.stop_at_first_error} did not need")
    agree = sorted(set(new.merge.agree) & set(cascaded))
    return f"consensus would compare the first errors of {', '.join(agree)}, which skipped steps" if agree else ""


def remerge_rows(rows: list[dict[str, Any]], merge: MergeStage, build: dict[str, Any]) -> list[dict[str, Any]]:
    """Re-merge stored rows: a row the old merge filtered is judged again; quarantined rows stay."""
    for row in rows:
        if row["status"] == "filtered" and row["status_reason"].startswith(MERGE_REASON):
            row["status"], row["status_reason"] = "labeled", ""
        if row["status"] != "quarantined":
            merge.merge(row)
        row["build"] = build
    return rows


def _remerge_shard(src: str, dst: str, shard: int, entry: dict[str, Any], config: dict[str, Any],
                   build: dict[str, Any]) -> dict[str, int]:
    """One shard, in a worker process: read its files, re-merge, write it whole into dst."""
    merge = MergeStage(BuildConfig.model_validate(config).merge)
    source = place(src)
    rows = [row for f in shard_files(shard, entry)
            for row in source.read_parquet(f, schema=CHAINS_SCHEMA).to_pylist()]
    return write_shard(dst, shard, rows_to_table(remerge_rows(rows, merge, build)))


def remerge(src: str | Path, config: BuildConfig, out: str | Path, workers: Optional[int] = None,
            progress: Optional[Callable[[str], None]] = None) -> RemergeResult:
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    src, out = Path(src), Path(out)
    manifest = read_manifest(src)
    if manifest is None:
        raise StartError(f"{src} is not a steplabel build (no {MANIFEST})")
    if manifest.get("status") != "done":
        raise StartError(f"{src} is not a finished build (status {manifest.get('status')}); finish it first")
    if src.resolve() == out.resolve():
        raise StartError("remerge writes a new build: give an --out other than the source")
    stored = BuildConfig.model_validate(manifest["config"])
    differs = _differs(stored, config)
    if differs:
        raise ConfigError(f"the config differs from {src}'s in {', '.join(differs)}, not only in merge: "
                          "that needs labelers, run `steplabel build` instead")
    missing = _skipped_verdicts_needed(stored, config)
    if missing:
        raise ConfigError(f"{src} was built with merge.cascade: {missing}, so this merge would need verdicts its "
                          "labelers were never asked for; run `steplabel build` without the cascade instead")
    check_out(out)
    existing = read_manifest(out) if (out / MANIFEST).exists() else None
    if existing is not None and (existing["build"].get("remerged_from") or {}).get("out") != str(src.resolve()):
        raise StartError(f"{out} holds another build; choose a new --out or delete it")
    config = config.model_copy(update={"run": config.run.model_copy(update={"out": str(out)})})
    with _leases(src, out):
        old = manifest["build"]
        build = {
            "build_id": uuid.uuid4().hex[:12], "config_hash": config.config_hash(), "steplabel_version": __version__,
            "labelers": old["labelers"], "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        new = {"name": manifest.get("name", config.name), "build": {**build, "remerged_from": {
            "out": str(src.resolve()), "build_id": old["build_id"], "config_hash": old["config_hash"],
            "merge": stored.merge.model_dump(mode="json")}},
            "builds": {build["build_id"]: {k: build[k] for k in ("config_hash", "steplabel_version", "labelers",
                                                                   "created_at")}},
            "config": config.model_dump(mode="json"), "shards_total": len(manifest["shards"]),
            "status": "running", "shards": {}}
        write_manifest(out, new)
        shards = {int(k): e for k, e in manifest["shards"].items()}
        dumped = config.model_dump(mode="json")
        workers = workers or min(len(shards), os.cpu_count() or 1) or 1
        # spawn, not fork: the caller may hold threads (Ray's, a lease heartbeat) a fork would copy mid-use
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {s: pool.submit(_remerge_shard, str(src), str(out), s, e, dumped, build)
                       for s, e in sorted(shards.items())}
            for shard, future in futures.items():
                counts = future.result()
                new["shards"][str(shard)] = {"status": "done", "file": f"data/{shard_name(shard)}",
                                             "build_id": build["build_id"], **counts}
        say(f"{len(shards)} shards re-merged with merge policy {config.merge.policy}")
        new["counts"] = {k: sum(e.get(k, 0) for e in new["shards"].values())
                         for k in {k for e in new["shards"].values() for k, v in e.items() if isinstance(v, int)}}
        new["inputs"], missing = account(out, {f: {k: e.get(k, 0) for k in ("records", "chains", "blank_lines")}
                                               for f, e in (manifest.get("inputs") or {}).items()})
        new["unaccounted"] = missing
        write_manifest(out, new)
        write_card(out)
        new["status"] = "done" if not missing else "partial"
        write_manifest(out, new)
    return RemergeResult(out, new, len(shards), new["counts"].get("rows", 0), time.perf_counter() - started)


class _leases:
    """Hold the source (nobody rebuilds it while it is read) and the new OUT."""

    def __init__(self, src: Path, out: Path) -> None:
        self.held = [Lease(src), Lease(out)]

    def __enter__(self) -> None:
        taken: list[Lease] = []
        try:
            for lease in self.held:
                taken.append(lease.acquire())
        except BaseException:
            for lease in taken:
                lease.release()
            raise

    def __exit__(self, *exc: Any) -> None:
        for lease in self.held:
            lease.release()
