"""GenerateStage against the scripted policy: sample chains, n per problem, per-index cache across
batches, truncation, failed requests waiting for a re-run, rejected ones quarantined, budget stop."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.generate import GenerateStage
from steplabel.pipeline.llm.budget import BudgetExhausted
from steplabel.pipeline.llm.client import RequestsFailed
from steplabel.pipeline.schema import new_chain, rows_to_table
from tests.support import sample_problems, scripts_from_sample
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.integration

PROBLEMS = sample_problems(limit=5)


@pytest.fixture(scope="module")
def server():
    with OpenAIServer(scripts_from_sample(PROBLEMS)) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(server):
    server.configure(faults={}, honor_n=True)
    server.reset()


def rows_for(problems, n):
    return [new_chain(chain_id=f"{p['problem_id']}-{i}", problem_id=p["problem_id"], problem=p["problem"],
                      reference=p["reference"], generator={"kind": "sampled", "model": "policy", "sample_index": i})
            for p in problems for i in range(n)]


def config(server, **kw):
    policy = {"base_url": server.base_url, "model": "policy", "timeout": 2, "backoff_base": 0.01,
              **kw.pop("policy", {})}
    return {"policy": policy, "n": 4, "seed": 0, **kw}


def test_generates_the_scripted_chains_with_provenance(server, tmp_path):
    stage = GenerateStage(config(server), str(tmp_path))
    rows = stage(rows_for(PROBLEMS, 4))
    for p in PROBLEMS:
        got = [r["text"] for r in rows if r["problem_id"] == p["problem_id"]]
        chains = [c["text"] for c in p["chains"]]
        assert got == [chains[j % len(chains)] for j in range(4)]  # the script cycles (seed + j)
    g = rows[0]["generator"]
    assert g["finish_reason"] == "stop" and g["endpoint"] == server.url and g["seed"] == 0
    params = json.loads(g["params"])
    assert params["temperature"] == 0.7 and params["n"] == 4 and params["api"] == "chat" and params["usage"]["completion_tokens"] > 0
    assert all(r["status"] == "labeled" for r in rows)
    assert server.stats()["total"] == len(PROBLEMS)  # one request with n=4 per problem
    rows_to_table(rows)  # the schema accepts what the stage wrote


def test_split_batches_and_reruns_pay_once(server, tmp_path):
    rows = rows_for(PROBLEMS, 4)
    first = GenerateStage(config(server), str(tmp_path))
    first(rows[:6])  # a batch boundary inside problem 2
    first(rows[6:])
    served = server.stats()["served_total"]
    again = GenerateStage(config(server), str(tmp_path))(rows_for(PROBLEMS, 4))  # a resumed build
    assert server.stats()["served_total"] == served and server.stats()["max_served_per_key"] == 1
    assert [r["text"] for r in again] == [r["text"] for r in rows]
    assert [r["generator"]["params"] for r in again] == [r["generator"]["params"] for r in rows]


def test_truncated_chain_is_marked(server):
    rows = GenerateStage(config(server, max_tokens=5), None)(rows_for(PROBLEMS[:1], 1))
    assert rows[0]["generator"]["finish_reason"] == "length" and rows[0]["status"] == "labeled"
    assert len(rows[0]["text"].split()) == 5


def test_failed_requests_stop_the_batch_and_rejected_ones_quarantine_their_rows(server, tmp_path):
    server.configure(faults={"rate": 1.0, "kinds": ["500"]})
    with pytest.raises(RequestsFailed, match="HTTP 500"):  # may pass later: never written as a result
        GenerateStage(config(server, policy={"max_retries": 1}), str(tmp_path))(rows_for(PROBLEMS[:2], 2))
    server.configure(faults={"rate": 1.0, "kinds": ["400"]})  # the request itself is refused: quarantined
    rows = GenerateStage(config(server, policy={"max_retries": 1}), None)(rows_for(PROBLEMS[:2], 2))
    assert all(r["status"] == "quarantined" for r in rows)
    assert rows[0]["status_reason"].startswith("[generate] policy request rejected: policy: request failed after 1")
    assert "HTTP 400" in rows[0]["status_reason"]
    server.configure(faults={})
    server.reset()
    rows = GenerateStage(config(server), str(tmp_path))(rows_for(PROBLEMS[:2], 2))
    assert all(r["text"] for r in rows) and server.stats()["served_total"] == 2


def test_endpoint_without_n_and_completions_api(server):
    stage = GenerateStage(config(server, policy={"supports_n": False, "api": "completions"}), None)
    rows = stage(rows_for(PROBLEMS[:2], 3))
    assert server.stats()["total"] == 6
    assert [r["generator"]["seed"] for r in rows[:3]] == [0, 1, 2]
    assert [r["text"] for r in rows[:3]] == [c["text"] for c in PROBLEMS[0]["chains"][:3]]


def test_budget_exhausted_stops_after_caching_what_came_back(server, tmp_path):
    stage = GenerateStage(config(server, budget={"max_requests": 3}), str(tmp_path))
    with pytest.raises(BudgetExhausted):
        stage(rows_for(PROBLEMS, 4))
    assert server.stats()["served_total"] == 3
    rerun = GenerateStage(config(server), str(tmp_path))(rows_for(PROBLEMS, 4))  # budget raised
    assert all(r["text"] for r in rerun) and server.stats()["served_total"] == 5


def test_imported_and_written_chains_pass_through(server):
    rows = rows_for(PROBLEMS[:1], 2)
    rows[0]["generator"] = {**rows[0]["generator"], "kind": "imported"}
    rows[0]["text"] = "given"
    rows[1]["text"] = "already written"
    out = GenerateStage(config(server), None)(rows)
    assert [r["text"] for r in out] == ["given", "already written"] and server.stats()["total"] == 0
