"""Request cache and budget ledger under several processes writing the same directory."""
from __future__ import annotations

import json
import multiprocessing as mp

import pytest

from steplabel.pipeline.llm.budget import BudgetExhausted, Ledger, read_ledger
from steplabel.pipeline.llm.cache import RequestCache, cache_key
from steplabel.pipeline.llm.config import BudgetConfig


def test_cache_key_depends_on_everything_that_decides_the_answer():
    base = dict(model="m", api="chat", content=[{"role": "user", "content": "q"}], params={"temperature": 0.7},
                seed=0, index=0)
    k = cache_key(**base)
    assert k == cache_key(**dict(reversed(list(base.items()))))
    for change in ({"model": "m2"}, {"index": 1}, {"seed": 1}, {"params": {"temperature": 0.8}},
                   {"content": [{"role": "user", "content": "q2"}]}, {"api": "completions"}):
        assert cache_key(**{**base, **change}) != k


@pytest.mark.parametrize("backend", ["sqlite", "files"])
def test_cache_roundtrip(tmp_path, backend):
    cache = RequestCache(tmp_path, backend=backend)
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, {"text": "x"})
    assert cache.get("ab" * 32) == {"text": "x"} and len(cache) == 1
    other = RequestCache(tmp_path, backend="files" if backend == "sqlite" else "sqlite")
    assert other.get("ab" * 32) == {"text": "x"}  # either store serves a re-run


def test_torn_file_entries_are_misses(tmp_path):
    cache = RequestCache(tmp_path, backend="files")
    cache.put("ab" * 32, {"text": "x"})
    path = tmp_path / "llm" / "ab" / f"{'ab' * 32}.json"
    path.write_text('{"text": "trunc')  # a hand-damaged entry is a miss, never a crash
    assert cache.get("ab" * 32) is None
    assert not list((tmp_path / "llm").glob("*/.*.tmp"))


def _writer(root: str, worker: int, keys: int, backend: str) -> None:
    cache = RequestCache(root, backend=backend)
    ledger = Ledger(root)
    for i in range(keys):
        cache.put(cache_key(i=i), {"text": f"answer {i}", "by": worker, "pad": "x" * 2000})
        ledger.reserve("policy")
        ledger.record("policy", 3, 5)
        entry = cache.get(cache_key(i=(i * 7) % keys))  # reads race with the other writers
        assert entry is None or entry["text"] == f"answer {(i * 7) % keys}"


@pytest.mark.parametrize("backend", ["sqlite", "files"])
def test_many_processes_share_cache_and_ledger(tmp_path, backend):
    RequestCache(tmp_path, backend=backend).get("warm")  # opened before the fork: children must reopen
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), w, 150, backend)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = RequestCache(tmp_path, backend=backend)
    for i in range(150):
        entry = cache.get(cache_key(i=i))
        assert entry is not None and entry["text"] == f"answer {i}"  # whole entries, never torn
    assert len(cache) == 150
    totals = read_ledger(tmp_path)["total"]
    assert totals["requests"] == 600 and totals["prompt_tokens"] == 1800 and totals["completion_tokens"] == 3000
    if backend == "files":
        assert not list((tmp_path / "llm").glob("*/.*.tmp"))


def test_budget_across_ledgers(tmp_path):
    a = Ledger(tmp_path, BudgetConfig(max_requests=3))
    b = Ledger(tmp_path, BudgetConfig(max_requests=3))  # another process of the same build
    a.reserve("policy")
    b.reserve("judge")
    a.reserve("judge")
    with pytest.raises(BudgetExhausted, match="3 requests"):
        b.reserve("policy")
    t = Ledger(tmp_path, BudgetConfig(max_tokens=10))
    t.record("judge", 6, 4)
    with pytest.raises(BudgetExhausted, match="tokens"):
        t.reserve("judge")
    data = json.loads((tmp_path / "ledger.json").read_text())
    assert data["judge"]["requests"] == 2 and data["policy"]["requests"] == 1
