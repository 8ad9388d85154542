"""`math_steps` and `outcome` on prose chains with human first errors: first flags and answers found.

    python tests/benchmarks/bench_math_prose.py [--data tests/data/math_prose_heldout.jsonl] [--show N]

Each line of the set is a chain as an LLM writes a competition solution in prose: `problem`,
`steps` (a list), `label` (the human first error, -1 when the chain has none), `reference_answer`,
`stated_answer` and `answer_step` (what the chain gives as its result, and where),
`final_answer_correct`, `style` and `error_kind`. The labelers run as a build runs them (their
`label(chain)`, deadlines on the CPU clock), on the given steps, as imported chains.

First flags, per labeler (`math_steps`, `outcome`, and `merged` = priority math_steps, outcome):
a chain's first flag is the first step the labeler rates -1.
- `precision_strict`: of the first flags ProcessBench's label can judge — at or before the human
  first error, or anywhere in an error-free chain — the share that sits exactly on the human first
  error (as `eval processbench`'s `precision_strict`, over first flags only). A first flag after
  the human first error is not scored (`first_flags_after_first_error`): nobody said whether that
  step is wrong.
- `recall`: chains whose first flag sits exactly on the human first error, over erroneous chains.
- `processbench`: the benchmark's own metric with prediction = first flag (-1 when none):
  accuracy on erroneous and on error-free chains (%), F1 their harmonic mean.

Answers (outcome): `found` = chains where outcome found a final answer; `at_answer_step` = found
in the step the set names; `equal_to_stated` = the found answer is the stated one
(`answers_equal`); calls against `final_answer_correct`; `error_free_called_incorrect` = chains
with no human error whose answer outcome called wrong.

A held-out set is measured, never tuned on. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Optional

os.environ.setdefault("STEPLABEL_DEADLINE_CLOCK", "cpu")  # as in a build: deadlines count CPU time

from steplabel.pipeline.labelers.math_steps import MathStepsLabeler  # noqa: E402
from steplabel.pipeline.labelers.outcome import MathOutcomeLabeler  # noqa: E402
from steplabel.verifiers.math import answers_equal  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "math_prose_heldout.jsonl"
LABELERS = ("math_steps", "outcome")


def chain_of(row: dict[str, Any]) -> dict[str, Any]:
    """The row as an imported chain in the build's shape (the fields the labelers read)."""
    return {"problem": row["problem"], "steps": [{"index": i, "text": t} for i, t in enumerate(row["steps"])],
            "reference": {"answer": row["reference_answer"]}, "generator": {"kind": "imported"},
            "final_answer": None}


def ratings(verdicts: dict[int, dict[str, Any]], n: int) -> list[Optional[int]]:
    return [verdicts[i]["rating"] if i in verdicts else None for i in range(n)]


def first_flag(rs: list[Optional[int]]) -> Optional[int]:
    return next((i for i, r in enumerate(rs) if r == -1), None)


def flag_figures(pairs: list[tuple[int, Optional[int]]]) -> dict[str, Any]:
    """pairs: (human first error, the labeler's first flag or None) per chain."""
    erroneous = [p for p in pairs if p[0] != -1]
    error_free = [p for p in pairs if p[0] == -1]
    flagged = [p for p in pairs if p[1] is not None]
    after = [p for p in flagged if p[0] != -1 and p[1] > p[0]]
    true = [p for p in flagged if p[1] == p[0]]
    scored = len(flagged) - len(after)
    acc_err = 100 * sum(p[1] == p[0] for p in erroneous) / len(erroneous) if erroneous else None
    acc_ok = 100 * sum(p[1] is None for p in error_free) / len(error_free) if error_free else None
    f1 = 2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err is not None and acc_ok is not None and acc_err + acc_ok else None
    return {
        "first_flags": len(flagged), "first_flags_true": len(true), "first_flags_false": scored - len(true),
        "first_flags_after_first_error": len(after),
        "precision_strict": round(len(true) / scored, 4) if scored else None,
        "recall": round(len(true) / len(erroneous), 4) if erroneous else None,
        "processbench": {"acc_erroneous": _r(acc_err), "acc_error_free": _r(acc_ok), "f1": _r(f1)},
    }


def _r(x: Optional[float]) -> Optional[float]:
    return None if x is None else round(x, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--show", type=int, default=0, help="list this many false first flags and missed answers")
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    steps_labeler, outcome_labeler = MathStepsLabeler(), MathOutcomeLabeler()
    pairs: dict[str, list[tuple[int, Optional[int]]]] = {name: [] for name in (*LABELERS, "merged")}
    answers: Counter = Counter()
    by_style: dict[str, Counter] = {}
    false_flags: list[dict[str, Any]] = []
    missed: list[dict[str, Any]] = []
    t0 = time.process_time()
    for row in rows:
        chain, n, label = chain_of(row), len(row["steps"]), row["label"]
        steps_labeling, outcome_labeling = steps_labeler.label(chain), outcome_labeler.label(chain)
        own = {"math_steps": ratings(steps_labeling.verdicts, n), "outcome": ratings(outcome_labeling.verdicts, n)}
        own["merged"] = [a if a is not None else b for a, b in zip(own["math_steps"], own["outcome"])]
        for name, rs in own.items():
            pairs[name].append((label, first_flag(rs)))
        style = by_style.setdefault(row.get("style") or "?", Counter())
        style["chains"] += 1
        flag = first_flag(own["math_steps"])
        if flag is not None and (label == -1 or flag <= label):
            good = flag == label
            style["math_steps_first_flags_true" if good else "math_steps_first_flags_false"] += 1
            if not good:
                false_flags.append({"id": row["id"], "step": flag, "label": label,
                                    "evidence": steps_labeling.verdicts[flag]["evidence"][:300],
                                    "text": row["steps"][flag][:400]})
        found = outcome_labeling.final_answer
        correct = (outcome_labeling.outcome or {}).get("correct")
        truth = row.get("final_answer_correct")
        if found is None:
            missed.append({"id": row["id"], "stated_answer": row.get("stated_answer"),
                           "last_step": row["steps"][-1][-300:]})
        else:
            answers["found"] += 1
            style["answers_found"] += 1
            at = next(iter(outcome_labeling.verdicts), None)
            answers["at_answer_step"] += at is not None and at == row.get("answer_step")
            stated = row.get("stated_answer")
            answers["equal_to_stated"] += stated is not None and answers_equal(str(stated), found).result == "equal"
        answers[{True: "called_correct", False: "called_incorrect"}.get(correct, "not_called")] += 1
        answers["called_correct_but_wrong"] += correct is True and truth is False
        answers["called_incorrect_but_right"] += correct is False and truth is True
        answers["error_free_called_incorrect"] += correct is False and label == -1
    report = {
        "chains": len(rows), "erroneous": sum(r["label"] != -1 for r in rows),
        "error_free": sum(r["label"] == -1 for r in rows),
        "final_answer_correct": sum(r.get("final_answer_correct") is True for r in rows),
        "first_flags": {name: flag_figures(p) for name, p in pairs.items()},
        "answers": {k: answers[k] for k in ("found", "at_answer_step", "equal_to_stated", "called_correct",
                                             "called_incorrect", "not_called", "called_correct_but_wrong",
                                             "called_incorrect_but_right", "error_free_called_incorrect")},
        "by_style": {k: dict(v) for k, v in sorted(by_style.items())},
        "cpu_seconds": round(time.process_time() - t0, 2),
    }
    if args.show:
        report["math_steps_false_first_flags"] = false_flags[: args.show]
        report["answers_missed"] = missed[: args.show]
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
