"""Answer pairs per second per core on MATH-500 answers, ours vs Math-Verify, same run.

    python tests/benchmarks/bench_math_speed.py [--data ../shared/data/math500/test.jsonl]

For each reference: itself, a reformatted equal form (boxed, $-wrapped, spaced, \\dfrac) and a
wrong value (the reference plus one, as `(ref)+1`). CPU time of the calling process plus its
sympy workers. The same conditions on both sides: every pair is computed, none answered from a
result cache (597 of the 1,500 pairs repeat an earlier pair; Math-Verify keeps no results, so
our result cache is off in the timed loop), and parses are kept only within one reference's
three pairs (Math-Verify keeps its last 20 parses; ours are cleared at each new reference).
Imports and worker start-up happen before the timing on both sides. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from steplabel.verifiers.math import answers, answers_equal, compare
from steplabel.verifiers.math.deadline import shared_pool

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "data" / "math500" / "test.jsonl"


def reformat(ref: str) -> str:
    s = ref.replace("\\frac", "\\dfrac").replace(",", ", ")
    return f"\\boxed{{ {s} }}"


def wrong(ref: str) -> str:
    return f"{ref} + 1" if ref.strip().lstrip("-").replace(".", "").isdigit() else f"({ref})+1"


def pairs_for(refs: list[str]) -> list[tuple[str, str]]:
    out = []
    for r in refs:
        out += [(r, r), (r, reformat(r)), (r, wrong(r))]
    return out


class NoCache:
    """Stands in for our result cache in the timed loop: nothing is kept, nothing is found."""

    def get(self, key: object) -> None:
        return None

    def put(self, key: object, value: object) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    args = ap.parse_args()
    refs = [json.loads(line)["answer"] for line in args.data.read_text().splitlines() if line.strip()]
    pairs = pairs_for(refs)
    from math_verify import parse, verify  # imported here: its import is not charged to its time

    shared_pool().warm()
    answers._cache = NoCache()
    # ours: CPU of this process + worker processes (workers are measured via /proc when alive)
    pool_pids = [w.proc.pid for w in list(shared_pool()._idle.queue)]

    def worker_cpu() -> float:
        total = 0.0
        for pid in pool_pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    results = {}
    c0, w0, wall0 = time.process_time(), worker_cpu(), time.perf_counter()
    for k, (r, c) in enumerate(pairs):
        if k % 3 == 0:  # a new reference: nothing parsed for an earlier one is kept
            compare.parse_cached.cache_clear()
            compare._translate.cache_clear()
        results[(r, c)] = answers_equal(r, c, timeout=5.0).result
    ours_cpu = time.process_time() - c0 + worker_cpu() - w0
    ours_wall = time.perf_counter() - wall0

    mv = {}
    c0, wall0 = time.process_time(), time.perf_counter()
    for r, c in pairs:
        try:
            mv[(r, c)] = "equal" if verify(parse(f"${r}$"), parse(f"${c}$")) else "not_equal"
        except Exception as e:  # counted, not fatal
            mv[(r, c)] = f"error: {type(e).__name__}"
    mv_cpu = time.process_time() - c0
    mv_wall = time.perf_counter() - wall0

    def tally(res: dict) -> dict:
        kinds = ["self", "reformatted", "wrong"]
        out = {}
        for k, kind in enumerate(kinds):
            sel = [res[p] for p in pairs[k::3]]
            want = "not_equal" if kind == "wrong" else "equal"
            out[kind] = {"as_expected": sum(x == want for x in sel), "unknown_or_error": sum(x not in ("equal", "not_equal") for x in sel)}
        return out

    n = len(pairs)
    report = {
        "pairs": n,
        "ours": {"cpu_s": round(ours_cpu, 3), "wall_s": round(ours_wall, 3), "pairs_per_cpu_s": round(n / ours_cpu, 1), "outcomes": tally(results)},
        "math_verify": {"cpu_s": round(mv_cpu, 3), "wall_s": round(mv_wall, 3), "pairs_per_cpu_s": round(n / mv_cpu, 1), "outcomes": tally(mv)},
    }
    report["speedup_per_core"] = round(report["ours"]["pairs_per_cpu_s"] / report["math_verify"]["pairs_per_cpu_s"], 1)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
