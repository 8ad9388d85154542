"""The cascade's plan: which steps a labeler later in the merge order need not rate, and why; the
order its stages run in; the configs it refuses."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.cascade import SKIPPED, Cascade, skip_evidence, stage_order
from steplabel.pipeline.config import BuildConfig, MergeConfig
from tests.support.builds import step


def _chain(*steps):
    return {"steps": [step(i, f"step {i}", None, *verdicts) for i, verdicts in enumerate(steps)]}


def test_a_step_an_earlier_labeler_rated_is_skipped_with_who_rated_it():
    cascade = Cascade(order=("math_steps", "judge", "rollout"))
    chain = _chain([("math_steps", 1, "")], [("math_steps", None, "abstain")], [("judge", 1, "")], [])
    assert cascade.skips(chain, "judge") == {0: "rated +1 by math_steps"}
    assert cascade.skips(chain, "rollout") == {0: "rated +1 by math_steps", 2: "rated +1 by judge"}
    assert cascade.skips(chain, "math_steps") == {}  # the first in the order has nobody before it


def test_after_an_earlier_minus_one_nothing_is_needed_unless_the_merge_goes_on():
    chain = _chain([], [("judge", -1, "")], [], [("judge", 1, "")])
    stop = Cascade(order=("judge", "rollout"))
    assert stop.skips(chain, "rollout") == {1: "rated -1 by judge",
                                            2: "after step 1, rated -1 by judge (stop_at_first_error)",
                                            3: "after step 1, rated -1 by judge (stop_at_first_error)"}
    go_on = Cascade(order=("judge", "rollout"), stop_at_first_error=False)
    assert go_on.skips(chain, "rollout") == {1: "rated -1 by judge", 3: "rated +1 by judge"}


def test_labelers_outside_the_order_or_in_agree_are_never_cascaded():
    chain = _chain([("judge", 1, "")], [("judge", 1, "")])
    cascade = Cascade(order=("judge", "rollout", "human"), agree=("rollout", "human"))
    assert cascade.skips(chain, "rollout") == {} and cascade.skips(chain, "other") == {}
    assert Cascade(order=("judge", "human")).skips(chain, "human") == {0: "rated +1 by judge",
                                                                       1: "rated +1 by judge"}


def test_only_earlier_labelers_count_and_the_priority_winner_is_named():
    chain = _chain([("rollout", -1, ""), ("judge", 0, ""), ("outcome", 1, "")])
    cascade = Cascade(order=("outcome", "judge", "rollout"))
    assert cascade.skips(chain, "judge") == {0: "rated +1 by outcome"}
    assert Cascade(order=("judge", "outcome", "rollout")).skips(chain, "rollout") == {0: "rated +0 by judge"}


def test_skip_evidence_begins_with_the_marker_and_is_json():
    evidence = skip_evidence("rated +1 by judge", 3, at_most=True)
    assert evidence.startswith(SKIPPED)
    assert json.loads(evidence) == {"cascade": "skipped", "why": "rated +1 by judge", "samples_not_asked": 3,
                                    "at_most": True}


class _L:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


def test_stages_run_in_merge_order_under_a_cascade_only():
    code = [_L("code_outcome"), _L("code_steps")]  # two labelers sharing one stage
    groups = [[_L("rollout")], [_L("judge")], code, [_L("extra")]]
    order = ["code_steps", "judge", "rollout", "code_outcome"]
    assert [g[0].name for g in stage_order(groups, order, cascade=True)] == ["extra", "code_outcome", "judge",
                                                                               "rollout"]
    assert stage_order(groups, order, cascade=False) is groups


def test_cascade_is_refused_under_vote_and_kept_in_the_config_hash():
    with pytest.raises(ValueError, match="cascade needs policy priority or consensus"):
        MergeConfig(policy="vote", order=["outcome"], cascade=True)
    plain = BuildConfig()
    cascaded = BuildConfig(merge=MergeConfig(order=["outcome"], cascade=True))
    assert plain.config_hash() != cascaded.config_hash()  # other rows: skip verdicts instead of requests
    assert Cascade.of(plain.merge) is None and Cascade.of(cascaded.merge) == Cascade(order=("outcome",))


def _config(**merge):
    endpoint = {"base_url": "http://127.0.0.1:9/v1", "model": "m"}
    return BuildConfig.model_validate({
        "labelers": [{"name": "outcome"}, {"name": "judge", "options": {"endpoint": endpoint}},
                     {"name": "rollout", "options": {"endpoint": endpoint}}],
        "merge": {"order": ["outcome", "judge", "rollout"], **merge}})


def test_remerge_of_a_cascaded_build_refuses_a_merge_that_needs_skipped_verdicts():
    from steplabel.pipeline.remerge import _skipped_verdicts_needed

    stored = _config(cascade=True)
    assert _skipped_verdicts_needed(stored, _config()) == ""  # the same merge, now without the cascade
    assert _skipped_verdicts_needed(stored, _config(own_rollout=True)) == ""
    assert "judge, rollout skipped" in _skipped_verdicts_needed(stored, _config(stop_at_first_error=False))
    reordered = _config()
    reordered.merge.order = ["outcome", "rollout", "judge"]
    assert "did not need" in _skipped_verdicts_needed(stored, reordered)
    assert "vote counts every verdict" in _skipped_verdicts_needed(stored, _config(policy="vote"))
    assert "first errors of judge" in _skipped_verdicts_needed(stored, _config(policy="consensus",
                                                                                agree=["outcome", "judge"]))
    assert _skipped_verdicts_needed(_config(), _config(policy="vote")) == ""  # no cascade, nothing skipped
