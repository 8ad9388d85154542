"""ProcessBench scoring over a hand-written build: only determined first errors are scored, and
coverage says how many were."""
from __future__ import annotations

import pytest

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


def test_processbench_metric_on_hand_made_predictions():
    from steplabel.pipeline.evaluate import processbench_metric

    labels = [2, 2, 0, 3, -1, -1, -1]
    predictions = [2, 0, -1, 5, -1, 1, -1]  # hit, early (false), missed, late (unscored), ok, false, ok
    m = processbench_metric(predictions, labels)
    assert m["acc_erroneous"] == 100 * 1 / 4 and m["acc_error_free"] == 100 * 2 / 3
    assert abs(m["f1"] - 2 * 25 * (200 / 3) / (25 + 200 / 3)) < 1e-12  # 36.36...: the harmonic mean, in percent
    assert (m["first_flags"], m["first_flags_exact"]) == (4, 1)
    assert m["first_flag_precision"] == 1 / 3  # 2, 0 and 1 are judged; 5 lies after the human first error
    assert m["first_flag_recall"] == 1 / 4
    # no chain of one kind, or both accuracies 0: undefined, not a number that looks measured
    assert processbench_metric([-1, -1], [-1, -1])["acc_erroneous"] is None
    assert processbench_metric([0], [1])["f1"] is None and processbench_metric([0, 0], [1, -1])["f1"] is None
    with pytest.raises(ValueError):
        processbench_metric([0], [0, 1])


def test_flag_only_labeler_is_scored_by_its_first_flag(tmp_path):
    """A labeler that only ever says -1 (math_steps) predicts its first flag, as a PRM's first
    '-' step does in ProcessBench: unrated steps before it do not hide it."""
    rows = [
        chain("c0", [None, -1, None], problem_id="gsm8k-0", verdicts={"human": [1, -1, None], "m": [None, -1, None]}),
        chain("c1", [None, None], problem_id="gsm8k-1", verdicts={"human": [1, 1], "m": [None, None]}),
        chain("c2", [-1, None, None], problem_id="gsm8k-2", verdicts={"human": [1, 1, -1], "m": [-1, None, None]}),
    ]
    report = {(r["subset"], r["labeler"]): r for r in processbench_report(write_build(tmp_path, rows))}
    m = report[("gsm8k", "m")]
    assert m["coverage"] == 1 / 3 and m["exact_first_errors"] == 0  # determined-only: only c2, a wrong early flag
    assert (m["pb_acc_erroneous"], m["pb_acc_error_free"]) == (50.0, 100.0)
    assert abs(m["pb_f1"] - 200 / 3) < 1e-12
    assert (m["first_flags_exact"], m["first_flag_precision"], m["first_flag_recall"]) == (1, 0.5, 0.5)
