"""Monte-Carlo rollout labels (Math-Shepherd estimates; OmegaPRM-style binary search).

From the prefix of steps 0..i the policy writes k completions; the outcome verifier (math answer
equivalence, or the code sandbox's unit tests) checks each. Per rolled-out step: MC value = share
correct (the verdict's score, Math-Shepherd's soft estimate) and the hard estimate as the rating
(+1 if any completion is right, else -1), with the counts as evidence.

Modes:
- `exhaustive`: every prefix 0..M-2 gets k rollouts; the last step is judged by the chain's own
  final answer (a prefix that is the whole chain has nothing left to complete).
- `binary`: find the first step whose prefix can no longer reach the right answer by bisection,
  about k·log2(M) rollouts instead of k·M. A chain whose own answer is right needs none: it is
  itself a right completion of every prefix, so every hard estimate is +1. A prefix stops
  sampling at its first right completion (`early_stop`: one suffices for the hard estimate). Steps
  not rolled out are labeled by inference (monotone MC value) and their evidence says so.

A budget per chain (`max_rollouts_per_chain`) leaves what it cannot afford as abstains; the
per-build budget is the LLM layer's ledger and stops the build cleanly.
"""
from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from pydantic import Field

from ...verifiers.math import answers_equal
from ...verifiers.math.extract import extract_answer
from ..llm.budget import BudgetExhausted, Ledger
from ..llm.cache import RequestCache
from ..llm.client import LLMClient, LLMError, Sample
from ..llm.config import BudgetConfig, EndpointConfig, prompt_hash
from .base import Context, Labeling, Options, verdict
from .concurrent import ConcurrentLabeler

DEFAULT_TEMPLATE = "Problem:\n{problem}\n\nSolution:\n{prefix}\n\n"


class RolloutOptions(Options):
    endpoint: EndpointConfig
    k: int = Field(default=8, ge=1, le=256)
    mode: Literal["exhaustive", "binary"] = "binary"
    early_stop: bool = True  # binary mode: stop a prefix at its first right completion
    rounds: int = Field(default=4, ge=1)  # early stop samples k in this many rounds
    # completions API with the raw prefix, or a chat continuation of the assistant message
    # (vLLM/SGLang: continue_final_message)
    continuation: Literal["completions", "chat"] = "completions"
    template: str = DEFAULT_TEMPLATE  # completions prompt; {problem} and {prefix}
    temperature: float = Field(default=0.7, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=512, ge=1)
    seed: Optional[int] = 0
    max_rollouts_per_chain: Optional[int] = Field(default=None, ge=1)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    answer_timeout: float = Field(default=2.0, gt=0)
    isolation: Literal["bwrap", "rlimits"] = "bwrap"  # code chains: the sandbox level for checking completions


@dataclass
class Probe:
    """The rollouts from one prefix."""

    step: int
    right: int = 0
    total: int = 0
    failed: list[str] = field(default_factory=list)
    tokens: int = 0
    ms: float = 0.0
    cached: bool = True

    @property
    def value(self) -> Optional[float]:
        return self.right / self.total if self.total else None


class BudgetSpent(Exception):
    """This chain's rollout budget ran out."""


