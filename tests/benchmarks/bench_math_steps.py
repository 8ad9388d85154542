"""Step checker on ProcessBench (gsm8k + math): precision of -1 flags, exact first errors, speed.

    python tests/benchmarks/bench_math_steps.py [--data ../shared/data/processbench] [--show-false N]

A flag before the human first error, or anywhere in a chain humans found error-free, is false; a
flag on the first-error step is true; flags after it are reported but not scored (unknowable):
that is `precision_strict` (= `precision`). `precision_lenient` counts the flags after the first
error as true, as the issue's "97.9 %" did.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from steplabel.verifiers.math import check_step

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "data" / "processbench"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--show-false", type=int, default=0)
    args = ap.parse_args()
    report: dict = {}
    false_examples = []
    for name in ("gsm8k", "math"):
        rows = json.loads((args.data / f"{name}.json").read_text())
        true_flags = false_flags = after_flags = steps = exact_first = chains_with_error = 0
        t0 = time.process_time()
        for row in rows:
            label = row["label"]
            chains_with_error += label != -1
            first_flag = None
            for i, step in enumerate(row["steps"]):
                steps += 1
                r = check_step(step, context=row["problem"])
                if r.rating != -1:
                    continue
                if first_flag is None:
                    first_flag = i
                if label == -1 or i < label:
                    false_flags += 1
                    false_examples.append({"id": row["id"], "step": i, "label": label, "evidence": r.evidence, "text": step[:300]})
                elif i == label:
                    true_flags += 1
                else:
                    after_flags += 1
            exact_first += label != -1 and first_flag == label
        cpu = time.process_time() - t0
        scored = true_flags + false_flags
        report[name] = {
            "chains": len(rows), "steps": steps, "flags_true": true_flags, "flags_false": false_flags,
            "flags_after_first_error": after_flags,
            "precision": round(true_flags / scored, 4) if scored else None,
            "first_errors_found_exactly": exact_first, "chains_with_error": chains_with_error,
            "steps_per_cpu_second": round(steps / cpu, 1),
        }
    tot = {k: sum(report[n][k] for n in report) for k in ("steps", "flags_true", "flags_false", "flags_after_first_error",
                                                        "first_errors_found_exactly", "chains_with_error")}
    scored = tot["flags_true"] + tot["flags_false"]
    tot["precision"] = tot["precision_strict"] = round(tot["flags_true"] / scored, 4) if scored else None
    everything = scored + tot["flags_after_first_error"]  # lenient: flags after the first error count as true
    tot["precision_lenient"] = round((tot["flags_true"] + tot["flags_after_first_error"]) / everything, 4) if everything else None
    report["total"] = tot
    if args.show_false:
        report["false_flag_examples"] = false_examples[: args.show_false]
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
