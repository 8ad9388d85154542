"""The LLM client against the loopback server: n, per-index cache, retries on every fault kind,
deadlines, budget, and no API key in any error text."""
from __future__ import annotations

import asyncio
import time

import pytest

from steplabel.pipeline.llm.budget import BudgetExhausted, Ledger
from steplabel.pipeline.llm.cache import RequestCache
from steplabel.pipeline.llm.client import LLMClient, LLMError, Sample, run_sync
from steplabel.pipeline.llm.config import BudgetConfig, EndpointConfig
from steplabel.pipeline.stages import StopBuild
from tests.support.openai_server import FAULT_KINDS, OpenAIServer

pytestmark = pytest.mark.integration

PROBLEM = "What is 2 + 2?"
SCRIPT = {"policy": {PROBLEM: [f"Chain {i}.\n\nThe answer is: {i}" for i in range(6)]}}
MSG = [{"role": "user", "content": f"Solve: {PROBLEM}"}]
PARAMS = {"temperature": 0.7, "max_tokens": 50}


@pytest.fixture(scope="module")
def server():
    with OpenAIServer(SCRIPT) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(server):
    server.configure(faults={}, latency=0.0, honor_n=True, hang=30.0)
    server.reset()


def client(server, tmp_path=None, **kw) -> LLMClient:
    ep = EndpointConfig(base_url=server.base_url, model=kw.pop("model", "policy"),
                        **{"timeout": 2.0, "max_retries": 4, "backoff_base": 0.01, **kw})
    return LLMClient(ep, RequestCache(tmp_path), Ledger(tmp_path) if tmp_path else None)


def texts(result: dict) -> dict[int, str]:
    return {i: s.text for i, s in result.items()}


def test_n_in_one_request_then_every_index_from_cache(server, tmp_path):
    c = client(server, tmp_path)
    first = run_sync(c.sample(MSG, PARAMS, [0, 1, 2, 3], seed=0))
    assert texts(first) == {i: f"Chain {i}.\n\nThe answer is: {i}" for i in range(4)}
    assert server.stats()["total"] == 1 and all(not s.cached and s.request_n == 4 for s in first.values())
    # a new process (new client) on the same cache: indices 0-3 cached, 4-5 in one request with n=2
    c2 = client(server, tmp_path)
    again = run_sync(c2.sample(MSG, PARAMS, [0, 1, 2, 3, 4, 5], seed=0))
    assert [again[i].cached for i in range(6)] == [True] * 4 + [False] * 2
    assert texts(again)[4] == "Chain 4.\n\nThe answer is: 4"  # seed + index picks the same chain either way
    stats = server.stats()
    assert stats["total"] == 2 and stats["max_served_per_key"] == 1
    c.flush(), c2.flush()  # stages flush their ledger after every batch
    ledger = Ledger(tmp_path).totals()["total"]
    assert ledger["requests"] == 2 and ledger["completion_tokens"] > 0


def test_without_n_one_request_per_sample_and_server_ignoring_n(server, tmp_path):
    c = client(server, supports_n=False)
    out = run_sync(c.sample(MSG, PARAMS, [0, 1, 2], seed=10))
    assert server.stats()["total"] == 3 and [s.seed for s in out.values()] == [10, 11, 12]
    server.reset()
    server.configure(honor_n=False)  # like llama.cpp's server: one choice whatever n says
    c = client(server)
    out = run_sync(c.sample(MSG, PARAMS, [0, 1, 2], seed=0))
    assert texts(out) == {i: f"Chain {i}.\n\nThe answer is: {i}" for i in range(3)}
    assert server.stats()["total"] == 3 and c.supports_n is False


@pytest.mark.parametrize("http", ["lean", "aiohttp", "httpx"])
@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_every_fault_kind_is_retried(server, kind, http):
    server.configure(faults={"first": 2, "kinds": [kind]}, hang=5.0)
    c = client(server, timeout=0.4, http=http)
    out = run_sync(c.sample(MSG, PARAMS, [0], seed=0))
    assert isinstance(out[0], Sample) and out[0].text.startswith("Chain 0")
    stats = server.stats()
    assert stats["total"] == 3 and stats["faults"] == {kind: 2} and stats["served_total"] == 1
    assert c.stats.retries == 2


