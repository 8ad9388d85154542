"""`steplabel export OUT --format tokens`: the build tokenized for token-classification PRM training.

Parquet shards (`data/shard-NNNNN.parquet`, one per build shard) with `input_ids`, `labels` (at
each exported step's separator: 1/0, or the step's score with `soft`; -100 elsewhere),
`step_positions`, `chain_id` and `build_id`, in the layout of `tokens.py`. They load with
`datasets.load_dataset("parquet", data_files=".../data/*.parquet")` and go to `transformers`'
`Trainer` with `DataCollatorForTokenClassification` as they are (the other columns are dropped by
the Trainer, as the model's forward does not take them): see examples/train_prm.py.

The work runs as Ray tasks, one build shard each, in actors that hold the tokenizer (loaded once
on the driver, shipped once): each reads its shard from OUT and writes its file into the export,
locally or on S3 (place.py), and returns only counts. The driver never holds a chain, so its
memory does not grow with the build. `export.json` (written last) says what came from where, the
options, and every chain skipped or cut by `max_length`.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Optional

import pyarrow as pa
import pyarrow.compute as pc

from .export import export_name
from .exporters.base import ExportOptions, Neutral, Skip, labeled_steps
from .place import LocalPlace, Place, S3Place, place
from .schema import CHAINS_SCHEMA
from .store import read_manifest, shard_paths
from .tokens import (DEFAULT_MAX_LENGTH, DEFAULT_SEPARATOR, IGNORE, Layout, describe, encode_chains, for_workers,
                     load_tokenizer)

FEEDS = ("transformers token classification: datasets.load_dataset('parquet') → Trainer with "
         "DataCollatorForTokenClassification (examples/train_prm.py)")
COLUMNS = ("chain_id", "status", "problem", "steps", "build")  # what a shard task reads of the chains table


@dataclass(frozen=True)
class TokenOptions:
    tokenizer: str
    separator: str = DEFAULT_SEPARATOR
    max_length: int = DEFAULT_MAX_LENGTH
    neutral: Neutral = "correct"
    soft: bool = False  # labels are the step's score (its rating's 1/0 where it has none)


def schema(soft: bool) -> pa.Schema:
    return pa.schema([("input_ids", pa.list_(pa.int32())),
                      ("labels", pa.list_(pa.float32() if soft else pa.int64())),
                      ("step_positions", pa.list_(pa.int32())),
                      ("chain_id", pa.string()), ("build_id", pa.string())])


def _counts() -> dict[str, Any]:
    return {"chains_read": 0, "written": 0, "truncated": 0, "steps_labeled": 0, "steps_cut": 0,
            "labels_1": 0, "labels_0": 0, "soft_from_rating": 0, "tokens": 0, "skipped": {}}


def tokenize_table(table: pa.Table, tokenizer: Any, layout: Layout, options: TokenOptions) -> tuple[pa.Table, dict]:
    """A batch of chain rows → token rows, and what was written, cut and skipped (and why)."""
    counts, chosen = _counts(), []
    export = ExportOptions(neutral=options.neutral)
    for chain in _chains(table):
        counts["chains_read"] += 1
        try:
            steps = labeled_steps(chain, export)
        except Skip as why:
            counts["skipped"][str(why)] = counts["skipped"].get(str(why), 0) + 1
            continue
        chosen.append((chain, steps))
    encoded = encode_chains(tokenizer, [(c["problem"], [s["text"] for s, _ in steps]) for c, steps in chosen], layout)
    rows: dict[str, list] = {name: [] for name in schema(options.soft).names}
    for (chain, steps), enc in zip(chosen, encoded):
        if not enc.positions:
            why = f"no step separator within max_length {layout.max_length}"
            counts["skipped"][why] = counts["skipped"].get(why, 0) + 1
            continue
        labels: list[Any] = [IGNORE] * len(enc.input_ids)
        for position, (step, ok) in zip(enc.positions, steps):
            if options.soft:
                if step["score"] is None:
                    counts["soft_from_rating"] += 1
                labels[position] = float(ok) if step["score"] is None else float(step["score"])
            else:
                labels[position] = int(ok)
            counts["labels_1" if ok else "labels_0"] += 1
        counts["written"] += 1
        counts["truncated"] += enc.cut > 0
        counts["steps_cut"] += enc.cut
        counts["steps_labeled"] += len(enc.positions)
        counts["tokens"] += len(enc.input_ids)
        for name, value in (("input_ids", enc.input_ids), ("labels", labels), ("step_positions", enc.positions),
                            ("chain_id", chain["chain_id"]), ("build_id", chain["build_id"])):
            rows[name].append(value)
    return pa.table(rows, schema=schema(options.soft)), counts


def _chains(table: pa.Table) -> Iterator[dict[str, Any]]:
    """The rows as dicts of what the export reads (step text, rating, score), taken column by column:
    the verdicts, the bulk of a row, are never turned into Python objects."""
    steps = table["steps"].combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(steps), 0).to_pylist()
    flat = steps.flatten()
    texts, ratings, scores = (flat.field(name).to_pylist() for name in ("text", "rating", "score"))
    columns = zip(table["chain_id"].to_pylist(), table["status"].to_pylist(), table["problem"].to_pylist(),
                  pc.struct_field(table["build"], "build_id").to_pylist(), lengths)
    at = 0
    for chain_id, status, problem, build_id, n in columns:
        yield {"chain_id": chain_id, "status": status, "problem": problem, "build_id": build_id,
               "steps": [{"text": texts[j], "rating": ratings[j], "score": scores[j]} for j in range(at, at + n)]}
        at += n


class ShardTokenizer:
    """A Ray actor: holds the tokenizer, turns one build shard into one token shard per call."""

    def __init__(self, shipped: list[Any], layout: Layout, options: TokenOptions) -> None:
        import ray

        # the tokenizer's ref comes inside a list, so Ray hands it over unresolved and a restarted
        # actor fetches it again from the driver, which holds it for the whole export
        self.tokenizer, self.layout, self.options = ray.get(shipped[0]), layout, options

    def run(self, source: Place, target: Place, rel: str, batch: int = 1024) -> dict[str, Any]:
        table = source.read_parquet(rel, schema=CHAINS_SCHEMA, columns=list(COLUMNS))
        parts, total = [], _counts()
        for offset in range(0, table.num_rows, batch):
            part, counts = tokenize_table(table.slice(offset, batch), self.tokenizer, self.layout, self.options)
            parts.append(part)
            _add(total, counts)
        out = pa.concat_tables(parts) if parts else schema(self.options.soft).empty_table()
        target.write_parquet(rel, out)  # data/shard-NNNNN.parquet: whole or absent
        return total


def _add(total: dict[str, Any], counts: dict[str, Any]) -> None:
    for key, value in counts.items():
        if key == "skipped":
            for why, n in value.items():
                total["skipped"][why] = total["skipped"].get(why, 0) + n
        else:
            total[key] += value


def default_target(out: Place, manifest: dict[str, Any]) -> Place:
    """OUT/exports/<name>-<build id>/tokens, as for the other formats (export.export_folder)."""
    rel = f"exports/{export_name(manifest)}/tokens"
    if isinstance(out, S3Place):
        return out.at(f"{out.prefix}/{rel}")
    return LocalPlace(out.root / rel)  # type: ignore[attr-defined]


def _absolute(where: Place) -> Place:
    """Actors do not share the driver's working directory: a local folder goes to them absolute."""
    return LocalPlace(where.root.resolve()) if isinstance(where, LocalPlace) else where


