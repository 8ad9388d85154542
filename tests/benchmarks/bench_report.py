"""The HTML report stays small on a large build: a synthetic build of N chains (8 steps each, every
third chain flagged, every fifth with two labelers disagreeing, 1 % filtered) written straight to
Parquet, then `write_report` with the default cap. Prints JSON (size, seconds, chains shown).

    python tests/benchmarks/bench_report.py [--chains 20000]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.report import CAP, write_report  # noqa: E402
from tests.support.builds import chain_of, step, write_build  # noqa: E402


def synthetic(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        steps = []
        for k in range(8):
            bad = i % 3 == 0 and k == 5
            verdicts = [("math_steps", -1 if bad else None, "claim false: 18 - 6 = 13" if bad else "no claim"),
                        ("outcome", -1 if bad else 1, "final answer checked " * 5)]
            if i % 5 == 0 and k == 2:
                verdicts.append(("judge", 0, "the step restates the problem " * 3))
            steps.append(step(k, f"Step {k}: " + "some reasoning text " * 12, -1 if bad else 1, *verdicts))
        rows.append(chain_of(f"c{i:06d}", steps, status="filtered" if i % 100 == 0 else "labeled",
                          status_reason="labelers disagree" if i % 100 == 0 else ""))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chains", type=int, default=20_000)
    n = ap.parse_args().chains
    with tempfile.TemporaryDirectory() as tmp:
        out = write_build(Path(tmp) / "big", synthetic(n), shard_size=2000)
        started = time.perf_counter()
        page = write_report(out)
        seconds = time.perf_counter() - started
        text = page.read_text()
        print(json.dumps({"chains": n, "cap_per_subset": CAP, "seconds": round(seconds, 2),
                          "report_bytes": page.stat().st_size,
                          "chains_shown": len(re.findall(r'<details class="chain"', text)),
                          "subsets": re.findall(r"<li><b>(\w+)</b> \([^)]*\): (\d+) shown of (\d+)", text)}))


if __name__ == "__main__":
    main()
