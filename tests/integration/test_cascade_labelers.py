"""The cascade is exact: rollouts (binary and exhaustive, with and without a per-chain budget) and
the judge, asked only where the merge needs them, give merged ratings equal to those of asking
everywhere — under a policy whose MC values are NOT monotone (random per prefix), where a binary
search that merely searched fewer prefixes would land elsewhere — and ask for less."""
from __future__ import annotations

import copy
import json
import random

import pytest

from steplabel.pipeline.cascade import SKIPPED, Cascade
from steplabel.pipeline.config import MergeConfig
from steplabel.pipeline.labelers import Context, apply_labeling
from steplabel.pipeline.labelers.judge import JudgeLabeler
from steplabel.pipeline.labelers.rollout import DEFAULT_TEMPLATE, RolloutLabeler
from steplabel.pipeline.merge import MergeStage
from steplabel.pipeline.schema import new_chain
from steplabel.pipeline.segment import make_steps
from tests.support.builds import verdict
from tests.support.openai_server import OpenAIServer
from tests.support.scripts import endpoint

pytestmark = pytest.mark.integration

RIGHT, WRONG = "So the answer is $\\boxed{42}$.", "So the answer is $\\boxed{41}$."
K = 4


def _prompt(problem: str, steps: list[str], upto: int) -> str:
    return DEFAULT_TEMPLATE.replace("{problem}", problem).replace("{prefix}", "\n\n".join(steps[: upto + 1]))


def _world(seed: int, chains: int = 14):
    """Chains with random verdicts of an earlier labeler, and a policy right or wrong at random per prefix."""
    rng = random.Random(seed)
    rows, policy = [], {}
    for c in range(chains):
        n = rng.randint(3, 9)
        problem = f"Problem {seed}-{c}: what is 6 * 7?"
        right = rng.random() < 0.4
        steps = [f"Then {j + 2} * 3 = {3 * (j + 2)} in chain {seed}-{c}." for j in range(n - 1)]
        steps.append(f"The answer is {42 if right else 41}.")
        row = new_chain(chain_id=f"{seed}-{c}", problem_id=f"p{seed}-{c}", problem=problem,
                        reference={"answer": "42"}, text="\n\n".join(steps), steps=make_steps(steps),
                        final_answer="42" if right else "41")
        for s in row["steps"]:
            pick = rng.random()
            if pick < 0.45:
                continue  # the earlier labeler said nothing
            rating = None if pick < 0.55 else rng.choice([1, 1, 1, 0, -1])
            s["verdicts"].append(verdict("early", rating))
        policy[_prompt(problem, steps, -1)] = [RIGHT, WRONG] * 2 if rng.random() < 0.85 else [WRONG] * 4
        for upto in range(n):
            policy[_prompt(problem, steps, upto)] = rng.choice([[RIGHT] * 4, [WRONG] * 4, [WRONG, WRONG, WRONG, RIGHT]])
        rows.append(row)
    return rows, policy


def _merged(rows, labelings, order, stop):
    rows = copy.deepcopy(rows)
    for row, labeling in zip(rows, labelings):
        apply_labeling(row, labeling)
    merge = MergeStage(MergeConfig(policy="priority", order=order, stop_at_first_error=stop))
    return [[(s["rating"], s["decided_by"], s["score"]) for s in merge.merge(r)["steps"]] + [r["first_error"]]
            for r in rows]


@pytest.mark.parametrize("mode,stop,cap", [("binary", True, None), ("binary", False, None), ("binary", True, 6),
                                           ("exhaustive", True, None), ("exhaustive", False, 12)])
def test_rollouts_under_a_cascade_merge_exactly_as_rollouts_everywhere(tmp_path, mode, stop, cap):
    for seed in (1, 2, 3):
        rows, policy = _world(seed)
        with OpenAIServer(script={"policy": policy}) as srv:
            def labeler(cascade, name):
                return RolloutLabeler(endpoint=endpoint(srv.base_url, "policy", api="completions"), k=K, mode=mode,
                                      rounds=2, max_rollouts_per_chain=cap,
                                      context=Context(cache_dir=str(tmp_path / f"{seed}-{name}"), cascade=cascade))

            full, cascaded = labeler(None, "full"), labeler(Cascade(("early", "rollout"), (), stop), "cascade")
            everywhere = full.label_batch(copy.deepcopy(rows))
            asked = cascaded.label_batch(copy.deepcopy(rows))
        order = ["early", "rollout"]
        assert _merged(rows, asked, order, stop) == _merged(rows, everywhere, order, stop), seed
        assert cascaded.rollouts < full.rollouts, (seed, cascaded.rollouts, full.rollouts)
        skipped = [v for lab in asked for v in lab.verdicts.values() if v["evidence"].startswith(SKIPPED)]
        assert skipped and all(v["rating"] is None for v in skipped)
        # what the skip verdicts say was not asked: exact where it follows from the chain, else a bound
        said = [json.loads(v["evidence"]) for v in skipped]
        saved = full.rollouts + full.problem_rollouts - cascaded.rollouts - cascaded.problem_rollouts
        assert sum(e["samples_not_asked"] for e in said if not e.get("at_most")) <= saved
        assert saved <= sum(e["samples_not_asked"] for e in said)


def test_the_judge_is_asked_only_about_chains_with_an_undecided_step(tmp_path):
    rows, _ = _world(7, chains=10)
    for row in rows[:5]:  # decided before the judge: every step rated by the earlier labeler
        for s in row["steps"]:
            s["verdicts"] = [verdict("early", 1)]
    with OpenAIServer() as srv:
        def judge(cascade, name):
            return JudgeLabeler(endpoint=endpoint(srv.base_url, "judge-model"), votes=2,
                                context=Context(cache_dir=str(tmp_path / name), cascade=cascade))

        everywhere = judge(None, "full").label_batch(copy.deepcopy(rows))
        asked_before = srv.stats()["served_total"]
        asked = judge(Cascade(("early", "judge")), "cascade").label_batch(copy.deepcopy(rows))
        asked_after = srv.stats()["served_total"] - asked_before
    assert asked_before == 10 and asked_after == 5  # one request per chain for its two votes (n=2)
    assert _merged(rows, asked, ["early", "judge"], True) == _merged(rows, everywhere, ["early", "judge"], True)
    for row, labeling in zip(rows[:5], asked):
        evidence = [json.loads(v["evidence"]) for v in labeling.verdicts.values()]
        assert all(e["cascade"] == "skipped" and e["why"] == "rated +1 by early" for e in evidence)
        assert [e["samples_not_asked"] for e in evidence] == [2] + [0] * (len(evidence) - 1)
    assert all(v["rating"] is not None for lab in asked[5:] for v in lab.verdicts.values())
