"""The one way a stage gets its LLM clients: endpoints + the request cache + the build's budget ledger.

Generation, the judge and the rollout labeler all hold an `LLMClients`. It is cheap to build and
to pickle (Ray ships stages and labelers to actors): the clients, the request cache and the ledger
are made on first use, in the process that uses them, and pickling drops them. The clients of one
holder share one cache and one ledger, so `flush()` (after every batch) makes the build's shared
ledger exact and `close()` releases every connection once.
"""
from __future__ import annotations

import os
from typing import Any, Optional, Sequence

from .budget import Ledger
from .cache import RequestCache, open_cache
from .client import LLMClient
from .config import BudgetConfig, EndpointConfig


class LLMClients:
    def __init__(self, endpoints: Sequence[EndpointConfig], cache_dir: str | os.PathLike | None,
                 budget: Optional[BudgetConfig] = None, role: str = "llm",
                 request_cache: str | os.PathLike | None = None) -> None:
        if not endpoints:
            raise ValueError(f"no endpoint given for the {role} clients")
        self.endpoints = list(endpoints)
        self.cache_dir = None if cache_dir is None else str(cache_dir)
        self.request_cache = None if request_cache is None else str(request_cache)
        self.budget = budget or BudgetConfig()
        self.role = role
        self._clients: Optional[list[LLMClient]] = None

    @property
    def all(self) -> list[LLMClient]:
        """One client per endpoint, in the order given (built on first use)."""
        if self._clients is None:
            # a shared cache (run.cache) may sit on a network filesystem (one file per entry, renamed
            # into place, is safe there with many writers; sqlite's WAL is not) or on object storage
            cache = (open_cache(self.request_cache, shared=True) if self.request_cache is not None
                     else RequestCache(self.cache_dir))
            ledger = Ledger(self.cache_dir, self.budget)
            self._clients = [LLMClient(ep, cache, ledger, role=self.role) for ep in self.endpoints]
        return self._clients

    @property
    def first(self) -> LLMClient:
        return self.all[0]

    def flush(self) -> None:
        """Write unsynced request/token counts to the build's ledger (shared by these clients)."""
        if self._clients:
            self._clients[0].flush()

    def close(self) -> None:
        if self._clients is not None:
            clients, self._clients = self._clients, None
            for c in clients:
                c.close()
            clients[0].cache.close()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_clients": None}
