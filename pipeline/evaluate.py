"""Label quality measured against human labels and between labelers, with DuckDB over a build.

ProcessBench scoring: a labeler predicts a chain's first error as the first step it rates -1, and
"no error" (-1) when it flags none. Accuracy on erroneous chains (prediction == human first
error) and on error-free chains (prediction == -1); F1 is their harmonic mean. Precision counts a
-1 flag as false when it falls before the human first error or anywhere in an error-free chain;
coverage is the share of chains where the labeler gave any non-abstaining verdict.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .store import connect

MERGED = "merged"

# one row per (chain, labeler): the labeler's predicted first error and flag counts, plus the
# human first error of the chain; 'merged' uses the final ratings
_PER_CHAIN = """
WITH human AS (
    SELECT chain_id, coalesce(min(step_index) FILTER (rating = -1), -1) AS truth
    FROM verdicts WHERE labeler = 'human' GROUP BY chain_id
), own AS (
    SELECT chain_id, labeler, step_index, rating FROM verdicts WHERE labeler NOT IN ('human', 'source_outcome')
    UNION ALL
    SELECT chain_id, 'merged', step_index, rating FROM steps
), per_labeler AS (
    SELECT chain_id, labeler,
           coalesce(min(step_index) FILTER (rating = -1), -1) AS predicted,
           count(*) FILTER (rating IS NOT NULL) AS rated,
           list(step_index) FILTER (rating = -1) AS flags
    FROM own GROUP BY chain_id, labeler
), labelers AS (SELECT DISTINCT labeler FROM per_labeler)
SELECT c.chain_id, split_part(c.problem_id, '-', 1) AS subset, l.labeler, h.truth,
       coalesce(p.predicted, -1) AS predicted, coalesce(p.rated, 0) AS rated, coalesce(p.flags, []) AS flags
FROM chains c JOIN human h USING (chain_id) CROSS JOIN labelers l
LEFT JOIN per_labeler p ON p.chain_id = c.chain_id AND p.labeler = l.labeler
"""


def _score(rows: list[tuple]) -> dict[str, Any]:
    erroneous = [r for r in rows if r[0] != -1]
    correct = [r for r in rows if r[0] == -1]
    acc_err = sum(r[1] == r[0] for r in erroneous) / len(erroneous) if erroneous else None
    acc_ok = sum(r[1] == -1 for r in correct) / len(correct) if correct else None
    f1 = (2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err is not None and acc_ok is not None
          and acc_err + acc_ok > 0 else None)
    flags = true_flags = 0
    for truth, _, _, step_flags in rows:
        for step in step_flags:
            flags += 1
            true_flags += truth != -1 and step >= truth
    return {
        "chains": len(rows), "erroneous": len(erroneous), "error_free": len(correct),
        "acc_erroneous": acc_err, "acc_error_free": acc_ok, "f1": f1,
        "flags": flags, "precision": true_flags / flags if flags else None,
        "exact_first_errors": sum(r[1] == r[0] for r in erroneous),
        "coverage": sum(r[2] > 0 for r in rows) / len(rows) if rows else None,
    }


def processbench_report(out: str | Path) -> list[dict[str, Any]]:
    """Per subset (and 'all') and per labeler (and 'merged'): F1, accuracies, precision, coverage."""
    con = connect(out)
    rows = con.execute(_PER_CHAIN).fetchall()
    if not rows:
        raise ValueError(f"{out} has no chains with human first-error labels (import ProcessBench or the sample)")
    groups: dict[tuple[str, str], list[tuple]] = {}
    for _, subset, labeler, truth, predicted, rated, flags in rows:
        for key in ((subset, labeler), ("all", labeler)):
            groups.setdefault(key, []).append((truth, predicted, rated, flags))
    report = [{"subset": s, "labeler": l, **_score(g)} for (s, l), g in groups.items()]
    # a labeler that never spoke on a subset (a code labeler on math chains) says nothing about it
    report = [r for r in report if r["labeler"] == MERGED or r["coverage"]]
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
