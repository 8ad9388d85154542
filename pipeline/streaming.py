"""The input as a stream: the driver keeps only each chain's key, the chains come from a Ray task.

A build reads its input twice. The driver's pass keeps the key of every chain (chain id and
problem id, in input order) and the per-file counts, which is what planning and the final
accounting need; a few dozen bytes a chain. The second pass runs the same importers inside a
Ray Data stage and yields the chains of the shards to build, in blocks, with their shard number;
so no chain body is ever held by the driver, and its memory stays flat as the input grows.

Both passes run the same deterministic importers over the same files. A chain the stream finds
that planning did not (the input changed in between) is left for the next run, and a shard that
does not get all its planned chains is not committed: the build ends `partial`, never wrong.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .config import InputConfig
from .llm.config import GenerationConfig
from .schema import rows_to_table
from .sources import Intake, duplicate_id, iter_chains

KEY_CHUNK = 65536  # keys are gathered in Arrow chunks of this many chains, not as Python lists


KEY_SCHEMA = pa.schema([("chain_id", pa.string()), ("problem_id", pa.string()),
                        ("file", pa.dictionary(pa.int32(), pa.string())), ("record", pa.int64())])


def read_keys(cfg: InputConfig, generation: Optional[GenerationConfig], intake: Intake) -> pa.Table:
    """chain_id, problem_id, and the file and record it was read from, of every chain of the input,
    in input order; `intake` counts per file."""
    chunks: list[pa.Table] = []
    columns: dict[str, list] = {name: [] for name in KEY_SCHEMA.names}

    def flush() -> None:
        chunks.append(pa.table({**columns, "file": pa.array(columns["file"], pa.string()).dictionary_encode()},
                               schema=KEY_SCHEMA))
        for values in columns.values():
            values.clear()

    for row in iter_chains(cfg, generation, intake, dedup=False):  # a set of every id would grow with the input
        columns["chain_id"].append(row["chain_id"])
        columns["problem_id"].append(row["problem_id"])
        columns["file"].append(row["source"].get("file"))
        columns["record"].append(row["source"].get("row_index"))
        if len(columns["chain_id"]) == KEY_CHUNK:
            flush()
    flush()
    keys = pa.concat_tables(chunks).unify_dictionaries()
    return keys.set_column(0, "chain_id", rename_duplicates(keys["chain_id"].combine_chunks()))


def rename_duplicates(ids: pa.Array) -> pa.Array:
    """Later copies of a chain id get the ids the importer gives them (`sources.duplicate_id`), found
    with Arrow so that only the duplicated ids are ever Python objects."""
    counts = pc.value_counts(ids)
    repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
    if len(repeated) == 0:
        return ids
    positions = pc.indices_nonzero(pc.is_in(ids, repeated)).to_pylist()
    copies: dict[str, int] = {}
    renamed = []
    for pos in positions:
        original = ids[pos].as_py()
        copies[original] = copies.get(original, -1) + 1
        if copies[original]:
            renamed.append((pos, duplicate_id(original, copies[original])))
    mask = np.zeros(len(ids), dtype=bool)
    mask[[pos for pos, _ in renamed]] = True
    return pc.replace_with_mask(ids, pa.array(mask), pa.array([new for _, new in renamed], pa.string()))


def import_stream(_start: pa.Table, cfg: InputConfig, generation: Optional[GenerationConfig], plan: list[Any],
                  block_rows: int) -> Iterator[pa.Table]:
    """Ray Data stage (a task): one start row in, the chains of the shards to build out, `block_rows`
    at a time. The plan (chain_id -> shard) travels as an object reference wrapped in a list, so
    Ray ships the reference and the task fetches the table itself."""
    import ray

    table = ray.get(plan[0])
    shard_of = dict(zip(table["chain_id"].to_pylist(), table["shard"].to_pylist()))
    del table
    rows: list[dict] = []
    for row in iter_chains(cfg, generation):
        shard = shard_of.pop(row["chain_id"], None)
        if shard is None:  # in a reused shard (or new since planning: the next run builds it)
            continue
        row["shard"] = shard
        rows.append(row)
        if len(rows) == block_rows:
            yield rows_to_table(rows)
            rows = []
    if rows:
        yield rows_to_table(rows)
