"""Per-build accounting of LLM requests and tokens, shared by every process of a build.

The ledger is `<cache_dir>/ledger.json`, updated under an exclusive `fcntl` lock on
`<cache_dir>/ledger.lock`, so Ray actors in several processes of one machine add to the same
totals. (On a multi-node cluster the cache dir must be a shared filesystem with working POSIX
locks, or each node keeps its own ledger.)

Per role (policy, judge, rollout) it counts, each once (`COUNTS`): `requests` sent (what a
budget's `max_requests` limits), of which `answered` and `failed` (after retries, or at once for
a request the server rejects), the HTTP `attempts` of all of them and the `failed_attempts` of
the failed ones, the `samples` (completions) the answers held, `cache_hits` (samples read from
the request cache instead: free), and the answers' `prompt_tokens` and `completion_tokens`.
`usage()` adds `tokens` and `retried_attempts` (attempts that failed before their request was
answered); `difference()` gives one run's share of two snapshots.

`reserve()` is called before a request goes out: when a ceiling of the `BudgetConfig` is already
reached it raises `BudgetExhausted`, a `StopBuild`, so the build stops cleanly. Requests in flight
when the ceiling is reached still finish (and are cached), so the token ceiling can be overshot by
at most the in-flight requests.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

from ..atomic import write_atomic
from ..errors import StopBuild
from .config import BudgetConfig


class BudgetExhausted(StopBuild):
    """The build's LLM budget is spent; the build stops cleanly and can resume with a larger one."""


COUNTS = ("requests", "answered", "failed", "attempts", "failed_attempts", "samples", "cache_hits",
          "prompt_tokens", "completion_tokens")
_EMPTY = dict.fromkeys(COUNTS, 0)


