"""Step checker on our dev set of olympiad-style steps: precision of -1 flags and errors found.

    python tests/benchmarks/bench_math_steps_dev.py [--data tests/data/math_steps_dev.jsonl] [--show N]

`tests/data/math_steps_dev.jsonl` was written by hand (trial values, case analysis, inequalities,
approximations, sums, modular arithmetic, nested fractions, function notation), each step with
its PRM800K-style label (-1: the step is wrong, 1: it is right). It was written as a held-out set,
but fixes and unit tests were later made from its items: it is a dev set now, and its figures
show regressions, not how the checker does on text it has not seen. Held-out figures come only
from sets never tuned on (`bench_math_prose.py`). Other step sets in this shape (such as
`tests/data/math_steps_heldout2.jsonl`, run once as held-out when it was written) go in `--data`.
A flag on a step labelled 1 is a false flag. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from steplabel.verifiers.math import check_step

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "math_steps_dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--show", type=int, default=0, help="print this many false flags and missed errors")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    true_flags, false_flags, missed = [], [], []
    found_by_kind: Counter = Counter()
    errors_by_kind: Counter = Counter()
    t0 = time.process_time()
    for row in rows:
        r = check_step(row["text"], context=row.get("context", ""))
        if row["label"] == -1:
            errors_by_kind[row["kind"]] += 1
        if r.rating == -1:
            item = {"id": row["id"], "text": row["text"], "evidence": r.evidence}
            (true_flags if row["label"] == -1 else false_flags).append(item)
            found_by_kind[row["kind"]] += row["label"] == -1
        elif row["label"] == -1:
            missed.append({"id": row["id"], "text": row["text"], "evidence": r.evidence})
    flags = len(true_flags) + len(false_flags)
    report = {
        "set": args.data.name,
        "steps": len(rows), "erroneous_steps": sum(errors_by_kind.values()),
        "flags": flags, "flags_true": len(true_flags), "flags_false": len(false_flags),
        "precision": round(len(true_flags) / flags, 4) if flags else None,
        "errors_found": len(true_flags),
        "found_by_kind": {k: f"{found_by_kind[k]}/{n}" for k, n in sorted(errors_by_kind.items())},
        "cpu_seconds": round(time.process_time() - t0, 3),
    }
    if args.show:
        report["false_flags"] = false_flags[: args.show]
        report["missed"] = missed[: args.show]
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
