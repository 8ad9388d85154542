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

Before any prefix of a chain whose own answer is not right, the problem itself is probed: k
rollouts from the question alone (the same request for every chain of the problem, so cached
once). A policy that never solves the problem cannot tell a wrong step from a hard problem, so
then every step abstains with that evidence (`"policy_never_solved": true`) instead of becoming
a confident -1. A chain without a final answer (truncated, or it never states one) is not wrong:
its last prefix is rolled out like the others, and the evidence says the answer is missing.

A budget per chain (`max_rollouts_per_chain`) leaves what it cannot afford as abstains: in
exhaustive mode the prefixes past the first `cap // k`, in binary mode the steps still inside the
search's interval when it ran out (those outside it are known already); the per-build budget is
the LLM layer's ledger and stops the build cleanly.

Under `merge.cascade` (cascade.py) exhaustive rollouts skip the prefixes the merge does not need,
and the binary search stops as soon as every step left in its interval is one of those: the
probes it makes are the first ones of the full search, so every step the merge needs gets the
verdict the full search would give it, and the others a skip verdict. A request that fails
after retries is no label: the batch waits for a re-run (`RequestsFailed`), which sends only the
requests still missing.
"""
from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from pydantic import Field

from ...verifiers.math import check_final_answer
from ..llm.client import LLMClient, LLMError, Sample, is_transient, stop_on_failure
from ..llm.clients import LLMClients
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
    version = "2"  # 2: a spent per-chain budget keeps what the search already knows; cascade
    options_model = RolloutOptions

    def __init__(self, context: Optional[Context] = None, **options: Any) -> None:
        super().__init__(context, **options)
        self.llm = LLMClients([self.opts.endpoint], self.context.cache_dir, self.opts.budget, role="rollout",
                              request_cache=self.context.request_cache)
        self._sandbox: Any = None
        self.rollouts = 0  # from step prefixes, sent or read from cache, for the efficiency figures
        self.problem_rollouts = 0  # from the question alone (cached once per problem)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_sandbox": None}

    @property
    def client(self) -> LLMClient:
        return self.llm.first

    # --- prompts and checking ------------------------------------------------------------------

    def _content(self, chain: dict[str, Any], upto: int) -> tuple[Any, dict[str, Any]]:
        """The request for completions after steps 0..upto (upto = -1: from the question alone)."""
        prefix = "\n\n".join(s["text"] for s in chain["steps"][: upto + 1])
        params = {"temperature": self.opts.temperature, "top_p": self.opts.top_p, "max_tokens": self.opts.max_tokens}
        if self.opts.continuation == "chat" and upto < 0:
            return [{"role": "user", "content": chain["problem"]}], params
        if self.opts.continuation == "chat":
            # vLLM / SGLang: continue the assistant message instead of opening a new turn
            params.update(continue_final_message=True, add_generation_prompt=False)
            return [{"role": "user", "content": chain["problem"]}, {"role": "assistant", "content": prefix + "\n\n"}], params
        return self.opts.template.replace("{problem}", chain["problem"]).replace("{prefix}", prefix), params

    def is_right(self, chain: dict[str, Any], upto: int, completion: str) -> bool:
        """Does prefix 0..upto followed by `completion` reach the reference outcome?"""
        if chain["domain"] == "code":
            return self._code_passes(chain, [s["text"] for s in chain["steps"][: upto + 1]] + [completion])
        check = check_final_answer(chain["reference"].get("answer"), text=completion, timeout=self.opts.answer_timeout)
        return check.correct is True

    def own_answer_right(self, chain: dict[str, Any]) -> bool:
        if chain["domain"] == "code":
            return self._code_passes(chain, [s["text"] for s in chain["steps"]])
        check = check_final_answer(chain["reference"].get("answer"), answer=chain.get("final_answer") or None,
                                   timeout=self.opts.answer_timeout)
        return check.correct is True

    def has_final_answer(self, chain: dict[str, Any]) -> bool:
        """Code chains are checked by running them; a math chain may stop before stating an answer."""
        return chain["domain"] == "code" or bool(chain.get("final_answer"))

    def _code_passes(self, chain: dict[str, Any], steps: list[str]) -> bool:
        """The code labelers' own check (`check_code`), in a sandbox with their limits."""
        from ...verifiers.code import Sandbox, check_code
        from .code import SandboxOptions

        if self._sandbox is None:
            opts = SandboxOptions(isolation=self.opts.isolation)
            self._sandbox = Sandbox(isolation=opts.isolation, limits=opts.limits()).start()
        return check_code(self._sandbox, steps, chain["problem"], chain["reference"]).passed

    # --- rollouts ------------------------------------------------------------------------------

    async def _probe(self, chain: dict[str, Any], upto: int, spent: list[int], early_stop: bool) -> Probe:
        probe = Probe(upto)
        content, params = self._content(chain, upto)
        k = self.opts.k
        per_round = math.ceil(k / self.opts.rounds) if early_stop else k
        seed = None if self.opts.seed is None else self.opts.seed + 1000 * max(upto, 0)
        for start in range(0, k, per_round):
            indices = list(range(start, min(k, start + per_round)))
            cap = self.opts.max_rollouts_per_chain
            if cap is not None and spent[0] + len(indices) > cap:
                raise BudgetSpent(f"rollout budget of {cap} per chain spent")
            spent[0] += len(indices)
            if upto < 0:
                self.problem_rollouts += len(indices)
            else:
                self.rollouts += len(indices)
            samples = await self.client.sample(content, params, indices, seed=seed)
            # a failure that may pass (or a spent budget) is no label: the chain waits for a re-run
            stop_on_failure([s for s in samples.values() if is_transient(s)])
            for i in indices:
                s = samples.get(i)
                if not isinstance(s, Sample):  # the server rejected the request itself (400/422)
                    probe.failed.append(str(s) if isinstance(s, LLMError) else "no sample returned")
                    continue
                probe.tokens += s.tokens
                probe.ms += s.ms
                probe.cached = probe.cached and s.cached
                probe.total += 1
                probe.right += await asyncio.to_thread(self.is_right, chain, upto, s.text)
            if early_stop and probe.right:
                break
        return probe

    def _rated(self, probe: Probe, chain_right: bool = False) -> dict[str, Any]:
        """A probed step: MC value as the score; hard estimate +1 if any completion (or the chain
        itself, when its own answer is right) reaches the right answer."""
        if not probe.total:
            return verdict(self, None, json.dumps({"rollouts": 0, "failed": probe.failed[:3]}), ms=probe.ms)
        evidence = {"right": probe.right, "rollouts": probe.total, "mc_value": round(probe.value, 4),
                    "mode": self.opts.mode, "model": self.opts.endpoint.model, "prompt": self._prompt_id()}
        if probe.failed:
            evidence["failed"] = len(probe.failed)
        if chain_right and not probe.right:
            evidence["chain_is_a_right_completion"] = True
        return verdict(self, 1 if probe.right or chain_right else -1, json.dumps(evidence), score=probe.value,
                       ms=probe.ms, tokens=probe.tokens, cached=probe.cached)

    def _inferred(self, rating: int, why: str) -> dict[str, Any]:
        return verdict(self, rating, json.dumps({"inferred": True, "why": why, "mode": self.opts.mode}))

    def _prompt_id(self) -> str:
        return prompt_hash(self.opts.template if self.opts.continuation == "completions" else "chat-continuation")

    def samples_for(self, chain: dict[str, Any]) -> tuple[int, bool]:
        prefixes = len(chain["steps"]) - (1 if chain.get("final_answer") else 0)
        # bounds: k per prefix (or per probe of a search, at most log2 of them), and k from the question
        # alone unless the chain's answer is right (cached once per problem, so often nothing)
        if self.opts.mode == "exhaustive":
            return self.opts.k * (prefixes + 1), True
        if chain["outcome"].get("correct") is True:
            return 0, False  # a right chain is its own right completion: a binary search asks nothing
        return self.opts.k * (math.ceil(math.log2(prefixes + 1)) + 1), True

    async def _label_chain(self, chain: dict[str, Any], skipped: frozenset[int] = frozenset()) -> Labeling:
        n = len(chain["steps"])
        labeling = Labeling()
        answered = self.has_final_answer(chain)
        own_right = answered and await asyncio.to_thread(self.own_answer_right, chain)
        if own_right and self.opts.mode == "binary":
            for i in range(n):
                labeling.verdicts[i] = self._inferred(1, "the chain itself reaches the right answer from this prefix")
            return labeling
        try:
            if not own_right:
                problem = await self._probe(chain, -1, [0], self.opts.early_stop)
                if problem.total and not problem.right:
                    return self._never_solved(problem, n)
        except BudgetSpent as exc:
            return Labeling(verdicts={i: self._budget_abstain(exc) for i in range(n)})
        # prefixes to probe: all but the last, whose outcome is the chain's own answer when it has one
        probed = n - 1 if answered else n
        if self.opts.mode == "exhaustive":
            labeling = await self._exhaustive(chain, probed, own_right, skipped)
            if answered:
                labeling.verdicts[n - 1] = self._own_answer(own_right)
        else:
            labeling = await self._binary(chain, probed, answered, skipped)
        return labeling if answered else _no_final_answer(labeling)

    async def _exhaustive(self, chain: dict[str, Any], probed: int, own_right: bool,
                          skipped: frozenset[int]) -> Labeling:
        """k rollouts from every prefix the merge needs. A per-chain budget affords the first
        prefixes (by position, so a cascade that skips some never changes which): the rest abstain."""
        k, cap = self.opts.k, self.opts.max_rollouts_per_chain
        affordable = probed if cap is None else min(probed, cap // k)
        wanted = [i for i in range(affordable) if i not in skipped]
        results = await asyncio.gather(*(self._probe(chain, i, [0], False) for i in wanted), return_exceptions=True)
        for r in results:  # every probe finished (its answers are cached) before one stops the chain
            if isinstance(r, BaseException):
                raise r
        labeling = Labeling()
        for probe in results:
            labeling.verdicts[probe.step] = self._rated(probe, own_right)
        for i in range(affordable, probed):
            if i not in skipped:
                labeling.verdicts[i] = self._budget_abstain(BudgetSpent(f"rollout budget of {cap} per chain spent"))
        for i in skipped:
            if i < affordable:
                labeling.verdicts[i] = self.skip_verdict(self._skip_reason(chain, i), k)
        return labeling

    async def _binary(self, chain: dict[str, Any], probed: int, answered: bool, skipped: frozenset[int]) -> Labeling:
        """Bisect for the first prefix that can no longer reach the right answer: it lies in [lo, hi]
        (hi = n: none). The search stops early when every step still in [lo, hi) is one the merge does
        not need (the cascade: what it would find there changes no merged rating) or the chain's budget
        is spent; the steps outside [lo, hi) are then known as they would be at the end."""
        n = len(chain["steps"])
        labeling = Labeling()
        spent = [0]
        lo, hi = 0, probed
        stopped: Optional[BudgetSpent] = None
        try:
            while lo < hi and not all(i in skipped for i in range(lo, hi)):
                mid = (lo + hi) // 2
                probe = await self._probe(chain, mid, spent, self.opts.early_stop)
                if not probe.total:
                    raise BudgetSpent(f"no rollout from step {mid} succeeded: {'; '.join(probe.failed[:2])}")
                labeling.verdicts[mid] = self._rated(probe)
                lo, hi = (mid + 1, hi) if probe.right else (lo, mid)
        except BudgetSpent as exc:
            stopped = exc
        if lo == hi:
            where = (f"binary search put the first error at step {lo}" if lo < n else
                     "binary search found every prefix can still reach the right answer")
            for i in range(n):
                if i not in labeling.verdicts:
                    labeling.verdicts[i] = (self._own_answer(False) if i == n - 1 and lo == n - 1 and answered
                                            else self._inferred(1 if i < lo else -1, where))
            return labeling
        where = f"binary search stopped with the first error in steps {lo}..{hi}"
        left = self.opts.k * math.ceil(math.log2(hi - lo + 1))  # at most what finishing the search would ask
        for i in range(n):
            if i in labeling.verdicts:
                continue
            if i < lo or i >= hi:
                labeling.verdicts[i] = self._inferred(1 if i < lo else -1, where)
            elif stopped is not None:
                labeling.verdicts[i] = self._budget_abstain(stopped)
            else:  # the cascade's early stop: the search's remaining cost goes on the first skipped step
                labeling.verdicts[i] = self.skip_verdict(self._skip_reason(chain, i), left if i == lo else 0, True)
        return labeling

    def _skip_reason(self, chain: dict[str, Any], step: int) -> str:
        cascade = self.context.cascade
        return cascade.skips(chain, self.name).get(step, "not needed") if cascade is not None else "not needed"

    def _budget_abstain(self, exc: BaseException) -> dict[str, Any]:
        return verdict(self, None, json.dumps({"abstain": str(exc)}))

    def _own_answer(self, right: bool) -> dict[str, Any]:
        return self._inferred(1 if right else -1, "the chain's own final answer is " + ("right" if right else "wrong"))

    def _never_solved(self, problem: Probe, n: int) -> Labeling:
        """Every step abstains: a policy that never solves the problem cannot tell a wrong step from a hard problem."""
        evidence = json.dumps({"abstain": f"the policy never solved the problem from the question alone "
                               f"(0 of {problem.total} rollouts right), so its rollouts say nothing about the steps",
                               "policy_never_solved": True, "problem_rollouts": problem.total,
                               "model": self.opts.endpoint.model, "prompt": self._prompt_id()})
        labeling = Labeling()
        for i in range(n):
            labeling.verdicts[i] = verdict(self, None, evidence, tokens=problem.tokens if i == 0 else 0,
                                           ms=problem.ms if i == 0 else 0.0, cached=problem.cached)
        return labeling

    def flush(self) -> None:
        self.llm.flush()  # the shared ledger is exact after every batch

    def close(self) -> None:
        self.llm.close()
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None


def _no_final_answer(labeling: Labeling) -> Labeling:
    """Say in every verdict that the chain states no final answer (so none of it was called wrong)."""
    for v in labeling.verdicts.values():
        v["evidence"] = json.dumps({**json.loads(v["evidence"]), "final_answer": "none: the chain states no "
                                    "final answer, so its last step was rolled out too, not judged by an answer"})
    return labeling
