"""ProcessBench scoring over a hand-written build: only determined first errors are scored, and
coverage says how many were."""
from __future__ import annotations

from steplabel.pipeline.evaluate import processbench_report
from tests.support.builds import chain, write_build


def test_scores_determined_chains_and_reports_coverage(tmp_path):
    rows = [
        # human first error 1; merged flags it after an unrated step: not determined, not scored
        chain("c0", [None, -1, None], problem_id="math-0", verdicts={"human": [1, -1, None], "j": [None, -1, None]}),
        # human first error 1, merged determines it exactly
        chain("c1", [1, -1, None], problem_id="math-1", verdicts={"human": [1, -1, None], "j": [1, -1, None]}),
        # error-free chain, merged determines "no error"
        chain("c2", [1, 1], problem_id="math-2", verdicts={"human": [1, 1], "j": [1, 0]}),
        # error-free chain with a wrong flag at step 0 (determined, wrong)
        chain("c3", [-1, None], problem_id="math-3", verdicts={"human": [1, 1], "j": [None, None]}),
    ]
    report = {(r["subset"], r["labeler"]): r for r in processbench_report(write_build(tmp_path, rows))}
    merged = report[("all", "merged")]
    assert (merged["chains"], merged["determined"], merged["coverage"]) == (4, 3, 0.75)
    assert merged["acc_erroneous"] == 1.0 and merged["acc_error_free"] == 0.5
    assert merged["erroneous"] == 2 and merged["exact_first_errors"] == 1
    assert merged["flags"] == 3 and merged["precision"] == 2 / 3
    judge = report[("all", "j")]
    assert (judge["determined"], judge["acc_erroneous"], judge["acc_error_free"]) == (2, 1.0, 1.0)
    assert ("all", "human") not in report and ("math", "merged") in report
