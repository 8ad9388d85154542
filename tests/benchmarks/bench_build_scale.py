"""Import-and-label build at scale: chains per second on this machine, and DuckDB query times.

Replicates GSM8K's example model solutions (../shared/data) to about 100,000 chains, labels them
with the deterministic labelers of the sample config, then times two queries over the result.

    python tests/benchmarks/bench_build_scale.py [--chains 100000] [--labelers outcome,math_steps] \
        [--data ../shared/data/gsm8k/example_model_solutions.jsonl]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import tempfile
import time
from pathlib import Path

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.store import connect

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"
QUERIES = {
    "label_histogram": "SELECT rating, count(*) FROM steps GROUP BY rating ORDER BY rating",
    "first_error_per_chain": """
        SELECT chain_id, min(step_index) FILTER (rating = -1) AS first_error
        FROM steps GROUP BY chain_id ORDER BY first_error NULLS LAST LIMIT 10""",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chains", type=int, default=100_000)
    parser.add_argument("--labelers", default="outcome,math_steps")
    parser.add_argument("--shard-size", type=int, default=5000)
    parser.add_argument("--pool-size", type=int, default=2, help="actors per labeler pool")
    parser.add_argument("--out", default=None)
    parser.add_argument("--data", type=Path, default=DATA, help="GSM8K's example_model_solutions.jsonl")
    args = parser.parse_args()
    if not args.data.exists():
        raise SystemExit(f"reference data not found at {args.data}")
    per_copy = 4 * sum(1 for _ in args.data.open())
    names = [n for n in args.labelers.split(",") if n]
    config = BuildConfig(
        name="bench-scale",
        input=InputConfig(kind="gsm8k_solutions", path=str(args.data), repeat=math.ceil(args.chains / per_copy)),
        labelers=[LabelerConfig(name=n, pool_size=args.pool_size) for n in names],
        merge=MergeConfig(order=names),
        run=RunConfig(out=args.out or tempfile.mkdtemp(prefix="steplabel-bench-"), shard_size=args.shard_size,
                      batch_size=256),
    )
    start = time.perf_counter()
    result = run_build(config, progress=lambda m: print(f"# {time.perf_counter() - start:7.1f}s {m}", flush=True))
    seconds = time.perf_counter() - start
    driver_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before this script's own queries
    load = os.getloadavg()
    con = connect(result.out)
    n_chains, n_steps = con.execute("SELECT count(*), sum(len(steps)) FROM chains").fetchall()[0]
    timings = {}
    for name, sql in QUERIES.items():
        con.execute(sql).fetchall()  # warm the file metadata once, as an interactive user would have
        best = min(_timed(con, sql) for _ in range(3))
        timings[name] = round(best, 4)
    print(json.dumps({
        "chains": n_chains, "steps": int(n_steps), "labelers": names, "pool_size": args.pool_size,
        "cores": os.cpu_count(), "load_average_at_build_end": load,
        "build_seconds_including_ray_start": round(seconds, 1),
        # the build's driver alone (Ray's workers are other processes), measured before the queries below
        "driver_peak_rss_mb": round(driver_peak, 1),
        "chains_per_second": round(n_chains / seconds, 1),
        "steps_per_second": round(n_steps / seconds, 1),
        "duckdb_seconds": timings, "out": str(result.out),
    }, indent=2))


def _timed(con, sql: str) -> float:
    t = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
