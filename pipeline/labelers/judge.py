"""The LLM judge: per-step ratings from one or more judge models behind OpenAI-compatible endpoints.

Two modes, each with a prompt template in `configs/prompts/`:
- `chain` (default): one request per chain and vote, a whole-chain critique in the style of
  ProcessBench's critic prompt, asking for a rating of every paragraph and the first error.
- `step`: one request per step and vote, judging a step given the steps before it.

Output is asked for as JSON and read tolerantly (`judge_output`). Malformed, partial,
self-contradicting or degenerate output (every reason empty, one word, or the same) is an abstain
(rating None) for the steps it does not cover, with the raw text as evidence. So is a single rating
its own reason contradicts ("This is a mistake" under +1), and a rating whose reason the same vote
gave to another step (a stock sentence), whatever the other steps' reasons do
(`judge_consistency`): the evidence keeps the rating given and the reason.

`votes` samples per judge model (with `n` where supported) and every judge model are combined per
step (`combine`: majority — ties toward the lower rating —, mean, or min). The verdict's score is
the share of non-abstaining votes that rate the step +1. Evidence is JSON: mode, combined rule,
each model's prompt hash and params, every vote with its rating and reason, abstains with the
raw answer. A request the server rejects as malformed (400/422) is an abstain with the error as
evidence; any other failure after retries is no label at all: the batch waits for a re-run
(`RequestsFailed`), which sends only the requests still missing.
"""
from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any, Literal, Optional

from pydantic import Field, model_validator

from ..llm.client import LLMError, Sample, is_transient, stop_on_failure
from ..llm.clients import LLMClients
from ..llm.config import BudgetConfig, Domain, EndpointConfig, load_template, prompt_hash, render
from .base import Context, Labeling, Options, verdict
from .concurrent import ConcurrentLabeler
from .judge_consistency import contradiction, stock_reasons
from .judge_output import DERIVED_REASONS, MAX_RAW, parse_chain, parse_step, response_format, untrusted_reasons

DEFAULT_PROMPTS = {"chain": {"math": "prompts/judge_chain.txt"}, "step": {"math": "prompts/judge_step.txt"}}


class JudgeOptions(Options):
    judges: list[EndpointConfig] = Field(default_factory=list)
    endpoint: Optional[EndpointConfig] = None  # shorthand for a single judge
    mode: Literal["chain", "step"] = "chain"
    votes: int = Field(default=1, ge=1, le=64)  # samples per judge model
    temperature: float = Field(default=0.0, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=1024, ge=1)
    seed: Optional[int] = 0
    prompts: Optional[dict[Domain, str]] = None  # domain -> template; default per mode (math)
    combine: Literal["majority", "mean", "min"] = "majority"
    budget: BudgetConfig = Field(default_factory=BudgetConfig)

    @model_validator(mode="after")
    def _one_or_more(self) -> "JudgeOptions":
        if self.endpoint is not None:
            self.judges = [self.endpoint, *self.judges]
            self.endpoint = None
        if not self.judges:
            raise ValueError("the judge labeler needs `endpoint` or `judges` (a list of endpoints)")
        if self.prompts is None:
            self.prompts = dict(DEFAULT_PROMPTS[self.mode])
        for ref in self.prompts.values():
            load_template(ref)  # a missing template fails with the config, not in an actor
        return self


def combine(ratings: list[int], rule: str) -> Optional[int]:
    if not ratings:
        return None
    if rule == "min":
        return min(ratings)
    if rule == "mean":
        m = sum(ratings) / len(ratings)
        return 1 if m >= 0.5 else (-1 if m <= -0.5 else 0)
    counts = Counter(ratings)
    top = max(counts.values())
    return min(r for r, c in counts.items() if c == top)


# --- the labeler ----------------------------------------------------------------------------------

def _tag(steps: list[dict[str, Any]]) -> str:
    return "\n\n".join(f"<paragraph_{s['index']}>\n{s['text']}\n</paragraph_{s['index']}>" for s in steps)


