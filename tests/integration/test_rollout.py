"""Rollout labels against the loopback test server's scripted policy (monotone MC values by design)."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.labelers import Context
from steplabel.pipeline.labelers.rollout import RolloutLabeler
from steplabel.pipeline.schema import new_chain
from steplabel.pipeline.segment import make_steps
from tests.support.openai_server import OpenAIServer
from tests.support.scripts import endpoint, rollout_policy, sample_chains

pytestmark = pytest.mark.integration


def _row(c):
    return new_chain(chain_id=c["text"][:20], problem_id=c["problem_id"], problem=c["problem"],
                     reference={"answer": c["answer"]}, text=c["text"], steps=make_steps(c["steps"]),
                     final_answer=None)


def _first_error(labeling, n):
    ratings = [labeling.verdicts[i]["rating"] for i in range(n)]
    return ratings.index(-1) if -1 in ratings else -1


@pytest.fixture(scope="module")
def server():
    chains = sample_chains()
    with OpenAIServer(script={"policy": rollout_policy(chains)}) as srv:
        yield srv, chains


def _labeler(srv, mode, tmp_path, **extra):
    return RolloutLabeler(endpoint=endpoint(srv.base_url, "policy", api="completions"), k=4, mode=mode,
                          context=Context(cache_dir=str(tmp_path / mode)), **extra)


def test_binary_search_finds_the_exhaustive_first_error_for_less(server, tmp_path):
    srv, chains = server
    rows = [_row(c) for c in chains]
    from steplabel.pipeline.segment import SegmentStage

    SegmentStage()(rows)  # fills final_answer as the build would
    exhaustive, binary = _labeler(srv, "exhaustive", tmp_path), _labeler(srv, "binary", tmp_path)
    ex = exhaustive.label_batch(rows)
    cost_ex = exhaustive.rollouts
    bi = []
    long_ex = long_bi = 0
    for row, c, e in zip(rows, chains, ex):
        before = binary.rollouts
        bi.append(binary.label(row))
        n = len(c["steps"])
        assert _first_error(e, n) == _first_error(bi[-1], n) == c["first_error"], c["text"][:60]
        if n >= 8:
            long_ex += 4 * (n - 1)
            long_bi += binary.rollouts - before
    assert cost_ex == sum(4 * (len(c["steps"]) - 1) for c in chains)
    assert long_ex and long_bi <= 0.4 * long_ex
    # exhaustive scores are MC values; binary marks what it inferred
    assert all(0 <= v["score"] <= 1 for e in ex for i, v in e.verdicts.items() if v["score"] is not None)
    assert any('"inferred": true' in v["evidence"] for b in bi for v in b.verdicts.values())


def test_per_chain_budget_leaves_abstains(server, tmp_path):
    srv, chains = server
    wrong = next(c for c in chains if c["first_error"] >= 2 and len(c["steps"]) >= 5)
    row = _row(wrong)
    labeler = _labeler(srv, "exhaustive", tmp_path, max_rollouts_per_chain=4)
    labeling = labeler.label(row)  # k = 4: the first prefix is affordable, the others abstain
    assert labeling.verdicts[0]["rating"] == 1 and json.loads(labeling.verdicts[0]["evidence"])["rollouts"] == 4
    rest = [labeling.verdicts[i] for i in range(1, len(wrong["steps"]))]
    assert all(v["rating"] is None and "budget of 4 per chain spent" in v["evidence"] for v in rest)
    binary = _labeler(srv, "binary", tmp_path, max_rollouts_per_chain=4, rounds=1)  # affords one probe of k = 4
    labeling = binary.label(row)
    n = len(wrong["steps"])
    mid = n // 2  # no final answer: the search runs over every prefix, [0, n)
    probed = labeling.verdicts[mid]
    assert probed["rating"] == (1 if mid < wrong["first_error"] else -1)
    lo, hi = (mid + 1, n) if probed["rating"] == 1 else (0, mid)
    for i in range(n):  # what the one probe settled stays known; the rest of the interval abstains
        v = labeling.verdicts[i]
        if i == mid:
            continue
        if lo <= i < hi:
            assert v["rating"] is None and "budget of 4 per chain spent" in v["evidence"], (i, v)
        else:
            assert v["rating"] == (1 if i < lo else -1) and '"inferred": true' in v["evidence"], (i, v)


def test_unknown_option_is_rejected(server):
    srv, _ = server
    with pytest.raises(ValueError, match="rollout"):
        RolloutLabeler(endpoint=endpoint(srv.base_url, "policy"), k=4, modus="binary")


def test_code_rollouts_are_checked_by_the_sandboxed_tests(tmp_path):
    """A code chain whose second step introduces a crash: completions from the first step's prefix
    that write the right function pass the unit tests; from the broken prefix nothing does."""
    import json
    from pathlib import Path

    from steplabel.pipeline.segment import SegmentStage
    from tests.support.scripts import DEFAULT_TEMPLATE

    record = json.loads((Path(__file__).parents[2] / "pipeline" / "sample" / "code.jsonl").read_text().splitlines()[0])
    correct, broken = record["chains"][0]["text"], record["chains"][1]
    assert broken["first_error"] == 1
    steps = [s.strip() for s in broken["text"].split("\n\n")]
    fixed_code = correct.split("```python")[1].split("```")[0]

    def key(upto: int) -> str:
        return DEFAULT_TEMPLATE.replace("{problem}", record["problem"]).replace("{prefix}", "\n\n".join(steps[: upto + 1]))

    solution = f"```python{fixed_code}```\n\nThat is the whole function."
    policy = {key(-1): [solution], key(0): [solution], key(1): ["That is the whole function."]}
    row = new_chain(chain_id="code", problem_id=record["problem_id"], domain="code", problem=record["problem"],
                    reference=record["reference"], text=broken["text"])
    SegmentStage()([row])
    with OpenAIServer(script={"policy": policy}) as srv:
        for mode in ("exhaustive", "binary"):
            labeler = _labeler(srv, mode, tmp_path)
            try:
                labeling = labeler.label(row)
            finally:
                labeler.close()
            assert _first_error(labeling, len(steps)) == 1, mode
            assert labeling.verdicts[0]["rating"] == 1 and labeling.verdicts[0]["score"] == 1.0


def test_chat_continuation_mode(tmp_path):
    """Rollouts as a continuation of the assistant message (the chat API) find the same first error."""
    chain = next(c for c in sample_chains() if c["first_error"] >= 1 and len(c["steps"]) >= 5)
    table = rollout_policy([chain])
    # the chat prompt holds the problem and the prefix (the server joins messages with a newline),
    # not the completions template around them; from the question alone it holds the problem only
    policy = {chain["problem"] + "\n" + k.split("Solution:\n", 1)[1] if not k.endswith("Solution:\n\n\n")
              else chain["problem"]: v for k, v in table.items()}
    row = _row(chain)
    from steplabel.pipeline.segment import SegmentStage

    SegmentStage()([row])
    with OpenAIServer(script={"policy": policy}) as srv:
        labeler = RolloutLabeler(endpoint=endpoint(srv.base_url, "policy", api="chat"), k=4, mode="exhaustive",
                                 continuation="chat", context=Context(cache_dir=str(tmp_path / "chat")))
        labeling = labeler.label(row)
        # one request of n=k per prefix, and one from the question alone
        assert srv.stats()["served_total"] == len(chain["steps"]) - 1 + 1
    assert _first_error(labeling, len(chain["steps"])) == chain["first_error"]


def test_a_problem_the_policy_never_solves_abstains_on_every_step(tmp_path):
    """Rollouts from a policy that never solves the problem say nothing about the steps: every
    step of that problem's wrong chains abstains with the evidence; other problems are labeled."""
    from steplabel.pipeline.segment import SegmentStage

    chains = [c for c in sample_chains() if c["first_error"] >= 1 and len(c["steps"]) >= 3]
    unsolved = {chains[0]["problem_id"]}
    solved = [c for c in chains if c["problem_id"] not in unsolved][:3]
    picked = [c for c in chains if c["problem_id"] in unsolved] + solved
    rows = [_row(c) for c in picked]
    SegmentStage()(rows)
    with OpenAIServer(script={"policy": rollout_policy(sample_chains(), unsolved=frozenset(unsolved))}) as srv:
        for mode in ("binary", "exhaustive"):
            labeler = _labeler(srv, mode, tmp_path)
            labs = labeler.label_batch(rows)
            for c, lab in zip(picked, labs):
                evidence = [json.loads(v["evidence"]) for v in lab.verdicts.values()]
                if c["problem_id"] in unsolved:
                    assert all(v["rating"] is None for v in lab.verdicts.values()), mode
                    assert all(e.get("policy_never_solved") is True and "never solved" in e["abstain"]
                               for e in evidence)
                else:
                    assert _first_error(lab, len(c["steps"])) == c["first_error"], mode
            assert labeler.problem_rollouts >= 4  # k from the question alone, at least for the unsolved problem


def test_a_chain_without_a_final_answer_is_not_called_wrong(server, tmp_path):
    srv, chains = server
    chain = next(c for c in chains if c["first_error"] == -1 and len(c["steps"]) >= 3)
    row = _row(chain)
    from steplabel.pipeline.segment import SegmentStage

    SegmentStage()([row])
    row["final_answer"] = None  # as if the chain had stopped before stating its answer
    for mode in ("binary", "exhaustive"):
        lab = _labeler(srv, mode, tmp_path).label(row)
        n = len(chain["steps"])
        assert [lab.verdicts[i]["rating"] for i in range(n)] == [1] * n, mode  # every prefix still reaches it
        last = json.loads(lab.verdicts[n - 1]["evidence"])
        assert "wrong" not in json.dumps(last) and "rollouts" in last, mode  # rolled out, not judged by the answer
        assert "no final answer" in last["final_answer"], mode
