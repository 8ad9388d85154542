"""Per-build accounting of paid LLM requests and tokens, shared by every process of a build.

The ledger is `<cache_dir>/ledger.json`, updated under an exclusive `fcntl` lock on
`<cache_dir>/ledger.lock`, so Ray actors in several processes of one machine add to the same
totals. (On a multi-node cluster the cache dir must be a shared filesystem with working POSIX
locks, or each node keeps its own ledger.) Cache hits are free and not counted.

`reserve()` is called before a request goes out: when a ceiling of the `BudgetConfig` is already
reached it raises `BudgetExhausted`, a `StopBuild`, so the build stops cleanly. Requests in flight
when the ceiling is reached still finish (and are cached), so the token ceiling can be overshot by
at most the in-flight requests.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from ..stages import StopBuild
from .config import BudgetConfig


class BudgetExhausted(StopBuild):
    """The build's LLM budget is spent; the build stops cleanly and can resume with a larger one."""


_EMPTY = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "failed": 0}


class Ledger:
    def __init__(self, root: str | os.PathLike | None, budget: Optional[BudgetConfig] = None) -> None:
        self.budget = budget or BudgetConfig()
        self.root = Path(root) if root is not None else None
        self._mutex = threading.Lock()
        self._memory: dict[str, dict[str, int]] = {}
        if self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _locked(self) -> Iterator[dict[str, dict[str, int]]]:
        with self._mutex:
            if self.root is None:
                yield self._memory
                return
            with open(self.root / "ledger.lock", "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    path = self.root / "ledger.json"
                    try:
                        data = json.loads(path.read_text())
                    except (FileNotFoundError, ValueError):
                        data = {}
                    before = json.dumps(data, sort_keys=True)
                    yield data
                    if json.dumps(data, sort_keys=True) != before:
                        tmp = path.with_name(f".ledger.{os.getpid()}.tmp")
                        tmp.write_text(json.dumps(data, sort_keys=True))
                        os.replace(tmp, path)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _total(data: dict[str, dict[str, int]]) -> dict[str, int]:
        out = dict(_EMPTY)
        for role in data.values():
            for k in out:
                out[k] += int(role.get(k, 0))
        return out

    def reserve(self, role: str) -> None:
        """Count one request about to be sent, or raise BudgetExhausted if a ceiling is reached."""
        b = self.budget
        with self._locked() as data:
            total = self._total(data)
            if b.max_requests is not None and total["requests"] >= b.max_requests:
                raise BudgetExhausted(f"LLM budget spent: {total['requests']} requests (max_requests={b.max_requests})")
            tokens = total["prompt_tokens"] + total["completion_tokens"]
            if b.max_tokens is not None and tokens >= b.max_tokens:
                raise BudgetExhausted(f"LLM budget spent: {tokens} tokens (max_tokens={b.max_tokens})")
            entry = data.setdefault(role, dict(_EMPTY))
            entry["requests"] = entry.get("requests", 0) + 1

    def record(self, role: str, prompt_tokens: int = 0, completion_tokens: int = 0, failed: bool = False) -> None:
        with self._locked() as data:
            entry = data.setdefault(role, dict(_EMPTY))
            entry["prompt_tokens"] = entry.get("prompt_tokens", 0) + int(prompt_tokens)
            entry["completion_tokens"] = entry.get("completion_tokens", 0) + int(completion_tokens)
            if failed:
                entry["failed"] = entry.get("failed", 0) + 1

    def totals(self) -> dict[str, Any]:
        """{"total": {...}, "<role>": {...}}: requests sent, tokens, requests failed after retries."""
        with self._locked() as data:
            snapshot = json.loads(json.dumps(data))
        return {"total": self._total(snapshot), **snapshot}


def read_ledger(cache_dir: str | os.PathLike) -> dict[str, Any]:
    """Token/request totals of a build (for the dataset card): {} when the build used no LLM."""
    path = Path(cache_dir) / "ledger.json"
    if not path.exists():
        return {}
    return Ledger(cache_dir).totals()