def test_failure_after_retries_and_non_retryable_errors(server):
    server.configure(faults={"rate": 1.0, "kinds": ["500"]})
    c = client(server, max_retries=2)
    out = run_sync(c.sample(MSG, PARAMS, [0]))
    assert isinstance(out[0], LLMError) and "after 3 attempt(s)" in str(out[0]) and "HTTP 500" in str(out[0])
    assert out[0].transient  # a 5xx may pass: never written as a result
    server.configure(faults={})
    bad = client(server, api="completions")
    out = run_sync(bad.sample("prompt", {**PARAMS, "max_tokens": "lots"}, [0]))  # the server answers 400
    assert isinstance(out[0], LLMError) and "after 1 attempt(s)" in str(out[0])  # not retried
    assert not out[0].transient  # the request itself is wrong: asking again cannot help


def test_completions_api(server):
    out = run_sync(client(server, api="completions").sample(f"Problem: {PROBLEM}", PARAMS, [0, 1], seed=2))
    assert texts(out) == {0: "Chain 2.\n\nThe answer is: 2", 1: "Chain 3.\n\nThe answer is: 3"}


def test_truncation_is_reported(server):
    out = run_sync(client(server).sample(MSG, {"max_tokens": 3}, [0], seed=0))
    assert out[0].finish_reason == "length" and out[0].text == "Chain 0.\n\nThe"


def test_hung_server_hits_the_deadline(server):
    server.configure(faults={"rate": 1.0, "kinds": ["timeout"]}, hang=300.0)
    t = time.perf_counter()
    out = run_sync(client(server, timeout=0.3, max_retries=1).sample(MSG, PARAMS, [0]))
    assert isinstance(out[0], LLMError) and time.perf_counter() - t < 150  # cut by its deadline, not the hang


def test_bounded_concurrency(server):
    server.configure(latency=0.2)
    c = client(server, max_concurrency=5)

    async def many():
        return await asyncio.gather(*(c.sample([{"role": "user", "content": f"q{i}"}], PARAMS, [0]) for i in range(20)))

    run_sync(many())
    assert 3 <= server.stats()["max_in_flight"] <= 5


def test_budget_stops_with_stop_build(server, tmp_path):
    c = LLMClient(EndpointConfig(base_url=server.base_url, model="policy"), RequestCache(tmp_path),
                  Ledger(tmp_path, BudgetConfig(max_requests=2)))
    run_sync(c.sample([{"role": "user", "content": "a"}], PARAMS, [0]))
    run_sync(c.sample([{"role": "user", "content": "b"}], PARAMS, [0]))
    out = run_sync(c.sample([{"role": "user", "content": "c"}], PARAMS, [0]))
    assert isinstance(out[0], BudgetExhausted) and isinstance(out[0], StopBuild)
    # cached answers stay free after the budget is spent
    again = run_sync(c.sample([{"role": "user", "content": "a"}], PARAMS, [0]))
    assert again[0].cached and server.stats()["total"] == 2


def test_api_key_never_in_errors(server, monkeypatch):
    key = "sk-test-SECRET-0123456789"
    monkeypatch.setenv("STEPLABEL_TEST_KEY", key)
    server.configure(faults={"rate": 1.0, "kinds": ["429", "500", "drop", "malformed"]})
    c = client(server, api_key_env="STEPLABEL_TEST_KEY", max_retries=3)
    out = run_sync(c.sample(MSG, PARAMS, [0]))
    assert isinstance(out[0], LLMError) and key not in str(out[0]) and key not in repr(c.stats)
    monkeypatch.delenv("STEPLABEL_TEST_KEY")
    out = run_sync(client(server, api_key_env="STEPLABEL_TEST_KEY").sample(MSG, PARAMS, [0]))
    assert isinstance(out[0], LLMError) and "STEPLABEL_TEST_KEY" in str(out[0])


def test_identical_requests_in_flight_are_sent_once(server):
    server.configure(latency=0.05)
    c = client(server)

    async def twice():
        return await asyncio.gather(c.sample(MSG, PARAMS, [0, 1], seed=0), c.sample(MSG, PARAMS, [0, 1], seed=0),
                                    c.sample(MSG, PARAMS, [1, 2], seed=0))

    a, b, d = run_sync(twice())
    assert texts(a) == texts(b) and texts(d)[1] == texts(a)[1]
    assert b[0].cached and not a[0].cached
    assert server.stats()["max_served_per_key"] == 1 and server.stats()["total"] == 2  # n=2, then index 2
