"""The build directory: shard files written atomically, the manifest, and DuckDB views.

    OUT/manifest.json   build id, resolved config and hash, versions, per-shard status and counts
    OUT/data/           chains that were labeled or filtered, one Parquet file per shard
    OUT/quarantine/     chains that could not be processed, same schema, reason in status_reason
    OUT/cache/          LLM request cache
    OUT/README.md       the dataset card

A shard file is written to a temporary name and renamed, so it is whole or absent; the manifest
is updated the same way after each shard, so a killed build resumes at the first missing shard.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .atomic import atomic_path, write_atomic
from .schema import CHAINS_SCHEMA

MANIFEST = "manifest.json"


def shard_name(shard: int) -> str:
    return f"shard-{shard:05d}.parquet"


def _write_parquet_atomic(table: pa.Table, path: Path) -> None:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def write_shard(out: Path, shard: int, table: pa.Table) -> dict[str, int]:
    """Write one shard's rows (kept ones to data/, quarantined ones to quarantine/); return counts."""
    table = table.cast(CHAINS_SCHEMA).sort_by("chain_id")
    bad = pc.equal(table["status"], "quarantined")
    kept, quarantined = table.filter(pc.invert(bad)), table.filter(bad)
    # quarantine first: the data file's appearance is what marks a shard as written. A rewritten
    # shard replaces its quarantine file too (or removes it), so no chain is counted twice
    if quarantined.num_rows:
        _write_parquet_atomic(quarantined, out / "quarantine" / shard_name(shard))
    else:
        (out / "quarantine" / shard_name(shard)).unlink(missing_ok=True)
    _write_parquet_atomic(kept, out / "data" / shard_name(shard))
    counts = pc.value_counts(table["status"]).to_pylist()
    return {"rows": table.num_rows, **{c["values"]: c["counts"] for c in counts}}


def remove_unlisted(out: Path, owned: set[Path]) -> list[Path]:
    """Shard files no finished shard of the manifest owns (a killed run wrote them before the manifest
    said so, or a retired shard's): readers glob data/, so they go before anything is built."""
    stray = [f for folder in ("data", "quarantine") for f in sorted((Path(out) / folder).glob("shard-*.parquet"))
             if f not in owned]
    for f in stray:
        f.unlink()
    return stray


def read_manifest(out: Path) -> Optional[dict[str, Any]]:
    path = Path(out) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_atomic(Path(out) / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))


def read_chains(out: str | Path, quarantine: bool = False) -> pa.Table:
    """The build's chains table (or its quarantined rows) as one Arrow table."""
    folder = Path(out) / ("quarantine" if quarantine else "data")
    files = sorted(folder.glob("shard-*.parquet"))
    if not files:
        return CHAINS_SCHEMA.empty_table()
    return pa.concat_tables(pq.read_table(f, schema=CHAINS_SCHEMA) for f in files)


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


def connect(out: str | Path, database: str = ":memory:"):
    """A DuckDB connection with the views `chains`, `steps`, `verdicts` and `quarantine` registered."""
    import duckdb

    out = Path(out)
    if read_manifest(out) is None:
        raise FileNotFoundError(f"{out} is not a steplabel build (no {MANIFEST})")
    con = duckdb.connect(database)
    sources = {}
    for name in ("data", "quarantine"):
        has_files = any((out / name).glob("shard-*.parquet"))
        pattern = str(out / name / "shard-*.parquet").replace("'", "''")
        # an empty folder still gets a view with the right columns, from an empty Arrow table
        sources[name] = f"read_parquet('{pattern}')" if has_files else "empty_chains"
    con.register("empty_chains", CHAINS_SCHEMA.empty_table())
    for view, sql in VIEWS.items():
        source = sources["quarantine" if view == "quarantine" else "data"]
        con.execute(f"CREATE OR REPLACE VIEW {view} AS " + sql.format(data=source, quarantine=source))
    return con


def account(out: str | Path, inputs: dict[str, dict[str, int]]) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Where every input record went. `inputs` holds, per input file, the records read and the
    chain rows made from them; this adds what the output holds (chains per status, and records
    with at least one row) and returns one message per file whose figures do not add up."""
    con = connect(out)
    rows = """(SELECT source.file AS file, source.row_index AS record, status FROM chains
               UNION ALL SELECT source.file, source.row_index, status FROM quarantine)"""
    table = {file: {"records": e["records"], "chains": e["chains"], "labeled": 0, "filtered": 0, "quarantined": 0,
                    "records_found": 0} for file, e in inputs.items()}
    for file, status, n in con.execute(f"SELECT file, status, count(*) FROM {rows} GROUP BY ALL").fetchall():
        table.setdefault(file or "(unknown)", {"records": 0, "chains": 0, "records_found": 0})[status] = n
    for file, n in con.execute(f"SELECT file, count(DISTINCT record) FROM {rows} GROUP BY ALL").fetchall():
        table.setdefault(file or "(unknown)", {"records": 0, "chains": 0})["records_found"] = n
    missing = []
    for file, e in sorted(table.items()):
        written = sum(n for k, n in e.items() if k not in ("records", "chains", "records_found"))
        if written != e["chains"] or e["records_found"] != e["records"]:
            missing.append(f"{file}: {e['records']} records read and {e['chains']} chains made, "
                           f"{e['records_found']} records and {written} chains in the output")
    return table, missing
