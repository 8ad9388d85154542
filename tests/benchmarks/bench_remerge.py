"""`remerge` at scale: a new merge section over a finished build, wall time, and proof that no
labeler ran (no Ray started in this process, every stored verdict unchanged).

Make the source build first (about 100,000 chains), then re-merge it:

    python tests/benchmarks/bench_build_scale.py --chains 100000 --out /tmp/bench-100k
    python tests/benchmarks/bench_remerge.py /tmp/bench-100k [--workers 2]

The new merge section turns `stop_at_first_error` off and `own_rollout` on (whatever the source had
is flipped), so the ratings really change.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from steplabel.pipeline.config import BuildConfig
from steplabel.pipeline.remerge import remerge
from steplabel.pipeline.store import connect, read_manifest

VERDICTS = "SELECT count(*), sum(hash(chain_id, step_index, labeler, rating, evidence, cost_ms)) FROM verdicts"
RATINGS = "SELECT count(*) FILTER (rating IS NOT NULL), count(*) FILTER (decided_by = 'own_rollout') FROM steps"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path, help="a finished build (e.g. from bench_build_scale.py)")
    parser.add_argument("--to", type=Path, default=None, help="the new build (default: a temp folder)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    manifest = read_manifest(args.source)
    if manifest is None or manifest.get("status") != "done":
        raise SystemExit(f"{args.source} is not a finished build")
    stored = BuildConfig.model_validate(manifest["config"])
    merge = stored.merge.model_copy(update={"stop_at_first_error": not stored.merge.stop_at_first_error,
                                            "own_rollout": not stored.merge.own_rollout})
    config = stored.model_copy(update={"merge": merge})
    to = args.to or Path(tempfile.mkdtemp(prefix="steplabel-remerge-")) / "out"

    start = time.perf_counter()
    result = remerge(args.source, config, to, workers=args.workers)
    seconds = time.perf_counter() - start

    before, after = connect(args.source), connect(to)
    print(json.dumps({
        "chains": result.rows, "shards": result.shards, "workers": args.workers or os.cpu_count(),
        "remerge_seconds": round(seconds, 1), "chains_per_second": round(result.rows / seconds, 1),
        "ray_started": "ray" in sys.modules and sys.modules["ray"].is_initialized(),
        "verdicts_unchanged": before.execute(VERDICTS).fetchall() == after.execute(VERDICTS).fetchall(),
        "rated_steps_before_after": [before.execute(RATINGS).fetchall()[0], after.execute(RATINGS).fetchall()[0]],
        "status": result.manifest["status"], "remerged_from": result.manifest["build"]["remerged_from"]["build_id"],
        "cores": os.cpu_count(), "load_average_after": os.getloadavg(), "out": str(to),
    }, indent=2, default=list))


if __name__ == "__main__":
    main()
