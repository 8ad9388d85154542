"""Base for labelers that wait on an LLM endpoint: a batch's chains are labeled concurrently.

Under `merge.cascade` (cascade.py) a chain whose every step an earlier labeler of the merge
decided is not asked about at all, and a subclass gets the steps it may skip in the others; each
skipped step gets a skip verdict saying why and what was not asked for.

The coroutines run on the LLM client's loop thread. A spent budget or a request that failed after
retries (both `StopBuild`) stops the batch only after every other chain of it has finished, so
what was already paid for is cached and a re-run sends only what is missing; any other error
propagates, and the stage wrapper quarantines the rows that cause it.
"""
from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Any, Optional

from ..cascade import skip_evidence
from ..errors import StopBuild
from ..llm.budget import BudgetExhausted
from ..llm.client import run_sync
from .base import Labeler, Labeling, verdict


class ConcurrentLabeler(Labeler):
    row_timeout = None  # in-process: requests have their own deadlines, and a slow endpoint is no abstain
    cascades = True  # under merge.cascade: the requests are the cost worth saving

    @abstractmethod
    async def _label_chain(self, chain: dict[str, Any], skipped: frozenset[int] = frozenset()) -> Labeling:
        """Verdicts for one segmented chain, awaiting the endpoint as needed. `skipped`: steps the
        merge does not need this labeler for (the cascade; never all of them); empty without one."""

    def samples_for(self, chain: dict[str, Any]) -> tuple[int, bool]:
        """The samples (completions) labeling the whole chain would ask for, and whether that number
        is only a bound (what rollouts ask depends on their answers): what a skipped chain saves."""
        return 0, True

    def skip_verdict(self, why: str, samples: int = 0, at_most: bool = False) -> dict[str, Any]:
        """A step the cascade spares this labeler: no rating, no request, the reason and the saving."""
        return verdict(self, None, skip_evidence(why, samples, at_most))

    def _skips(self, chain: dict[str, Any]) -> dict[int, str]:
        cascade = self.context.cascade
        return cascade.skips(chain, self.name) if cascade is not None else {}

    def _skipped_chain(self, chain: dict[str, Any], skips: dict[int, str]) -> Labeling:
        samples, at_most = self.samples_for(chain)
        return Labeling(verdicts={i: self.skip_verdict(why, samples if i == 0 else 0, at_most)
                                  for i, why in skips.items()})

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
        out = [Labeling() for _ in chains]
        skips = {i: self._skips(chains[i]) for i in todo}
        for i in todo:
            if len(skips[i]) == len(chains[i]["steps"]):  # decided before this labeler: nothing to ask
                out[i] = self._skipped_chain(chains[i], skips[i])
        todo = [i for i in todo if len(skips[i]) < len(chains[i]["steps"])]
        results = await asyncio.gather(*(self._label_chain(chains[i], frozenset(skips[i])) for i in todo),
                                       return_exceptions=True)
        stop: Optional[StopBuild] = None
        for i, result in zip(todo, results):
            if isinstance(result, StopBuild):  # a spent budget is the reason to report first
                if stop is None or (isinstance(result, BudgetExhausted) and not isinstance(stop, BudgetExhausted)):
                    stop = result
            elif isinstance(result, BaseException):
                raise result
            else:
                for step, why in skips[i].items():  # what the labeler left out because the merge did not need it
                    result.verdicts.setdefault(step, self.skip_verdict(why))
                out[i] = result
        if stop is not None:
            raise stop
        return out
