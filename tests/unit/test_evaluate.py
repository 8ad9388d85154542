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
    assert merged["flags"] == 3 and merged["precision_lenient"] == 2 / 3
    assert merged["flags_after_first_error"] == 0 and merged["precision_strict"] == 2 / 3
    judge = report[("all", "j")]
    assert (judge["determined"], judge["acc_erroneous"], judge["acc_error_free"]) == (2, 1.0, 1.0)
    assert ("all", "human") not in report and ("math", "merged") in report


def test_strict_precision_scores_only_flags_processbench_can_judge(tmp_path):
    rows = [
        # human first error 1: flags at 1 (true), 2 and 3 (after: only the lenient count calls them true)
        chain("c0", [1, -1, -1, -1], problem_id="math-0", verdicts={"human": [1, -1, None, None], "m": [1, -1, -1, -1]}),
        # human first error 2: a flag at 0 is false under both
        chain("c1", [-1, 1, 1], problem_id="math-1", verdicts={"human": [1, 1, -1], "m": [-1, 1, 1]}),
    ]
    report = {(r["subset"], r["labeler"]): r for r in processbench_report(write_build(tmp_path, rows))}
    m = report[("all", "m")]
    assert (m["flags"], m["flags_after_first_error"]) == (4, 2)
    assert m["precision_lenient"] == 3 / 4  # 1 on the first error + 2 after it, of 4
    assert m["precision_strict"] == 1 / 2  # only the 2 flags at or before a first error are scored