class RolloutLabeler(ConcurrentLabeler):
    name = "rollout"
    version = "1"
    options_model = RolloutOptions

    def __init__(self, context: Optional[Context] = None, **options: Any) -> None:
        super().__init__(context, **options)
        self._client: Optional[LLMClient] = None
        self._sandbox: Any = None
        self.rollouts = 0  # sent or read from cache, for the efficiency figures

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None, "_sandbox": None}

    @property
    def client(self) -> LLMClient:
        if self._client is None:
            self._client = LLMClient(self.opts.endpoint, RequestCache(self.context.cache_dir),
                                     Ledger(self.context.cache_dir, self.opts.budget), role="rollout")
        return self._client

    # --- prompts and checking ------------------------------------------------------------------

    def _content(self, chain: dict[str, Any], upto: int) -> tuple[Any, dict[str, Any]]:
        prefix = "\n\n".join(s["text"] for s in chain["steps"][: upto + 1])
        params = {"temperature": self.opts.temperature, "top_p": self.opts.top_p, "max_tokens": self.opts.max_tokens}
        if self.opts.continuation == "chat":
            # vLLM / SGLang: continue the assistant message instead of opening a new turn
            params.update(continue_final_message=True, add_generation_prompt=False)
            return [{"role": "user", "content": chain["problem"]}, {"role": "assistant", "content": prefix + "\n\n"}], params
        return self.opts.template.replace("{problem}", chain["problem"]).replace("{prefix}", prefix), params

    def is_right(self, chain: dict[str, Any], upto: int, completion: str) -> bool:
        """Does prefix 0..upto followed by `completion` reach the reference outcome?"""
        if chain["domain"] == "code":
            return self._code_passes(chain, [s["text"] for s in chain["steps"][: upto + 1]] + [completion])
        answer = extract_answer(completion)
        reference = chain["reference"].get("answer")
        if answer is None or not reference:
            return False
        return answers_equal(str(reference), answer, timeout=self.opts.answer_timeout).result == "equal"

    def own_answer_right(self, chain: dict[str, Any]) -> bool:
        if chain["domain"] == "code":
            return self._code_passes(chain, [s["text"] for s in chain["steps"]])
        reference, answer = chain["reference"].get("answer"), chain.get("final_answer")
        if not answer or not reference:
            return False
        return answers_equal(str(reference), answer, timeout=self.opts.answer_timeout).result == "equal"

    def _code_passes(self, chain: dict[str, Any], steps: list[str]) -> bool:
        from ...verifiers.code import Sandbox, build_program, run_tests

        if self._sandbox is None:
            self._sandbox = Sandbox(isolation=self.opts.isolation).start()
        ref = chain["reference"]
        program = build_program(steps, chain["problem"], ref.get("entry_point"))
        return run_tests(self._sandbox, program.source, ref.get("tests") or "", ref.get("entry_point")).passed

    # --- rollouts ------------------------------------------------------------------------------

    async def _probe(self, chain: dict[str, Any], upto: int, spent: list[int], early_stop: bool) -> Probe:
        probe = Probe(upto)
        content, params = self._content(chain, upto)
        k = self.opts.k
        per_round = math.ceil(k / self.opts.rounds) if early_stop else k
        seed = None if self.opts.seed is None else self.opts.seed + 1000 * upto
        for start in range(0, k, per_round):
            indices = list(range(start, min(k, start + per_round)))
            cap = self.opts.max_rollouts_per_chain
            if cap is not None and spent[0] + len(indices) > cap:
                raise BudgetSpent(f"rollout budget of {cap} per chain spent")
            spent[0] += len(indices)
            self.rollouts += len(indices)
            samples = await self.client.sample(content, params, indices, seed=seed)
            for i in indices:
                s = samples.get(i)
                if isinstance(s, BudgetExhausted):
                    raise s
                if not isinstance(s, Sample):
                    probe.failed.append(str(s) if isinstance(s, LLMError) else repr(s))
                    continue
                probe.tokens += s.tokens
                probe.ms += s.ms
                probe.cached = probe.cached and s.cached
                probe.total += 1
                probe.right += await asyncio.to_thread(self.is_right, chain, upto, s.text)
            if early_stop and probe.right:
                break
        return probe

    def _rated(self, probe: Probe) -> dict[str, Any]:
        if not probe.total:
            return verdict(self, None, json.dumps({"rollouts": 0, "failed": probe.failed[:3]}), ms=probe.ms)
        evidence = {"right": probe.right, "rollouts": probe.total, "mc_value": round(probe.value, 4),
                    "mode": self.opts.mode, "model": self.opts.endpoint.model, "prompt": self._prompt_id()}
        if probe.failed:
            evidence["failed"] = len(probe.failed)
        return verdict(self, 1 if probe.right else -1, json.dumps(evidence), score=probe.value,
                       ms=probe.ms, tokens=probe.tokens, cached=probe.cached)

    def _inferred(self, rating: int, why: str) -> dict[str, Any]:
        return verdict(self, rating, json.dumps({"inferred": True, "why": why, "mode": self.opts.mode}))

    def _prompt_id(self) -> str:
        return prompt_hash(self.opts.template if self.opts.continuation == "completions" else "chat-continuation")

    async def _label_chain(self, chain: dict[str, Any]) -> Labeling:
        n = len(chain["steps"])
        labeling = Labeling()
        own_right = await asyncio.to_thread(self.own_answer_right, chain)
        last = self._inferred(1 if own_right else -1, "the chain's own final answer is "
                              + ("right" if own_right else "wrong"))
        spent = [0]
        try:
            if self.opts.mode == "exhaustive":
                for probe in await asyncio.gather(*(self._probe(chain, i, spent, False) for i in range(n - 1))):
                    labeling.verdicts[probe.step] = self._rated(probe)
                labeling.verdicts[n - 1] = last
                return labeling
            if own_right:
                for i in range(n):
                    labeling.verdicts[i] = self._inferred(1, "the chain itself reaches the right answer from this prefix")
                return labeling
            lo, hi = 0, n - 1  # the first unreachable prefix lies in [lo, hi]; the whole chain is wrong
            while lo < hi:
                mid = (lo + hi) // 2
                probe = await self._probe(chain, mid, spent, self.opts.early_stop)
                if not probe.total:
                    raise BudgetSpent(f"no rollout from step {mid} succeeded: {'; '.join(probe.failed[:2])}")
                labeling.verdicts[mid] = self._rated(probe)
                lo, hi = (mid + 1, hi) if probe.right else (lo, mid)
        except BudgetSpent as exc:
            for i in range(n):
                labeling.verdicts.setdefault(i, verdict(self, None, json.dumps({"abstain": str(exc)})))
            return labeling
        for i in range(n):
            if i not in labeling.verdicts:
                labeling.verdicts[i] = (last if i == n - 1 and lo == n - 1 else self._inferred(
                    1 if i < lo else -1, f"binary search put the first error at step {lo}"))
        return labeling

    def flush(self) -> None:
        if self._client is not None:
            self._client.flush()  # the shared ledger is exact after every batch

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