class Ledger:
    """Counts requests and tokens per role; shared through `<root>/ledger.json` (see the module doc).

    To keep the lock off the hot path, each process adds its counts to the shared file at most
    every `sync_every` seconds or `sync_requests` requests (and on `flush()`/close), and checks the
    ceilings against the shared totals of its last sync plus its own unsynced counts. With P
    processes the request ceiling can be overshot by at most P x `sync_requests`; a SIGKILLed
    process loses at most its unsynced counts (never cached answers).
    """

    def __init__(self, root: str | os.PathLike | None, budget: Optional[BudgetConfig] = None,
                 sync_every: float = 0.25, sync_requests: int = 32) -> None:
        self.budget = budget or BudgetConfig()
        self.root = Path(root) if root is not None else None
        self.sync_every = sync_every
        self.sync_requests = sync_requests
        self._mutex = threading.RLock()
        self._memory: dict[str, dict[str, int]] = {}
        self._pending: dict[str, dict[str, int]] = {}
        self._shared: dict[str, dict[str, int]] = {}  # totals in the file at the last sync
        self._pending_requests = 0
        self._last_sync = 0.0
        if self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)
            self.flush()

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
                        write_atomic(path, json.dumps(data, sort_keys=True))
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _total(*tables: dict[str, dict[str, int]]) -> dict[str, int]:
        out = dict(_EMPTY)
        for data in tables:
            for role in data.values():
                for k in out:
                    out[k] += int(role.get(k, 0))
        return out

    def flush(self) -> None:
        """Add this process's unsynced counts to the shared file and refresh the shared totals."""
        with self._locked() as data:
            for role, counts in self._pending.items():
                entry = data.setdefault(role, dict(_EMPTY))
                for k, v in counts.items():
                    entry[k] = entry.get(k, 0) + v
            if self.root is not None:
                self._shared = json.loads(json.dumps(data))
            self._pending = {}
            self._pending_requests = 0
            self._last_sync = time.monotonic()

    def _add(self, role: str, **counts: int) -> None:
        if self.root is None:
            with self._locked() as data:
                entry = data.setdefault(role, dict(_EMPTY))
                for k, v in counts.items():
                    entry[k] = entry.get(k, 0) + v
            return
        with self._mutex:
            entry = self._pending.setdefault(role, dict(_EMPTY))
            for k, v in counts.items():
                entry[k] = entry.get(k, 0) + v
            self._pending_requests += counts.get("requests", 0)
            if (self._pending_requests >= self.sync_requests
                    or time.monotonic() - self._last_sync >= self.sync_every):
                self.flush()

    def reserve(self, role: str) -> None:
        """Count one request about to be sent, or raise BudgetExhausted if a ceiling is reached."""
        b = self.budget
        with self._mutex:
            if b.max_requests is None and b.max_tokens is None:
                self._add(role, requests=1)
                return
            total = self._total(self._shared, self._pending) if self.root is not None else self._total(self._memory)
            near = b.max_requests is not None and total["requests"] + self.sync_requests >= b.max_requests
            if near and self.root is not None:  # close to the ceiling: count exactly, under the lock
                self.flush()
                total = self._total(self._shared)
            if b.max_requests is not None and total["requests"] >= b.max_requests:
                raise BudgetExhausted(f"LLM budget spent: {total['requests']} requests (max_requests={b.max_requests})")
            tokens = total["prompt_tokens"] + total["completion_tokens"]
            if b.max_tokens is not None and tokens >= b.max_tokens:
                raise BudgetExhausted(f"LLM budget spent: {tokens} tokens (max_tokens={b.max_tokens})")
            self._add(role, requests=1)
            if near:
                self.flush()

    def record(self, role: str, prompt_tokens: int = 0, completion_tokens: int = 0, attempts: int = 1,
               samples: int = 0) -> None:
        """An answered request: its tokens, the HTTP attempts it took, the samples it held."""
        self._add(role, answered=1, attempts=int(attempts), samples=int(samples), prompt_tokens=int(prompt_tokens),
                  completion_tokens=int(completion_tokens))

    def record_failure(self, role: str, attempts: int) -> None:
        """A request that failed after `attempts` HTTP attempts (retries included)."""
        self._add(role, failed=1, attempts=int(attempts), failed_attempts=int(attempts))

    def record_hits(self, role: str, samples: int) -> None:
        """Samples served from the request cache (or from an identical request in flight): free."""
        if samples:
            self._add(role, cache_hits=int(samples))

    def totals(self) -> dict[str, Any]:
        """{"total": {...}, "<role>": {...}} of `COUNTS`, over every run that used this ledger."""
        self.flush()
        with self._locked() as data:
            snapshot = json.loads(json.dumps(data))
        return {"total": self._total(snapshot), **snapshot}

    def __del__(self) -> None:
        if self._pending:
            try:
                self.flush()
            except OSError as exc:  # at interpreter exit the ledger file may be gone; say so, don't raise
                sys.stderr.write(f"steplabel: {len(self._pending)} ledger entries not recorded: {exc}\n")


def read_ledger(cache_dir: str | os.PathLike) -> dict[str, Any]:
    """Token/request totals of a build (for the dataset card): {} when the build used no LLM."""
    path = Path(cache_dir) / "ledger.json"
    if not path.exists():
        return {}
    return Ledger(cache_dir).totals()


def usage(counts: dict[str, Any]) -> dict[str, int]:
    """One role's (or the total's) counts as a reader wants them: every count once, plus `tokens`
    and `retried_attempts` (attempts that failed before their request was answered)."""
    out = {k: int(counts.get(k, 0) or 0) for k in COUNTS}
    out["tokens"] = out["prompt_tokens"] + out["completion_tokens"]
    out["retried_attempts"] = max(0, out["attempts"] - out["answered"] - out["failed_attempts"])
    return out


def ledger_usage(ledger: dict[str, Any]) -> dict[str, dict[str, int]]:
    """`usage` of every role and of the total in a `totals()` snapshot."""
    return {role: usage(counts) for role, counts in ledger.items() if isinstance(counts, dict)}


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, dict[str, int]]:
    """What one run added: `ledger_usage(after)` minus `ledger_usage(before)` per role."""
    now, then = ledger_usage(after), ledger_usage(before)
    out = {}
    for role, counts in now.items():
        old = then.get(role, {})
        out[role] = usage({k: counts[k] - old.get(k, 0) for k in COUNTS})
    return {role: c for role, c in out.items() if role == "total" or any(c.values())}