class JudgeLabeler(ConcurrentLabeler):
    name = "judge"
    version = "2"  # 2: a rating its own reason contradicts, or a stock reason, is an abstain
    options_model = JudgeOptions

    def __init__(self, context: Optional[Context] = None, **options: Any) -> None:
        super().__init__(context, **options)
        assert self.opts.prompts is not None
        self.templates = {d: load_template(ref) for d, ref in self.opts.prompts.items()}
        self.domains = tuple(self.templates)  # type: ignore[misc]
        self.llm = LLMClients(self.opts.judges, self.context.cache_dir, self.opts.budget, role="judge",
                              request_cache=self.context.request_cache)

    def params(self, endpoint: EndpointConfig) -> dict[str, Any]:
        p: dict[str, Any] = {"temperature": self.opts.temperature, "top_p": self.opts.top_p,
                             "max_tokens": self.opts.max_tokens}
        fmt = response_format(endpoint, self.opts.mode)
        if fmt is not None:
            p["response_format"] = fmt
        return p

    def _content(self, endpoint: EndpointConfig, prompt: str) -> Any:
        return [{"role": "user", "content": prompt}] if endpoint.api == "chat" else prompt

    def prompts_for(self, chain: dict[str, Any]) -> list[tuple[Optional[int], str]]:
        """(step index or None for the whole chain, prompt) pairs for a chain."""
        template = self.templates[chain["domain"]]
        steps = chain["steps"]
        if self.opts.mode == "chain":
            return [(None, render(template, problem=chain["problem"], tagged_steps=_tag(steps)))]
        out = []
        for s in steps:
            before = steps[: s["index"]]
            out.append((s["index"], render(template, problem=chain["problem"],
                                           previous_steps=_tag(before) if before else "(none)",
                                           index=s["index"], step=s["text"])))
        return out

    def flush(self) -> None:
        self.llm.flush()  # one ledger shared by the judges: exact per batch

    def samples_for(self, chain: dict[str, Any]) -> tuple[int, bool]:
        prompts = 1 if self.opts.mode == "chain" else len(chain["steps"])
        return prompts * self.opts.votes * len(self.opts.judges), False

    async def _label_chain(self, chain: dict[str, Any], skipped: frozenset[int] = frozenset()) -> Labeling:
        # under a cascade the judge still rates every step of a chain it is asked about: a critique
        # covers the whole chain, and in step mode its reasons are compared across the chain's steps
        n = len(chain["steps"])
        prompts = self.prompts_for(chain)
        indices = list(range(self.opts.votes))
        jobs = [(c, step, prompt) for c in self.llm.all for step, prompt in prompts]
        results = await asyncio.gather(*(
            c.sample(self._content(c.endpoint, prompt), self.params(c.endpoint), indices, seed=self.opts.seed)
            for c, _, prompt in jobs))
        votes: dict[int, list[dict[str, Any]]] = {i: [] for i in range(n)}
        abstains: dict[int, list[dict[str, Any]]] = {i: [] for i in range(n)}
        tokens = 0
        ms = 0.0
        all_cached = True
        # a failure that may pass (or a spent budget) is no label: the chain waits for a re-run
        stop_on_failure([s for samples in results for s in samples.values() if is_transient(s)])
        for (client, step, prompt), samples in zip(jobs, results):
            model = client.endpoint.model
            targets = list(range(n)) if step is None else [step]
            for k in indices:
                s = samples.get(k)
                if not isinstance(s, Sample):  # the server rejected the request itself (400/422)
                    why = str(s) if isinstance(s, LLMError) else "no answer"
                    for t in targets:
                        abstains[t].append({"model": model, "vote": k, "why": f"request failed: {why}"})
                    all_cached = False
                    continue
                tokens += s.tokens
                ms += s.ms
                all_cached = all_cached and s.cached
                raw = s.text[:MAX_RAW]
                if s.finish_reason == "length":
                    note = "answer truncated (finish_reason=length); "
                else:
                    note = ""
                if step is None:
                    ratings, problem = parse_chain(s.text, n)
                    for t in targets:
                        if t in ratings:
                            votes[t].append({"model": model, "vote": k, "rating": ratings[t][0],
                                             "reason": ratings[t][1]})
                        else:
                            abstains[t].append({"model": model, "vote": k,
                                                "why": note + (problem or "step not rated"), "raw": raw})
                else:
                    rating, reason, problem = parse_step(s.text)
                    if rating is None:
                        abstains[step].append({"model": model, "vote": k, "why": note + (problem or ""), "raw": raw})
                    else:
                        votes[step].append({"model": model, "vote": k, "rating": rating, "reason": reason})
        if self.opts.mode == "step":
            _drop_copied_reasons(votes, abstains)
        _drop_unbacked_ratings(votes, abstains, {s["index"]: s["text"] for s in chain["steps"]})
        provenance = {
            c.endpoint.model: {"prompt": prompt_hash(self.templates[chain["domain"]]), "api": c.endpoint.api,
                               "params": {k: v for k, v in self.params(c.endpoint).items() if k != "response_format"},
                               "response_format": c.endpoint.response_format}
            for c in self.llm.all}
        labeling = Labeling()
        for i in range(n):
            ratings = [v["rating"] for v in votes[i]]
            rating = combine(ratings, self.opts.combine)
            score = sum(1 for r in ratings if r == 1) / len(ratings) if ratings else None
            evidence = {"mode": self.opts.mode, "combine": self.opts.combine, "votes": votes[i]}
            if abstains[i]:
                evidence["abstains"] = abstains[i]
            evidence["judges"] = provenance
            labeling.verdicts[i] = verdict(self, rating, json.dumps(evidence, ensure_ascii=False), score=score,
                                           ms=ms / n, tokens=tokens // n + (tokens % n if i == 0 else 0),
                                           cached=all_cached)
        return labeling

    def close(self) -> None:
        self.llm.close()


