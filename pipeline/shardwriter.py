"""Workers write the shards; the driver only commits them.

The last stage of a build writes its batch's finished rows as part files, one per shard it holds
(`OUT/parts/shard-NNNNN/part-*.parquet`, each written to a temporary name and renamed), and
hands the driver one small record per part: shard, rows, file. Once a shard's parts hold all its
rows, a Ray task joins them into the shard file (`store.write_shard`: whole or absent) and returns
its counts, which the driver enters in the manifest. So no chain crosses the driver, and a shard
file appears only complete. Parts of a shard that was never committed (a killed run, a stopped
shard) are removed by the next run before it builds anything.

On a cluster, OUT must be one folder every node sees at the same path (see `preflight.check_nodes`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc

from .place import Place, place
from .schema import CHAINS_SCHEMA
from .stages import STOPPED
from .store import write_shard

PARTS = "parts"

RECORD_SCHEMA = pa.schema([("shard", pa.int64()), ("rows", pa.int64()), ("part", pa.string()),
                           ("stopped", pa.string())])


def part_folder(shard: int) -> str:
    return f"{PARTS}/shard-{shard:05d}"


def write_parts(out: str | Path | Place, table: pa.Table) -> pa.Table:
    """Write each shard's rows of this batch as one part file; return one record per shard.

    A shard with a row a stage marked `stopped` gets no part: its record carries the reason, and
    the shard waits for the next run."""
    where = place(out)
    records = []
    for shard in sorted(set(table["shard"].to_pylist())):
        rows = table.filter(pc.equal(table["shard"], shard))
        halted = pc.equal(rows["status"], STOPPED)
        if pc.any(halted).as_py():
            reason = rows.filter(halted)["status_reason"][0].as_py()
            records.append({"shard": shard, "rows": rows.num_rows, "part": None, "stopped": reason})
            continue
        # named by its chains: a task Ray runs again (a lost node) rewrites the same part, not a second one
        key = hashlib.sha1("\n".join(sorted(rows["chain_id"].to_pylist())).encode()).hexdigest()[:20]
        name = f"part-{key}.parquet"
        where.write_parquet(f"{part_folder(shard)}/{name}", rows.cast(CHAINS_SCHEMA))
        records.append({"shard": shard, "rows": rows.num_rows, "part": name, "stopped": None})
    return pa.Table.from_pylist(records, schema=RECORD_SCHEMA)


class IncompleteShard(ValueError):
    """A shard's parts do not hold exactly the chains planned for it."""


def commit_shard(out: str | Path | Place, shard: int, parts: list[str], expected: int) -> dict[str, int]:
    """Join a finished shard's parts into its shard file (atomically) and return its counts.

    Runs as a Ray task; the parts stay until the driver has entered the shard in the manifest, so
    a retried task finds them all again. A chain in two parts (a stage Ray ran again with other
    batch edges) is kept once; a shard that then lacks a planned chain is not written."""
    where = place(out)
    table = pa.concat_tables(where.read_parquet(f"{part_folder(shard)}/{name}", schema=CHAINS_SCHEMA)
                             for name in parts)
    first: dict[str, int] = {}
    for i, cid in enumerate(table["chain_id"].to_pylist()):
        first.setdefault(cid, i)
    if len(first) != table.num_rows:
        table = table.take(list(first.values()))
    if table.num_rows != expected:
        raise IncompleteShard(f"shard {shard}: {table.num_rows} distinct chains in its parts, {expected} planned")
    return write_shard(where, shard, table)


def remove_parts(out: str | Path | Place, shard: Optional[int] = None) -> list[str]:
    """Remove one shard's parts (after its commit), or every part (at a run's start: none is
    committed then, they are a killed run's). Returns the folders removed, relative to OUT."""
    where = place(out)
    if shard is not None:
        folders = [part_folder(shard)]
    else:
        folders = [f"{PARTS}/{name}" for name in where.subfolders(PARTS)]
    gone = [f for f in folders if where.names(f)]
    for folder in folders:
        where.delete_tree(folder)
    if shard is None:
        where.delete_tree(PARTS)
    return gone
