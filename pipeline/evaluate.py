"""Label quality measured against human labels and between labelers, with DuckDB over a build.

ProcessBench's own metric (`processbench_metric`, the figures published for PRMs and LLM critics):
a chain's prediction is the first step rated -1, or -1 when none is; the accuracy on erroneous
chains (prediction == human first error) and on error-free chains (prediction == -1), in percent
over every chain, and F1 their harmonic mean — as the benchmark's `run_eval*.py` compute them.
Beside it, first-flag precision (of the predictions at or before the human first error, or in an
error-free chain, the share exactly on it; a first flag after the human first error is not scored)
and recall (predictions exactly on the human first error, over erroneous chains).

Determined-only scoring: a labeler's first error follows `first_error.py` — the first step it rates
-1, or -1 when it rates every step and flags none, and only when every earlier step is rated; the
human first error is read the same way from the `human` verdicts (chains without a known one are
not scored). Accuracy on erroneous chains (prediction == human first error) and on error-free
chains (prediction == -1) is taken over the chains where the labeler's first error is determined;
F1 is their harmonic mean, and `coverage` is the share of chains where it is determined.
Precision of -1 flags, two ways, each named: `precision_strict` scores only the flags ProcessBench
says something about — at or before the human first error, or anywhere in an error-free chain —
and counts a flag true only on the first-error step itself; `precision_lenient` also counts every
flag after the human first error as true (ProcessBench says nothing about those steps, so this
flatters a labeler). `flags_after_first_error` says how many flags only the lenient one scores.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from .first_error import first_error, first_flag
from .store import connect

MERGED = "merged"
NOT_SCORED = ("human", "source_outcome")  # labels that came with the input

# one row per (chain with human labels, labeler): the labeler's rating of each step in order (its
# first non-abstaining verdict, null where it abstained); 'merged' is the final ratings
_PER_CHAIN = """
WITH own AS (
    SELECT chain_id, step_index, labeler, rating FROM verdicts WHERE labeler <> 'source_outcome'
    UNION ALL
    SELECT chain_id, step_index, 'merged', rating FROM steps
), one AS (
    SELECT chain_id, step_index, labeler, first(rating) FILTER (rating IS NOT NULL) AS rating FROM own GROUP BY ALL
), labelers AS (SELECT DISTINCT labeler FROM one)
SELECT s.chain_id, split_part(s.problem_id, '-', 1) AS subset, l.labeler, list(o.rating ORDER BY s.step_index)
FROM steps s CROSS JOIN labelers l
LEFT JOIN one o ON o.chain_id = s.chain_id AND o.step_index = s.step_index AND o.labeler = l.labeler
WHERE s.chain_id IN (SELECT chain_id FROM verdicts WHERE labeler = 'human')
GROUP BY ALL
"""


def processbench_prediction(ratings: Sequence[Optional[int]]) -> int:
    """ProcessBench's prediction from step ratings: the first step rated -1, or -1 when none is."""
    flag = first_flag(ratings)
    return -1 if flag is None else flag


def processbench_metric(predictions: Sequence[int], labels: Sequence[int]) -> dict[str, Any]:
    """ProcessBench's metric for one labeler (or PRM) on one subset.

    predictions[i]: the index of chain i's first step predicted wrong, -1 when none; labels[i]: the
    human first error, -1 for an error-free chain. Accuracies and F1 are in percent, as the
    benchmark prints them; None where undefined (no chain of a kind; both accuracies 0).
    """
    if len(predictions) != len(labels):
        raise ValueError(f"{len(predictions)} predictions for {len(labels)} labels")
    erroneous = [(p, t) for p, t in zip(predictions, labels) if t != -1]
    error_free = [(p, t) for p, t in zip(predictions, labels) if t == -1]
    acc_err = 100 * sum(p == t for p, t in erroneous) / len(erroneous) if erroneous else None
    acc_ok = 100 * sum(p == -1 for p, _ in error_free) / len(error_free) if error_free else None
    f1 = (2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err is not None and acc_ok is not None
          and acc_err + acc_ok > 0 else None)
    flagged = [(p, t) for p, t in zip(predictions, labels) if p != -1]
    judged = [(p, t) for p, t in flagged if t == -1 or p <= t]  # a first flag after the first error: unknowable
    hits = sum(p == t for p, t in judged)
    return {
        "acc_erroneous": acc_err, "acc_error_free": acc_ok, "f1": f1,
        "first_flags": len(flagged), "first_flags_exact": hits,
        "first_flag_precision": hits / len(judged) if judged else None,
        "first_flag_recall": hits / len(erroneous) if erroneous else None,
    }