def _drop_copied_reasons(votes: dict[int, list[dict[str, Any]]], abstains: dict[int, list[dict[str, Any]]]) -> None:
    """Step mode: one vote (model, sample) that gives every step of a chain the same reason did not
    look at the steps; its ratings become abstains."""
    by_voter: dict[tuple[str, int], list[tuple[int, dict[str, Any]]]] = {}
    for step, vs in votes.items():
        for v in vs:
            by_voter.setdefault((v["model"], v["vote"]), []).append((step, v))
    for (model, k), given in by_voter.items():
        problem = untrusted_reasons([v["reason"] for _, v in given]) if len(given) > 1 else None
        if problem:
            for step, v in given:
                votes[step].remove(v)
                abstains[step].append({"model": model, "vote": k, "why": problem, "rating_given": v["rating"]})


def _drop_unbacked_ratings(votes: dict[int, list[dict[str, Any]]], abstains: dict[int, list[dict[str, Any]]],
                           step_texts: dict[int, str]) -> None:
    """A rating its own reason contradicts ("This is a mistake" under +1), or whose reason the same vote
    (model, sample) gave to another step with a different text (a stock sentence), becomes an abstain
    with the evidence (`judge_consistency.py`). Reasons the parser made up (a bare ratings list, a
    first-error index) are not the judge's words and are not read."""
    by_voter: dict[tuple[str, int], dict[int, str]] = {}
    for step, vs in votes.items():
        for v in vs:
            if v["reason"] not in DERIVED_REASONS:
                by_voter.setdefault((v["model"], v["vote"]), {})[step] = v["reason"]
    stock = {voter: stock_reasons(reasons, step_texts) for voter, reasons in by_voter.items()}
    for step, vs in votes.items():
        for v in list(vs):
            if v["reason"] in DERIVED_REASONS:
                continue
            problems = [p for p in (contradiction(v["rating"], v["reason"]),
                                    stock[(v["model"], v["vote"])].get(step)) if p]
            if problems:
                vs.remove(v)
                abstains[step].append({"model": v["model"], "vote": v["vote"], "why": "; ".join(problems),
                                       "rating_given": v["rating"], "reason": v["reason"]})
