from __future__ import annotations

from steplabel.pipeline.config import MergeConfig
from steplabel.pipeline.merge import MergeStage, first_error_of
from steplabel.pipeline.schema import new_chain
from steplabel.pipeline.segment import make_steps


def _v(labeler: str, rating):
    return {"labeler": labeler, "version": "1", "rating": rating, "score": None, "evidence": "",
            "cost": {"ms": 0.0, "tokens": 0}, "cached": False}


def _chain(verdicts_per_step):
    row = new_chain(chain_id="c", problem_id="p", problem="q", steps=make_steps([f"s{i}" for i in range(len(verdicts_per_step))]))
    for step, verdicts in zip(row["steps"], verdicts_per_step):
        step["verdicts"] = verdicts
    return row


def test_first_non_abstaining_labeler_in_order_decides():
    row = _chain([[_v("judge", 1), _v("math_steps", None)], [_v("judge", 1), _v("math_steps", -1)]])
    out = MergeStage(MergeConfig(order=["math_steps", "judge"]))([row])[0]
    assert [(s["rating"], s["decided_by"]) for s in out["steps"]] == [(1, "judge"), (-1, "math_steps")]
    assert out["first_error"] == 1


def test_labelers_outside_the_order_are_ignored():
    row = _chain([[_v("human", -1)]])
    out = MergeStage(MergeConfig(order=["outcome"]))([row])[0]
    assert out["steps"][0]["rating"] is None and out["first_error"] is None


def test_stop_at_first_error_leaves_later_steps_unlabeled():
    steps = [[_v("a", 1)], [_v("a", -1)], [_v("a", 1)]]
    stopped = MergeStage(MergeConfig(order=["a"]))([_chain(steps)])[0]
    assert [s["rating"] for s in stopped["steps"]] == [1, -1, None]
    kept = MergeStage(MergeConfig(order=["a"], stop_at_first_error=False))([_chain(steps)])[0]
    assert [s["rating"] for s in kept["steps"]] == [1, -1, 1]


def test_first_error_convention():
    assert first_error_of([1, 1, 0]) == -1
    assert first_error_of([1, -1, None]) == 1
    assert first_error_of([1, None, -1]) == 2
    assert first_error_of([1, None, 1]) is None
    assert first_error_of([]) == -1
