"""LLMClients: one cache and one ledger for a stage's clients, built where they are used, dropped
on pickling (Ray ships stages to actors), closed once. No request is sent."""
from __future__ import annotations

import pickle

import pytest

from steplabel.pipeline.llm.clients import LLMClients
from steplabel.pipeline.llm.config import BudgetConfig, EndpointConfig


def endpoints() -> list[EndpointConfig]:
    return [EndpointConfig(base_url="http://127.0.0.1:9/v1", model=m) for m in ("judge-a", "judge-b")]


def test_clients_share_one_cache_and_ledger_and_are_dropped_on_pickling(tmp_path):
    holder = LLMClients(endpoints(), tmp_path, BudgetConfig(max_requests=5), role="judge")
    a, b = holder.all
    assert holder.first is a and [c.endpoint.model for c in holder.all] == ["judge-a", "judge-b"]
    assert a.cache is b.cache and a.ledger is b.ledger and a.role == b.role == "judge"
    assert a.ledger.budget.max_requests == 5 and a.cache.base == tmp_path
    copy = pickle.loads(pickle.dumps(holder))
    assert copy._clients is None and holder._clients is not None  # rebuilt in the process that uses it
    assert copy.first is not a and copy.first.cache.base == tmp_path
    holder.close()
    assert holder._clients is None
    holder.close()  # closing twice is harmless


def test_no_endpoint_is_an_error():
    with pytest.raises(ValueError, match="no endpoint"):
        LLMClients([], None, role="policy")
