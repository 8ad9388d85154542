"""Base for labelers that wait on an LLM endpoint: a batch's chains are labeled concurrently.

The coroutines run on the LLM client's loop thread. A spent budget or a request that failed after
retries (both `StopBuild`) stops the batch only after every other chain of it has finished, so
what was already paid for is cached and a re-run sends only what is missing; any other error
propagates, and the stage wrapper quarantines the rows that cause it.
"""
from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Any, Optional

from ..errors import StopBuild
from ..llm.budget import BudgetExhausted
from ..llm.client import run_sync
from .base import Labeler, Labeling


class ConcurrentLabeler(Labeler):
    row_timeout = None  # in-process: requests have their own deadlines, and a slow endpoint is no abstain

    @abstractmethod
    async def _label_chain(self, chain: dict[str, Any]) -> Labeling:
        """Verdicts for one segmented chain, awaiting the endpoint as needed."""

    def flush(self) -> None:
        """Bring the shared budget ledger up to date (called after every batch)."""

    def label(self, chain: dict[str, Any]) -> Labeling:
        return self.label_batch([chain])[0]

    def label_batch(self, chains: list[dict[str, Any]]) -> list[Labeling]:
        try:
            return run_sync(self._label_all(chains))
        finally:
            self.flush()

    async def _label_all(self, chains: list[dict[str, Any]]) -> list[Labeling]:
        todo = [i for i, c in enumerate(chains) if c["steps"] and c["domain"] in self.domains]
        results = await asyncio.gather(*(self._label_chain(chains[i]) for i in todo), return_exceptions=True)
        out = [Labeling() for _ in chains]
        stop: Optional[StopBuild] = None
        for i, result in zip(todo, results):
            if isinstance(result, StopBuild):  # a spent budget is the reason to report first
                if stop is None or (isinstance(result, BudgetExhausted) and not isinstance(stop, BudgetExhausted)):
                    stop = result
            elif isinstance(result, BaseException):
                raise result
            else:
                out[i] = result
        if stop is not None:
            raise stop
        return out
