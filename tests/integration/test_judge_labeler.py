"""The judge labeler against the scripted judge: gold first errors recovered, votes and several
models combined, every answer style parsed or turned into an abstain with evidence."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.labelers.base import Context, apply_labeling
from steplabel.pipeline.schema import new_chain
from steplabel.pipeline.segment import SegmentStage
from tests.support import sample_problems, scripts_from_sample
from tests.support.openai_server import OpenAIServer
from steplabel.pipeline.labelers.judge import JudgeLabeler
from steplabel.pipeline.llm.client import RequestsFailed

pytestmark = pytest.mark.integration

PROBLEMS = sample_problems(limit=8)


def chains():
    rows = [new_chain(chain_id=f"{p['problem_id']}-{j}", problem_id=p["problem_id"], problem=p["problem"],
                      reference=p["reference"], text=c["text"]) for p in PROBLEMS for j, c in enumerate(p["chains"])]
    return SegmentStage("blank_line")(rows)


GOLD = [c["first_error"] for p in PROBLEMS for c in p["chains"]]


@pytest.fixture(scope="module")
def server():
    with OpenAIServer(scripts_from_sample(PROBLEMS)) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(server):
    server.configure(script=scripts_from_sample(PROBLEMS), faults={})
    server.reset()


def ep(server, model="judge-a", **kw):
    return {"base_url": server.base_url, "model": model, "timeout": 2, "backoff_base": 0.01, **kw}


def first_error(labeling, n):
    ratings = [labeling.verdicts[i]["rating"] for i in range(n)]
    return next((i for i, r in enumerate(ratings) if r == -1), -1)


@pytest.mark.parametrize("mode", ["chain", "step"])
def test_recovers_the_gold_first_errors(server, mode, tmp_path):
    rows = chains()
    labeler = JudgeLabeler(endpoint=ep(server), mode=mode, context=Context(cache_dir=str(tmp_path)))
    labelings = labeler.label_batch(rows)
    assert [first_error(lab, len(r["steps"])) for lab, r in zip(labelings, rows)] == GOLD
    v = labelings[0].verdicts[0]
    assert v["labeler"] == "judge" and v["cost"]["tokens"] > 0 and v["cached"] is False
    evidence = json.loads(v["evidence"])
    assert evidence["mode"] == mode and evidence["judges"]["judge-a"]["prompt"]
    for row, lab in zip(rows, labelings):
        apply_labeling(row, lab)  # verdict indices fit the chains
    served = server.stats()["served_total"]
    again = JudgeLabeler(endpoint=ep(server), mode=mode, context=Context(cache_dir=str(tmp_path))).label_batch(chains())
    assert server.stats()["served_total"] == served and again[0].verdicts[0]["cached"] is True


def test_votes_and_several_judges_combine(server):
    rows = chains()[:4]
    script = scripts_from_sample(PROBLEMS)
    # judge-b says every step of every chain is fine; judge-a and judge-c follow the gold labels
    script["judge"] = [dict(e, match=[*e["match"], "judge-b-never"]) for e in script["judge"]] + script["judge"]
    server.configure(script=script)
    labeler = JudgeLabeler(judges=[ep(server, "judge-a"), ep(server, "judge-c")], votes=3, temperature=0.8)
    labs = labeler.label_batch(rows)
    assert [first_error(lab, len(r["steps"])) for lab, r in zip(labs, rows)] == GOLD[:4]
    ev = json.loads(labs[1].verdicts[1]["evidence"])
    assert len(ev["votes"]) == 6 and {v["model"] for v in ev["votes"]} == {"judge-a", "judge-c"}
    assert server.stats()["total"] == 8  # one request with n=3 per chain and judge
    assert labs[0].verdicts[0]["score"] == 1.0


@pytest.mark.parametrize("style", ["fenced", "boxed"])
def test_tolerant_styles(server, style):
    server.configure(script=scripts_from_sample(PROBLEMS, judge_style=style))
    rows = chains()
    labs = JudgeLabeler(endpoint=ep(server, response_format="none")).label_batch(rows)
    assert [first_error(lab, len(r["steps"])) for lab, r in zip(labs, rows)] == GOLD
    if style == "boxed":  # ProcessBench convention: steps after the first error are not rated
        i = GOLD.index(1)
        assert labs[i].verdicts[2]["rating"] is None


@pytest.mark.parametrize("style", ["malformed", "partial"])
def test_malformed_or_partial_answers_abstain_with_the_raw_text(server, style):
    server.configure(script=scripts_from_sample(PROBLEMS, judge_style=style))
    rows = chains()
    labs = JudgeLabeler(endpoint=ep(server)).label_batch(rows)
    for row, lab in zip(rows, labs):
        assert set(lab.verdicts) == set(range(len(row["steps"])))
    abstained = [v for lab in labs for v in lab.verdicts.values() if v["rating"] is None]
    assert abstained
    ev = json.loads(abstained[0]["evidence"])
    assert ev["abstains"][0]["raw"] and ev["abstains"][0]["why"]
    if style == "malformed":
        assert ev["abstains"][0]["raw"].startswith("I think the solution")
        assert all(v["rating"] is None for lab in labs for v in lab.verdicts.values())


def test_failed_requests_are_no_labels_and_rejected_ones_abstain(server, monkeypatch):
    """A failure that may pass stops the batch (its rows wait for a re-run); a request the server
    rejects as malformed is an abstain with the error. Neither shows the API key."""
    monkeypatch.setenv("JUDGE_KEY", "sk-judge-SECRET-42")
    server.configure(faults={"rate": 1.0, "kinds": ["503", "drop"]})
    with pytest.raises(RequestsFailed, match="re-run") as info:
        JudgeLabeler(endpoint=ep(server, max_retries=1, api_key_env="JUDGE_KEY")).label_batch(chains()[:3])
    assert "SECRET" not in str(info.value)
    server.configure(faults={"rate": 1.0, "kinds": ["400"]})
    labs = JudgeLabeler(endpoint=ep(server, max_retries=1, api_key_env="JUDGE_KEY")).label_batch(chains()[:3])
    for lab in labs:
        for v in lab.verdicts.values():
            assert v["rating"] is None and "request failed" in v["evidence"] and "HTTP 400" in v["evidence"]
            assert "SECRET" not in v["evidence"]


def test_mixed_faults_every_step_gets_a_verdict_once_requests_get_through(server):
    server.configure(faults={"rate": 0.3, "seed": 3})
    rows = chains()
    labeler = JudgeLabeler(endpoint=ep(server, timeout=0.5, max_retries=1), votes=2)
    for attempt in range(10):  # a batch with a failed request waits; the re-run sends only what is missing
        try:
            labs = labeler.label_batch(rows)
            break
        except RequestsFailed:
            continue
    else:
        pytest.fail("the batch never got through")
    assert attempt >= 1 and server.stats()["max_served_per_key"] == 1
    for row, lab in zip(rows, labs):
        assert set(lab.verdicts) == set(range(len(row["steps"])))
        for v in lab.verdicts.values():
            assert v["rating"] is not None, v
    assert sum(server.stats()["faults"].values()) > 0


def test_other_domains_are_skipped(server):
    row = chains()[0]
    row["domain"] = "code"
    assert JudgeLabeler(endpoint=ep(server)).label_batch([row])[0].verdicts == {}
    assert server.stats()["total"] == 0


def test_structured_output_the_server_refuses_falls_back_at_once(server):
    # llama.cpp's Python server answers response_format json_schema with a 500 validation error
    script = scripts_from_sample(PROBLEMS)
    script["reject_response_format"] = ["json_schema", "json_object"]
    server.configure(script=script)
    rows = chains()[:4]
    labeler = JudgeLabeler(endpoint=ep(server, max_retries=0))
    labs = labeler.label_batch(rows)
    assert [first_error(lab, len(r["steps"])) for lab, r in zip(labs, rows)] == GOLD[:4]
    faults = server.stats()["faults"]["response_format"]
    assert faults <= 2 + 2 * 3  # learnt within the first concurrent requests, not paid per chain
    server.reset()
    labeler.label_batch(chains()[4:8])
    assert "response_format" not in server.stats()["faults"]


@pytest.mark.parametrize("mode, reason", [("chain", "error"), ("step", "the step follows from the previous ones")])
def test_a_judge_that_gives_every_step_the_same_reason_abstains(server, mode, reason):
    """A one-word reason on every step (chain mode), or one sentence copied onto every step (step
    mode, across its per-step answers): the judge did not look at the steps."""
    script = scripts_from_sample(PROBLEMS)
    for entry in script["judge"]:
        entry["reason"] = reason
    server.configure(script=script)
    rows = [r for r in chains() if len(r["steps"]) >= 2][:3]
    for lab in JudgeLabeler(endpoint=ep(server), mode=mode).label_batch(rows):
        for v in lab.verdicts.values():
            evidence = json.loads(v["evidence"])
            assert v["rating"] is None and evidence["votes"] == [], evidence
            assert all("degenerate answer" in a["why"] for a in evidence["abstains"])


@pytest.mark.parametrize("mode", ["chain", "step"])
def test_a_rating_its_reason_contradicts_or_a_stock_reason_abstains_alone(server, mode):
    rows = chains()
    row = next(r for r in rows if len(r["steps"]) >= 4)
    steps = [s["text"] for s in row["steps"]]
    n = len(steps)
    reasons = [f"Restates the question: {steps[0][:20]}", "This is a mistake.",  # +1 under a reason announcing an error
               "This step looks fine to me.", "This step looks fine to me."] + [f"Reads {s[:15]}" for s in steps[4:]]
    script = scripts_from_sample(PROBLEMS)
    script["judge"].insert(0, {"match": [row["problem"], *steps], "ratings": [1] * n, "reasons": reasons})
    server.configure(script=script)
    labeling = JudgeLabeler(endpoint=ep(server), mode=mode).label_batch([row])[0]
    ratings = [labeling.verdicts[i]["rating"] for i in range(n)]
    assert ratings == [1, None, None, None] + [1] * (n - 4)
    why = {i: json.loads(labeling.verdicts[i]["evidence"])["abstains"][0] for i in (1, 2, 3)}
    assert why[1]["why"].startswith("contradiction: rated +1 but its reason says the step is wrong")
    assert why[1]["rating_given"] == 1 and why[1]["reason"] == "This is a mistake."
    assert all(why[i]["why"].startswith("stock reason: the same sentence for steps 2, 3") for i in (2, 3))
