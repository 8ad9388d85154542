"""Fuzz: hostile steps and answers through `check_step` and `answers_equal`, each within its deadline.

    python tests/benchmarks/bench_math_fuzz.py [--n 10000] [--deadline 0.5] [--seed 0]

Each generated case (see tests/support/hostile_math.py: huge powers of complex, negative and
fractional bases, towers, factorials of large numbers, long runs of `=` and brackets, 100 kB
steps) is passed to both checks; a call "overruns" when it takes longer than the deadline + 100 ms;
overruns are counted by call and by path (an answer escalated to the sympy worker, whose kill is the
deadline pool's, or the fast path).
The sympy pool is warmed first (its one cold start is not a per-call cost). Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.verifiers.math import answers_equal, check_step  # noqa: E402
from steplabel.verifiers.math.deadline import shared_pool  # noqa: E402
from tests.support.hostile_math import cases  # noqa: E402

SLACK = 0.1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--deadline", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    shared_pool().warm()
    times: list[float] = []
    overruns, flags, results = [], 0, {"equal": 0, "not_equal": 0, "unknown": 0}
    start = time.monotonic()
    for k, (kind, text) in enumerate(cases(args.n, args.seed)):
        calls = [("check_step", lambda: check_step(text, timeout=args.deadline))]
        calls.append(("answers_equal", lambda: answers_equal(text, "12", timeout=args.deadline)))
        for name, call in calls:
            t = time.monotonic()
            r = call()
            dt = time.monotonic() - t
            times.append(dt)
            if name == "check_step":
                flags += r.rating == -1
            else:
                results[r.result] += 1
            if dt > args.deadline + SLACK:
                via = "sympy" if name == "answers_equal" and "sympy" in r.evidence else "fast path"
                overruns.append({"case": k, "kind": kind, "call": name, "via": via, "seconds": round(dt, 3),
                                 "chars": len(text), "head": text[:80]})
    times.sort()
    report = {
        "cases": args.n, "calls": len(times), "deadline_s": args.deadline, "slack_s": SLACK,
        "overruns": len(overruns),
        "overruns_by": dict(Counter(f"{o['call']} via {o['via']}" for o in overruns)),
        "max_s": round(times[-1], 3), "p99_s": round(times[int(0.99 * (len(times) - 1))], 3),
        "median_s": round(times[len(times) // 2], 4), "step_flags": flags, "answer_results": results,
        "wall_s": round(time.monotonic() - start, 1), "loadavg": os.getloadavg(),
        "overrun_examples": overruns[:10],
    }
    json.dump(report, sys.stdout, indent=1)
    print()
    shared_pool().close()


if __name__ == "__main__":
    main()
