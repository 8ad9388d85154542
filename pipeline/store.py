"""The build directory: shard files written atomically, the manifest, and DuckDB views.

    OUT/manifest.json   build id, resolved config and hash, versions, per-shard status and counts
    OUT/data/           chains that were labeled or filtered, one Parquet file per shard
    OUT/quarantine/     chains that could not be processed, same schema, reason in status_reason
    OUT/cache/          LLM request cache
    OUT/README.md       the dataset card

A shard file is written to a temporary name and renamed (on S3: one PUT of its name), so it is
whole or absent; the manifest is updated the same way after each shard, so a killed build resumes
with the shards it lacks. OUT is a folder or an `s3://` prefix (place.py); every function here
takes either.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Optional

import pyarrow as pa
import pyarrow.compute as pc

from .place import LocalPlace, Place, place
from .schema import CHAINS_SCHEMA

Out = str | Path | Place

MANIFEST = "manifest.json"


def shard_name(shard: int) -> str:
    return f"shard-{shard:05d}.parquet"


def write_shard(out: Out, shard: int, table: pa.Table) -> dict[str, int]:
    """Write one shard's rows (kept ones to data/, quarantined ones to quarantine/); return counts."""
    where = place(out)
    table = table.cast(CHAINS_SCHEMA).sort_by("chain_id")
    bad = pc.equal(table["status"], "quarantined")
    kept, quarantined = table.filter(pc.invert(bad)), table.filter(bad)
    # quarantine first: the data file's appearance is what marks a shard as written. A rewritten
    # shard replaces its quarantine file too (or removes it), so no chain is counted twice
    if quarantined.num_rows:
        where.write_parquet(f"quarantine/{shard_name(shard)}", quarantined)
    else:
        where.delete(f"quarantine/{shard_name(shard)}")
    where.write_parquet(f"data/{shard_name(shard)}", kept)
    counts = pc.value_counts(table["status"]).to_pylist()
    return {"rows": table.num_rows, **{c["values"]: c["counts"] for c in counts}}


def shard_paths(out: Out, folder: str) -> list[str]:
    """The shard files in data/ or quarantine/, as paths relative to OUT."""
    return [f"{folder}/{n}" for n in place(out).names(folder) if n.startswith("shard-") and n.endswith(".parquet")]


def remove_unlisted(out: Out, owned: set[str]) -> list[str]:
    """Shard files no finished shard of the manifest owns (a killed run wrote them before the manifest
    said so, or a retired shard's): readers glob data/, so they go before anything is built."""
    where = place(out)
    stray = [f for folder in ("data", "quarantine") for f in shard_paths(where, folder) if f not in owned]
    for f in stray:
        where.delete(f)
    return stray


def cache_dir(out: Out) -> Path:
    """The build's own request cache and budget ledger: OUT/cache for a local build; for a build on
    S3 a folder on this machine named after its URI (give such builds a shared `run.cache`)."""
    where = place(out)
    if isinstance(where, LocalPlace):
        return (where.root / "cache").resolve()
    digest = hashlib.sha256(str(where).encode()).hexdigest()[:16]
    base = Path(os.environ.get("STEPLABEL_STATE_DIR", Path.home() / ".cache" / "steplabel"))
    return (base / "builds" / digest / "cache").resolve()


def read_manifest(out: Out) -> Optional[dict[str, Any]]:
    data = place(out).read(MANIFEST)
    return None if data is None else json.loads(data)


def write_manifest(out: Out, manifest: dict[str, Any]) -> None:
    place(out).write(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))


def read_chains(out: Out, quarantine: bool = False) -> pa.Table:
    """The build's chains table (or its quarantined rows) as one Arrow table."""
    where = place(out)
    files = shard_paths(where, "quarantine" if quarantine else "data")
    if not files:
        return CHAINS_SCHEMA.empty_table()
    return pa.concat_tables(where.read_parquet(f, schema=CHAINS_SCHEMA) for f in files)


VIEWS = {
    "chains": "SELECT * FROM {data}",
    "quarantine": "SELECT * FROM {quarantine}",
    "steps": """
        SELECT c.chain_id, c.problem_id, c.domain, c.status, c.first_error, c.first_flag, s.step.index AS step_index,
               s.step.text AS text, s.step.rating AS rating, s.step.score AS score, s.step.decided_by AS decided_by,
               len(s.step.verdicts) AS n_verdicts
        FROM chains c, unnest(c.steps) AS s(step)""",
    "verdicts": """
        SELECT st.chain_id, st.step_index, v.v.labeler AS labeler, v.v.version AS version, v.v.rating AS rating,
               v.v.score AS score, v.v.evidence AS evidence, v.v.cost.ms AS cost_ms, v.v.cost.tokens AS tokens,
               v.v.cached AS cached, st.rating AS final_rating, st.decided_by AS decided_by
        FROM (SELECT c.chain_id, s.step.index AS step_index, s.step.verdicts AS verdicts, s.step.rating AS rating,
                     s.step.decided_by AS decided_by
              FROM chains c, unnest(c.steps) AS s(step)) st, unnest(st.verdicts) AS v(v)""",
}