@dataclass
class TokensReport:
    path: str
    counts: dict[str, Any]
    seconds: float


def export_tokens(out: str | Place, options: TokenOptions, to: Optional[str | Place] = None,
                  address: Optional[str] = None, actors: Optional[int] = None,
                  progress: Optional[Callable[[str], None]] = None) -> TokensReport:
    """Tokenize every shard of the build in `out` into `to` (default: under OUT/exports/), with Ray
    (a cluster at `address`, or RAY_ADDRESS, or a local one); returns the counts export.json holds."""
    import ray

    from .build import init_ray

    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    source = _absolute(place(out))
    manifest = read_manifest(source)
    if manifest is None:
        raise FileNotFoundError(f"{source} is not a steplabel build (no manifest.json)")
    tokenizer = load_tokenizer(options.tokenizer)
    layout = Layout.of(tokenizer, options.separator, options.max_length)
    target = _absolute(place(to)) if to is not None else default_target(source, manifest)
    if read_manifest(target) is not None:  # its data/ would be replaced by token shards
        raise ValueError(f"--to {target} holds a steplabel build: the export needs a folder of its own")
    files = shard_paths(source, "data")
    for stale in set(shard_paths(target, "data")) - set(files):
        target.delete(stale)  # a shard of another build exported here before would mix its rows in
    started_ray = init_ray(address)
    try:
        from ray.util import ActorPool

        n = actors or max(1, min(len(files), int(ray.cluster_resources().get("CPU", 1))))
        worker = ray.remote(ShardTokenizer).options(num_cpus=1, max_restarts=1, max_task_retries=2)
        # loaded once here, shipped once: nodes need neither the folder nor the Hub (nor, for a fast
        # tokenizer, transformers: the Rust tokenizer goes alone)
        shipped = ray.put(for_workers(tokenizer))
        pool = ActorPool([worker.remote([shipped], layout, options) for _ in range(n)])
        total = _counts()
        for done, counts in enumerate(pool.map_unordered(lambda a, rel: a.run.remote(source, target, rel), files), 1):
            _add(total, counts)
            say(f"{done}/{len(files)} shards tokenized, {total['written']} chains written")
    finally:
        if started_ray:
            ray.shutdown()
    build = manifest.get("build") or {}
    target.write("export.json", json.dumps({
        "format": "tokens", "feeds": FEEDS,
        "build_id": build.get("build_id"), "config_hash": build.get("config_hash"),
        "steplabel_version": build.get("steplabel_version"),
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": asdict(options),
        "tokenizer": describe(tokenizer, options.tokenizer),
        "layout": {"separator": layout.separator, "separator_ids": list(layout.separator_ids),
                   "bos_token_id": layout.bos_id, "max_length": layout.max_length,
                   "labels": "score (float)" if options.soft else "1 correct / 0 incorrect (int64)",
                   "ignore_index": IGNORE},
        "files": files,
        "counts": {k: v for k, v in total.items() if k != "skipped"} | {"skipped": sum(total["skipped"].values())},
        "skipped": dict(sorted(total["skipped"].items())),
    }, indent=2, ensure_ascii=False) + "\n")
    return TokensReport(str(target), total, time.perf_counter() - started)
