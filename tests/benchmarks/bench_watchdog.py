"""What the per-row watchdog costs, and what the CPU clock buys.

1. Overhead: the deterministic math labelers (outcome + math_steps) over ProcessBench chains,
   in-process (what a stage did before the watchdog) and in a watched child process (what a build
   does now), alternated over a few rounds after one warm-up batch each; per-row overhead =
   difference of the medians (and of the best rounds) / rows. No Ray: the stage itself is what is
   measured.
2. Load: gsm8k #931's pair ("10+John's age" vs 50 needs sympy, whose first call in a fresh
   worker costs ~1 s of CPU) checked in fresh pools with the wall clock and with the CPU clock,
   beside --hogs spinning processes: how often each clock answers "unknown".

    python tests/benchmarks/bench_watchdog.py [--data ../shared/data/processbench/gsm8k.json]
        [--rows 400] [--rounds 3] [--hogs 3] [--trials 6]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from steplabel.pipeline.config import InputConfig
from steplabel.pipeline.labelers.math_steps import MathStepsLabeler
from steplabel.pipeline.labelers.outcome import MathOutcomeLabeler
from steplabel.pipeline.segment import SegmentStage
from steplabel.pipeline.sources import iter_chains
from steplabel.pipeline.stages import LabelStage, label_stage
from steplabel.verifiers.math.deadline import DeadlinePool

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "processbench" / "gsm8k.json"
BATCH = 64


def _rows(path: Path, limit: int) -> list[dict]:
    rows = list(iter_chains(InputConfig(kind="processbench", path=str(path), limit=limit)))
    return SegmentStage("blank_line")(rows)


def _label(stage: LabelStage, rows: list[dict]) -> float:
    fresh = [json.loads(json.dumps(r)) for r in rows]  # labelers append verdicts: start clean each round
    t = time.perf_counter()
    for i in range(0, len(fresh), BATCH):
        stage(fresh[i:i + BATCH])
    return time.perf_counter() - t


def overhead(rows: list[dict], rounds: int) -> dict:
    classes = [MathOutcomeLabeler, MathStepsLabeler]
    inproc = LabelStage(*(cls(None) for cls in classes))
    hosted = label_stage([(cls, {}, None) for cls in classes])
    try:
        _label(inproc, rows[:BATCH])  # warm-up: sympy workers, caches of the first call
        _label(hosted, rows[:BATCH])
        times: dict[str, list[float]] = {"in_process": [], "watched": []}
        for _ in range(rounds):
            times["in_process"].append(_label(inproc, rows))
            times["watched"].append(_label(hosted, rows))
    finally:
        inproc.close()
        hosted.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    return {
        "rows": len(rows), "rounds": rounds, "seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "median_ms_per_row": {k: round(1000 * v / len(rows), 3) for k, v in med.items()},
        "overhead_ms_per_row": round(1000 * (med["watched"] - med["in_process"]) / len(rows), 3),
        "overhead_ms_per_row_best_rounds": round(1000 * (best["watched"] - best["in_process"]) / len(rows), 3),
        "ratio_watched_to_in_process": round(med["watched"] / med["in_process"], 3),
    }


def load(hogs: int, trials: int) -> dict:
    """The first sympy call of a fresh worker, beside `hogs` spinning processes, per clock."""
    out = {}
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(hogs)]
    try:
        for clock in ("wall", "cpu"):
            answers, seconds = [], []
            for _ in range(trials):
                pool = DeadlinePool(size=1, clock=clock)
                try:
                    pool.warm()
                    t = time.perf_counter()
                    r = pool.run("steplabel.verifiers.math.symbolic:compare_in_worker", ("50", "10+John's age", 2.0),
                                 2.0)
                    seconds.append(round(time.perf_counter() - t, 2))
                    answers.append(r.value[0] if r.ok else ("unknown (deadline)" if r.timed_out else "unknown"))
                finally:
                    pool.close()
            out[clock] = {"answers": answers, "seconds": seconds}
    finally:
        for s in spinners:
            s.kill()
            s.wait()
    return {"hogs": hogs, "trials": trials, "deadline_s": 2.0, **out}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA, help="ProcessBench gsm8k.json (or math.json)")
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--hogs", type=int, default=3)
    ap.add_argument("--trials", type=int, default=6)
    args = ap.parse_args()
    if not args.data.exists():
        raise SystemExit(f"reference data not found at {args.data}")
    result = {"load_average_before": os.getloadavg(), "cores": os.cpu_count(),
              "overhead": overhead(_rows(args.data, args.rows), args.rounds)}
    if args.hogs > 0 and args.trials > 0:
        result["load"] = load(args.hogs, args.trials)
    result["load_average_after"] = os.getloadavg()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