_MEMORY_LIMIT: Optional[str] = None  # DuckDB's cap for connections made inside `query_memory`


@contextlib.contextmanager
def query_memory(limit: str) -> Iterator[None]:
    """Cap DuckDB's memory for the connections made inside (the build's accounting and card): its
    joins and aggregates spill to disk instead of growing the driver with the dataset (2.2 GB at
    500k chains uncapped, 0.46 GB at 256 MB)."""
    global _MEMORY_LIMIT
    previous, _MEMORY_LIMIT = _MEMORY_LIMIT, limit
    try:
        yield
    finally:
        _MEMORY_LIMIT = previous


def connect(out: Out, database: str = ":memory:"):
    """A DuckDB connection with the views `chains`, `steps`, `verdicts` and `quarantine` registered.

    A local build is read with DuckDB's own Parquet reader; one on S3 through Arrow datasets over
    pyarrow's S3 filesystem (DuckDB scans them with projection and filter pushdown), so no DuckDB
    extension has to be fetched."""
    import duckdb
    import pyarrow.dataset as pads

    where = place(out)
    if read_manifest(where) is None:
        raise FileNotFoundError(f"{where} is not a steplabel build (no {MANIFEST})")
    con = duckdb.connect(database)
    if _MEMORY_LIMIT is not None:
        con.execute(f"SET memory_limit = '{_MEMORY_LIMIT}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'steplabel-duckdb'}'")
    sources = {}
    for name in ("data", "quarantine"):
        files = shard_paths(where, name)
        if not files:  # an empty folder still gets a view with the right columns, from an empty Arrow table
            sources[name] = "empty_chains"
        elif isinstance(where, LocalPlace):
            pattern = str(where.root / name / "shard-*.parquet").replace("'", "''")
            sources[name] = f"read_parquet('{pattern}')"
        else:
            fs, root = where.arrow()
            con.register(f"{name}_files", pads.dataset([f"{root}/{f}" for f in files], schema=CHAINS_SCHEMA,
                                                       filesystem=fs, format="parquet"))
            sources[name] = f"{name}_files"
    con.register("empty_chains", CHAINS_SCHEMA.empty_table())
    for view, sql in VIEWS.items():
        source = sources["quarantine" if view == "quarantine" else "data"]
        con.execute(f"CREATE OR REPLACE VIEW {view} AS " + sql.format(data=source, quarantine=source))
    return con


def account(out: Out, inputs: dict[str, dict[str, int]],
            keys: Optional[pa.Table] = None) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Where every input record went. `inputs` holds, per input file, the records read and the
    chain rows made from them; this adds what the output holds (chains per status, and records
    with at least one row) and returns one message per file whose figures do not add up.

    With `keys` (chain_id, file, record of every chain this run read) an output row is credited
    to the file and record its chain was read from now, not the one it names: a finished shard
    reused from an earlier night's file still accounts for tonight's."""
    con = connect(out)
    if keys is None:
        rows = """(SELECT source.file AS file, source.row_index AS record, status FROM chains
                   UNION ALL SELECT source.file, source.row_index, status FROM quarantine)"""
    else:
        con.register("input_keys", keys.select(["chain_id", "file", "record"]))
        rows = """(SELECT coalesce(k.file, '(chains not in this input)') AS file, k.record AS record, o.status
                   FROM (SELECT chain_id, status FROM chains UNION ALL SELECT chain_id, status FROM quarantine) o
                   LEFT JOIN input_keys k USING (chain_id))"""
    table = {file: {"records": e["records"], "chains": e["chains"], "blank_lines": e.get("blank_lines", 0), "labeled": 0,
                    "filtered": 0, "quarantined": 0, "records_found": 0} for file, e in inputs.items()}
    for file, status, n in con.execute(f"SELECT file, status, count(*) FROM {rows} GROUP BY ALL").fetchall():
        table.setdefault(file or "(unknown)", {"records": 0, "chains": 0, "records_found": 0})[status] = n
    for file, n in con.execute(f"SELECT file, count(DISTINCT record) FROM {rows} GROUP BY ALL").fetchall():
        table.setdefault(file or "(unknown)", {"records": 0, "chains": 0})["records_found"] = n
    missing = []
    for file, e in sorted(table.items()):
        written = sum(n for k, n in e.items() if k not in ("records", "chains", "records_found", "blank_lines"))
        if written != e["chains"] or e["records_found"] != e["records"]:
            missing.append(f"{file}: {e['records']} records read and {e['chains']} chains made, "
                           f"{e['records_found']} records and {written} chains in the output")
    return table, missing
