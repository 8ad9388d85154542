"""`eval processbench`'s ProcessBench figures against the benchmark's own scoring code, same predictions.

    git -C <ProcessBench clone or mirror> show HEAD:code/run_eval_prm_rlhflow.py > /tmp/pb_scorer.py
    python tests/benchmarks/processbench_scorer_check.py OUT --scorer /tmp/pb_scorer.py

For every (subset, labeler) `eval processbench` reports on the build in OUT, the predictions (first
step rated -1, or -1) and the human first errors are fed to the scoring block of ProcessBench's
`run_eval_prm_rlhflow.py` — its own lines, cut from the file between `res_data = []` and the
`print` of the figures, run unchanged (numpy, its `match`, `acc1`, `acc2`, `f1`, its output files
written into a temporary folder). Our `pb_acc_erroneous`, `pb_acc_error_free` and `pb_f1` must
equal its `acc1`, `acc2` and `f1`; its printed line is shown beside ours. Exit 1 on any
difference. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Optional

from steplabel.pipeline.evaluate import processbench_chains, processbench_prediction, processbench_report

START, END = "res_data = []", "print(f'{config} error acc"


def scoring_block(path: Path) -> str:
    """The benchmark's scoring lines, dedented, as they stand in its file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == START)
    end = next(i for i, line in enumerate(lines) if line.strip().startswith(END) and i > start)
    return textwrap.dedent("\n".join(lines[start : end + 1]))


def run_block(block: str, predictions: list[int], labels: list[int], config: str) -> dict[str, Any]:
    import numpy as np

    space: dict[str, Any] = {"np": np, "json": json, "os": os, "config": config, "predictions": predictions,
                             "input_data": [{"label": t} for t in labels]}
    printed = io.StringIO()
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            for line in block.splitlines():  # the folders its open() calls write into
                if "open(f'" in line:
                    folder = line.split("open(f'", 1)[1].split("'", 1)[0].rsplit("/", 1)[0]
                    Path(folder).mkdir(parents=True, exist_ok=True)
            with contextlib.redirect_stdout(printed), np.errstate(all="ignore"):
                exec(compile(block, "run_eval_prm_rlhflow.py", "exec"), space)  # noqa: S102 - the reference's own code
        finally:
            os.chdir(here)
    return {"acc1": float(space["acc1"]), "acc2": float(space["acc2"]), "f1": float(space["f1"]),
            "printed": printed.getvalue().strip()}


def same(ours: Optional[float], theirs: float) -> bool:
    if ours is None:
        return math.isnan(theirs)  # numpy's mean of nothing, or 0/0
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--scorer", type=Path, required=True, help="ProcessBench's code/run_eval_prm_rlhflow.py")
    args = ap.parse_args()
    block = scoring_block(args.scorer)
    groups = processbench_chains(args.out)
    rows, failures = [], 0
    for r in processbench_report(args.out):
        chains = groups[(r["subset"], r["labeler"])]
        theirs = run_block(block, [processbench_prediction(c[2]) for c in chains], [c[0] for c in chains], r["subset"])
        ok = (same(r["pb_acc_erroneous"], theirs["acc1"]) and same(r["pb_acc_error_free"], theirs["acc2"])
              and same(r["pb_f1"], theirs["f1"]))
        failures += not ok
        ours = {k: None if r[k] is None else round(r[k], 6) for k in ("pb_acc_erroneous", "pb_acc_error_free", "pb_f1")}
        rows.append({"subset": r["subset"], "labeler": r["labeler"], "chains": len(chains), "ours": ours,
                     "processbench": {k: round(v, 6) if isinstance(v, float) else v for k, v in theirs.items()},
                     "equal": ok})
    json.dump({"scorer": str(args.scorer), "groups": rows, "all_equal": failures == 0}, sys.stdout, indent=1)
    print()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