def _score(rows: list[tuple[int, Optional[int], list[Optional[int]]]]) -> dict[str, Any]:
    """rows: (human first error, the labeler's first error or None, its step ratings) per chain."""
    own = processbench_metric([processbench_prediction(r[2]) for r in rows], [r[0] for r in rows])
    determined = [r for r in rows if r[1] is not None]
    erroneous = [r for r in determined if r[0] != -1]
    correct = [r for r in determined if r[0] == -1]
    acc_err = sum(r[1] == r[0] for r in erroneous) / len(erroneous) if erroneous else None
    acc_ok = sum(r[1] == -1 for r in correct) / len(correct) if correct else None
    f1 = (2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err is not None and acc_ok is not None
          and acc_err + acc_ok > 0 else None)
    flags = on_first_error = after = 0
    for truth, _, ratings in rows:
        for step, rating in enumerate(ratings):
            if rating == -1:
                flags += 1
                on_first_error += truth != -1 and step == truth
                after += truth != -1 and step > truth
    strict_scored = flags - after
    return {
        "chains": len(rows), "erroneous": sum(r[0] != -1 for r in rows), "error_free": sum(r[0] == -1 for r in rows),
        **{f"pb_{k}": own[k] for k in ("acc_erroneous", "acc_error_free", "f1")},
        **{k: own[k] for k in ("first_flags", "first_flags_exact", "first_flag_precision", "first_flag_recall")},
        "determined": len(determined), "coverage": len(determined) / len(rows) if rows else None,
        "acc_erroneous": acc_err, "acc_error_free": acc_ok, "f1": f1,
        "flags": flags, "flags_after_first_error": after,
        "precision_strict": on_first_error / strict_scored if strict_scored else None,
        "precision_lenient": (on_first_error + after) / flags if flags else None,
        "exact_first_errors": sum(r[1] == r[0] for r in erroneous),
        "spoke": sum(any(x is not None for x in r[2]) for r in rows),
    }


def processbench_chains(out: str | Path) -> dict[tuple[str, str], list[tuple[int, Optional[int], list[Optional[int]]]]]:
    """Per (subset or 'all', labeler or 'merged'): (human first error, the labeler's determined
    first error or None, its step ratings) for every chain with a known human first error."""
    con = connect(out)
    chains: dict[str, tuple[str, dict[str, list[Optional[int]]]]] = {}
    for chain_id, subset, labeler, ratings in con.execute(_PER_CHAIN).fetchall():
        chains.setdefault(chain_id, (subset, {}))[1][labeler] = ratings
    groups: dict[tuple[str, str], list[tuple]] = {}
    for subset, by_labeler in chains.values():
        truth = first_error(by_labeler["human"])
        if truth is None:
            continue
        for labeler, ratings in by_labeler.items():
            if labeler in NOT_SCORED:
                continue
            for key in ((subset, labeler), ("all", labeler)):
                groups.setdefault(key, []).append((truth, first_error(ratings), ratings))
    return groups


def processbench_report(out: str | Path) -> list[dict[str, Any]]:
    """Per subset (and 'all') and per labeler (and 'merged'): ProcessBench's own metric (`pb_*`,
    percent) with first-flag precision and recall; F1 and accuracies on the chains whose first
    error the labeler determined, coverage, precision of its -1 flags."""
    groups = processbench_chains(out)
    if not groups:
        raise ValueError(f"{out} has no chains with human first-error labels (import ProcessBench or the sample)")
    report = [{"subset": s, "labeler": l, **_score(g)} for (s, l), g in groups.items()]
    # a labeler that never spoke on a subset (a code labeler on math chains) says nothing about it
    report = [r for r in report if r["labeler"] == MERGED or r["spoke"]]
    return sorted(report, key=lambda r: (r["subset"] == "all", r["subset"], r["labeler"] != MERGED, r["labeler"]))


_PAIRS = """
WITH v AS (
    SELECT chain_id, step_index, labeler, rating FROM verdicts WHERE rating IS NOT NULL
    UNION ALL SELECT chain_id, step_index, 'merged', rating FROM steps WHERE rating IS NOT NULL
), one AS (  -- a labeler's first non-abstaining verdict per step
    SELECT chain_id, step_index, labeler, first(rating) AS rating FROM v GROUP BY ALL
)
SELECT a.labeler AS a, b.labeler AS b, a.rating AS rating_a, b.rating AS rating_b, count(*) AS n
FROM one a JOIN one b USING (chain_id, step_index)
WHERE a.labeler < b.labeler
GROUP BY ALL ORDER BY ALL
"""


def agreement_report(out: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """For every pair of labelers (human and merged included): the 3×3 confusion matrix of their
    ratings on the steps both rated, the share that agree, and Cohen's kappa."""
    con = connect(out)
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for a, b, ra, rb, n in con.execute(_PAIRS).fetchall():
        entry = pairs.setdefault((a, b), {"matrix": {x: {y: 0 for y in (-1, 0, 1)} for x in (-1, 0, 1)}})
        entry["matrix"][ra][rb] += n
    for entry in pairs.values():
        m = entry["matrix"]
        total = sum(sum(row.values()) for row in m.values())
        observed = sum(m[k][k] for k in m) / total
        expected = sum(sum(m[k].values()) * sum(m[x][k] for x in m) for k in m) / total**2
        entry.update(n=total, agreement=observed,
                     kappa=(observed - expected) / (1 - expected) if expected < 1 else None)
    return pairs
