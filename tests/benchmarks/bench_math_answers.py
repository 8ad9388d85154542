"""Answer equivalence on our hand-written pair set: our accuracy vs Math-Verify's, same run.

    python tests/benchmarks/bench_math_answers.py [--pairs tests/data/math_answer_pairs.jsonl] [--show-wrong]

Each pair has a reference, a candidate, the expected verdict and why. "unknown" counts as wrong
for both checkers. Math-Verify is the test-only reference (`pip install math-verify`); it is run
single-threaded in the main thread, where its signal-based timeout works. Times are each side's
comparisons only: Math-Verify's import and our sympy workers' start-up happen before the loop.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from steplabel.verifiers.math import answers_equal
from steplabel.verifiers.math.deadline import shared_pool

PAIRS = Path(__file__).resolve().parents[1] / "data" / "math_answer_pairs.jsonl"


def math_verify_equal(reference: str, candidate: str) -> str:
    from math_verify import parse, verify  # imported before the timed loop (main)

    try:
        gold = parse(f"${reference}$")
        pred = parse(f"${candidate}$")
        return "equal" if verify(gold, pred) else "not_equal"
    except Exception as e:  # math-verify raising is a wrong answer, not a crash of the benchmark
        return f"error: {type(e).__name__}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=Path, default=PAIRS)
    ap.add_argument("--show-wrong", action="store_true")
    args = ap.parse_args()
    pairs = [json.loads(line) for line in args.pairs.read_text().splitlines() if line.strip()]
    import math_verify  # noqa: F401 - its import (sympy, latex2sympy) is not part of its time

    shared_pool().warm()  # nor is our workers' start-up part of ours
    ours_ok = mv_ok = 0
    wrong_ours, wrong_mv = [], []
    by_cat: dict[str, list[int]] = {}
    t_ours = t_mv = 0.0
    for p in pairs:
        t = time.perf_counter()
        r = answers_equal(p["reference"], p["candidate"], timeout=5.0)
        t_ours += time.perf_counter() - t
        t = time.perf_counter()
        m = math_verify_equal(p["reference"], p["candidate"])
        t_mv += time.perf_counter() - t
        ok, mok = r.result == p["expected"], m == p["expected"]
        ours_ok += ok
        mv_ok += mok
        c = by_cat.setdefault(p["category"], [0, 0, 0])
        c[0] += 1
        c[1] += ok
        c[2] += mok
        if not ok:
            wrong_ours.append({**p, "got": r.result, "evidence": r.evidence})
        if not mok:
            wrong_mv.append({"id": p["id"], "reference": p["reference"], "candidate": p["candidate"],
                             "expected": p["expected"], "math_verify": m})
    n = len(pairs)
    report = {
        "pairs": n,
        "ours": {"correct": ours_ok, "accuracy": round(ours_ok / n, 4), "seconds": round(t_ours, 3)},
        "math_verify": {"correct": mv_ok, "accuracy": round(mv_ok / n, 4), "seconds": round(t_mv, 3)},
        "by_category": {k: {"pairs": v[0], "ours": v[1], "math_verify": v[2]} for k, v in by_cat.items()},
        "ours_wrong": wrong_ours,
    }
    if args.show_wrong:
        report["math_verify_wrong"] = wrong_mv
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
