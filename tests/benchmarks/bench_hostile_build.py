"""A build over hostile math: every row comes out, whatever the steps hold.

The generated hostile steps of tests/support/hostile_math.py (huge powers of complex, negative and
fractional bases, towers, factorials, long runs of `=` and brackets, 100 kB steps), four to a
chain, the last also boxed as the chain's answer, labeled by outcome + math_steps through Ray with
the per-row watchdog. Prints rows in and out, how many abstained on a deadline, and the wall time.

    python tests/benchmarks/bench_hostile_build.py [--n 10000] [--per-chain 4] [--row-timeout 60]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.build import run_build  # noqa: E402
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig  # noqa: E402
from steplabel.pipeline.store import connect  # noqa: E402
from tests.support.hostile_math import cases  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000, help="hostile steps")
    ap.add_argument("--per-chain", type=int, default=4)
    ap.add_argument("--row-timeout", type=float, default=None, help="CPU seconds per row (default: the labelers')")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="steplabel-hostile-"))
    texts = [text for _, text in cases(args.n, args.seed)]
    with (work / "hostile.jsonl").open("w") as f:
        for c in range(0, len(texts), args.per_chain):
            steps = [t.replace("\n\n", "\n") or "(empty)" for t in texts[c:c + args.per_chain]]
            steps[-1] += f"\nThe answer is $\\boxed{{{steps[-1][:500]}}}$."
            f.write(json.dumps({"problem_id": f"h{c}", "problem": "Compute.", "reference": {"answer": "12"},
                                "chains": [{"text": "\n\n".join(steps)}]}) + "\n")
    chains_in = -(-len(texts) // args.per_chain)
    names = ["outcome", "math_steps"]
    config = BuildConfig(
        name="bench-hostile", input=InputConfig(kind="files", path=str(work / "hostile.jsonl")),
        labelers=[LabelerConfig(name=n, row_timeout=args.row_timeout) for n in names],
        merge=MergeConfig(order=names), run=RunConfig(out=str(work / "out"), shard_size=500, batch_size=64))
    start = time.perf_counter()
    result = run_build(config, progress=lambda m: print(f"# {time.perf_counter() - start:7.1f}s {m}", flush=True))
    seconds = time.perf_counter() - start
    con = connect(result.out)
    rows, quarantined = con.execute("SELECT count(*), count(*) FILTER (status = 'quarantined') FROM chains").fetchall()[0]
    deadline = dict(con.execute("""SELECT labeler, count(*) FROM verdicts WHERE evidence LIKE 'deadline:%'
                                   OR evidence LIKE 'died:%' GROUP BY 1""").fetchall())
    slowest = con.execute("SELECT labeler, max(cost_ms) FROM verdicts GROUP BY 1").fetchall()
    print(json.dumps({
        "hostile_steps": len(texts), "chains_in": chains_in, "chains_out": rows, "quarantined": quarantined,
        "status": result.manifest["status"], "row_abstains_deadline_or_died": deadline,
        "slowest_verdict_ms": {k: round(v or 0, 1) for k, v in slowest}, "build_seconds": round(seconds, 1),
        "load_average_after": os.getloadavg(), "cores": os.cpu_count(), "out": str(result.out),
    }, indent=2))


if __name__ == "__main__":
    main()
