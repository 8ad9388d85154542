from __future__ import annotations

import pytest

from steplabel.pipeline.config import MergeConfig
from steplabel.pipeline.first_error import first_error, first_flag, ratings_from_first_error
from steplabel.pipeline.merge import MergeStage
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
    assert out["first_error"] == out["first_flag"] == 1


def test_a_flag_after_an_unrated_step_is_not_a_first_error():
    row = _chain([[_v("math_steps", None)], [_v("math_steps", -1)], [_v("math_steps", None)]])
    out = MergeStage(MergeConfig(order=["math_steps"]))([row])[0]
    assert out["first_error"] is None and out["first_flag"] == 1


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


def test_vote_takes_the_majority_and_ties_are_neutral():
    steps = [[_v("a", 1), _v("b", 1), _v("c", -1)], [_v("a", 1), _v("b", -1)], [_v("a", None), _v("b", 1)]]
    out = MergeStage(MergeConfig(policy="vote", order=["a", "b", "c"]))([_chain(steps)])[0]
    assert [s["rating"] for s in out["steps"]] == [1, 0, 1]
    assert out["steps"][0]["decided_by"] == "vote(a,b,c)" and out["steps"][2]["decided_by"] == "vote(b)"
    assert [round(s["agreement"], 2) for s in out["steps"]] == [0.67, 0.0, 1.0]


def test_consensus_keeps_only_chains_whose_first_errors_agree():
    agree = _chain([[_v("judge", 1), _v("rollout", 1)], [_v("judge", -1), _v("rollout", -1)]])
    differ = _chain([[_v("judge", 1), _v("rollout", -1)], [_v("judge", -1), _v("rollout", 1)]])
    unsure = _chain([[_v("judge", 1)], [_v("judge", 1), _v("rollout", 1)]])
    stage = MergeStage(MergeConfig(policy="consensus", order=["judge", "rollout"], agree=["judge", "rollout"]))
    kept, filtered, undetermined = stage([agree, differ, unsure])
    assert kept["status"] == "labeled" and kept["first_error"] == 1
    assert filtered["status"] == "filtered" and "judge=1, rollout=0" in filtered["status_reason"]
    assert undetermined["status"] == "filtered" and "rollout=undetermined" in undetermined["status_reason"]


def test_consensus_needs_two_labelers():
    with pytest.raises(ValueError, match="at least two"):
        MergeConfig(policy="consensus", agree=["judge"])


def test_first_error_convention():
    assert first_error([1, 1, 0]) == -1 and first_flag([1, 1, 0]) is None
    assert first_error([1, -1, None]) == 1 == first_flag([1, -1, None])
    assert first_error([0, -1, -1]) == 1
    assert first_error([1, None, -1]) is None and first_flag([1, None, -1]) == 2
    assert first_error([None, -1]) is None and first_flag([None, -1]) == 1
    assert first_error([1, None, 1]) is None
    assert first_error([]) == -1


def test_ratings_from_first_error_round_trip():
    for n in range(1, 5):
        for fe in range(-1, n):
            ratings = ratings_from_first_error(fe, n)
            assert first_error(ratings) == fe and len(ratings) == n
    assert ratings_from_first_error(1, 3) == [1, -1, None]
    for bad in (-2, 3, 7):
        with pytest.raises(ValueError, match="outside a 3-step chain"):
            ratings_from_first_error(bad, 3)


def _correct(row):
    row["outcome"] = {"correct": True, "evidence": "4 == 4"}
    return row


def test_own_rollout_rates_the_unrated_steps_of_an_outcome_correct_chain():
    steps = [[_v("math_steps", None), _v("human", -1)], [_v("math_steps", None)], [_v("outcome", 1)]]
    config = MergeConfig(order=["math_steps", "outcome"], own_rollout=True)
    out = MergeStage(config)([_correct(_chain(steps))])[0]
    assert [(s["rating"], s["decided_by"]) for s in out["steps"]] == [(1, "own_rollout"), (1, "own_rollout"),
                                                                    (1, "outcome")]
    assert out["first_error"] == -1 and out["first_flag"] is None
    # off by default, and never for a chain whose outcome is wrong or unknown
    assert [s["rating"] for s in MergeStage(MergeConfig(order=["math_steps", "outcome"]))(
        [_correct(_chain(steps))])[0]["steps"]] == [None, None, 1]
    wrong = _chain(steps)
    wrong["outcome"] = {"correct": None, "evidence": "unknown"}
    assert [s["rating"] for s in MergeStage(config)([wrong])[0]["steps"]] == [None, None, 1]


def test_own_rollout_keeps_a_minus_one_and_stops_there():
    steps = [[_v("math_steps", None)], [_v("math_steps", -1)], [_v("math_steps", None)], [_v("outcome", 1)]]
    stop = MergeStage(MergeConfig(order=["math_steps", "outcome"], own_rollout=True))([_correct(_chain(steps))])[0]
    assert [s["rating"] for s in stop["steps"]] == [1, -1, None, None] and stop["first_error"] == 1
    go_on = MergeStage(MergeConfig(order=["math_steps", "outcome"], own_rollout=True, stop_at_first_error=False))(
        [_correct(_chain(steps))])[0]
    assert [s["rating"] for s in go_on["steps"]] == [1, -1, 1, 1]
