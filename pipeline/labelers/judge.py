"""The LLM judge: per-step ratings from one or more judge models behind OpenAI-compatible endpoints.

Two modes, each with a prompt template in `configs/prompts/`:
- `chain` (default): one request per chain and vote, a whole-chain critique in the style of
  ProcessBench's critic prompt, asking for a rating of every paragraph and the first error.
- `step`: one request per step and vote, judging a step given the steps before it.

Output is asked for as JSON (`response_format` with a JSON schema where the endpoint supports it)
and parsed tolerantly where it does not: a fenced or embedded JSON object, a `ratings` list, a
ProcessBench-style `\\boxed{k}` first-error index, or a bare "rating: -1". Malformed or partial output
is an abstain (rating None) for the steps it does not cover, with the raw text as evidence.

`votes` samples per judge model (with `n` where supported) and every judge model are combined per
step (`combine`: majority — ties toward the lower rating —, mean, or min). The verdict's score is
the share of non-abstaining votes that rate the step +1. Evidence is JSON: mode, combined rule,
each model's prompt hash and params, every vote with its rating and reason, abstains with the
raw answer. Requests that fail after retries are abstains with the error as evidence.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from typing import Any, Literal, Optional

from pydantic import Field, model_validator

from ..llm.budget import BudgetExhausted, Ledger
from ..llm.cache import RequestCache
from ..llm.client import LLMClient, LLMError, Sample
from ..first_error import ratings_from_first_error
from ..llm.config import BudgetConfig, EndpointConfig, load_template, prompt_hash, render
from .base import Context, Labeling, Options, verdict
from .concurrent import ConcurrentLabeler

DEFAULT_PROMPTS = {"chain": {"math": "prompts/judge_chain.txt"}, "step": {"math": "prompts/judge_step.txt"}}
MAX_RAW = 1500
MAX_REASON = 240
PLACEHOLDER_REASONS = {"...", "…", "<why>"}


class JudgeOptions(Options):
    judges: list[EndpointConfig] = Field(default_factory=list)
    endpoint: Optional[EndpointConfig] = None  # shorthand for a single judge
    mode: Literal["chain", "step"] = "chain"
    votes: int = Field(default=1, ge=1, le=64)  # samples per judge model
    temperature: float = Field(default=0.0, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=1024, ge=1)
    seed: Optional[int] = 0
    prompts: Optional[dict[str, str]] = None  # domain -> template; default per mode (math)
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


# --- response schemas ---------------------------------------------------------------------------

RATING_SCHEMA = {"type": "integer", "enum": [-1, 0, 1]}
CHAIN_SCHEMA = {
    "type": "object",
    "properties": {
        "steps": {"type": "array", "items": {
            "type": "object",
            "properties": {"index": {"type": "integer"}, "rating": RATING_SCHEMA, "reason": {"type": "string"}},
            "required": ["index", "rating", "reason"], "additionalProperties": False}},
        "first_error": {"type": "integer"},
    },
    "required": ["steps", "first_error"],
    "additionalProperties": False,
}
STEP_SCHEMA = {
    "type": "object",
    "properties": {"rating": RATING_SCHEMA, "reason": {"type": "string"}},
    "required": ["rating", "reason"],
    "additionalProperties": False,
}


def response_format(endpoint: EndpointConfig, mode: str) -> Optional[dict[str, Any]]:
    schema = CHAIN_SCHEMA if mode == "chain" else STEP_SCHEMA
    name = "step_ratings" if mode == "chain" else "step_rating"
    if endpoint.response_format == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
    if endpoint.response_format == "json_object":
        return {"type": "json_object", "schema": schema}  # llama.cpp's server honours `schema` here
    return None


# --- tolerant parsing -----------------------------------------------------------------------------

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)
_BOXED = re.compile(r"\\boxed\{\s*([+-]?\d+)\s*\}")
_WORDS = {"correct": 1, "right": 1, "good": 1, "positive": 1, "neutral": 0, "incorrect": -1, "wrong": -1,
          "error": -1, "bad": -1, "negative": -1}


def _json_objects(text: str) -> list[Any]:
    """Every balanced {...} in the text that parses as JSON, outermost first."""
    found = []
    i = 0
    while True:
        start = text.find("{", i)
        if start < 0:
            return found
        depth, in_str, esc = 0, False, False
        for j in range(start, len(text)):
            ch = text[j]
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    try:
                        found.append(json.loads(text[start:j + 1]))
                        i = j + 1
                    except ValueError:
                        i = start + 1
                    break
        else:
            return found


def normalize_rating(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return 1 if value else -1
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            return None
        r = int(round(value))
        return r if r in (-1, 0, 1) else None
    if isinstance(value, str):
        v = value.strip().lower().strip(".")
        if v in _WORDS:
            return _WORDS[v]
        try:
            return normalize_rating(float(v))
        except ValueError:
            return None
    return None


def _candidates(text: str) -> list[Any]:
    text = _THINK.sub("", text or "").strip()
    out: list[Any] = []
    try:
        out.append(json.loads(text))
    except ValueError:
        pass
    for block in _FENCE.findall(text):
        try:
            out.append(json.loads(block.strip()))
        except ValueError:
            out.extend(_json_objects(block))
    out.extend(_json_objects(text))
    return out


def parse_chain(text: str, n_steps: int) -> tuple[dict[int, tuple[int, str]], Optional[str]]:
    """A whole-chain critique → ({step: (rating, reason)}, problem or None). Never raises."""
    for obj in _candidates(text):
        if isinstance(obj, list):
            obj = {"ratings": obj}
        if not isinstance(obj, dict):
            continue
        ratings: dict[int, tuple[int, str]] = {}
        steps = obj.get("steps")
        if steps is None and isinstance(obj.get("ratings"), list):
            steps = obj["ratings"]
        if isinstance(steps, list):
            for pos, item in enumerate(steps):
                if isinstance(item, dict):
                    index = item.get("index", item.get("paragraph", item.get("step", pos)))
                    rating = normalize_rating(item.get("rating", item.get("label")))
                    reason = str(item.get("reason", item.get("explanation", "")))[:MAX_REASON]
                else:
                    index, rating, reason = pos, normalize_rating(item), ""
                try:
                    index = int(index)
                except (TypeError, ValueError):
                    continue
                if rating is not None and 0 <= index < n_steps and index not in ratings:
                    ratings[index] = (rating, reason)
        if ratings:
            if all(reason.strip() in PLACEHOLDER_REASONS for _, reason in ratings.values()):
                return {}, "the answer copies the prompt's example (every reason is a placeholder)"
            problem = _check_first_error(obj.get("first_error"), ratings, n_steps)
            if problem:
                return {}, problem
            missing = n_steps - len(ratings)
            return ratings, (f"partial answer: {missing} of {n_steps} steps unrated" if missing else None)
        fe = obj.get("first_error")
        if fe is not None:
            derived = _from_first_error(fe, n_steps)
            if derived is not None:
                return derived, None
    boxed = _BOXED.findall(_THINK.sub("", text or ""))
    if boxed:
        derived = _from_first_error(boxed[-1], n_steps)
        if derived is not None:
            return derived, None
    return {}, "no step ratings found in the answer"


def _check_first_error(value: Any, ratings: dict[int, tuple[int, str]], n_steps: int) -> Optional[str]:
    """None when the answer's `first_error` agrees with its step ratings (or is absent); a judge
    that contradicts itself is an abstain, not a label. A first error at a step it left unrated
    fills that step in."""
    if value is None or isinstance(value, bool):
        return None
    try:
        fe = int(value)
    except (TypeError, ValueError):
        return None
    said = next((i for i in sorted(ratings) if ratings[i][0] == -1), -1)
    if fe == said:
        return None
    if said == -1 and 0 <= fe < n_steps and fe not in ratings and all(i < fe for i in ratings):
        ratings[fe] = (-1, "named as the first error")
        return None
    return f"inconsistent answer: first_error={fe} but the step ratings put it at {said}"


def _from_first_error(value: Any, n_steps: int) -> Optional[dict[int, tuple[int, str]]]:
    """ProcessBench convention: steps before the first error +1, the error -1, after it unrated."""
    try:
        ratings = ratings_from_first_error(int(value), n_steps)
    except (TypeError, ValueError):
        return None
    reason = {1: "before the first error" if -1 in ratings else "no error found before or at this step",
              -1: "first error"}
    return {i: (r, reason[r]) for i, r in enumerate(ratings) if r is not None}


_RATING_WORD = re.compile(r"rating\s*(?:is|of|[:=])?\s*([+-]?[01])\b", re.I)


def parse_step(text: str) -> tuple[Optional[int], str, Optional[str]]:
    """A single-step judgement → (rating, reason, problem or None). Never raises."""
    for obj in _candidates(text):
        if isinstance(obj, dict) and ("rating" in obj or "label" in obj):
            rating = normalize_rating(obj.get("rating", obj.get("label")))
            reason = str(obj.get("reason", ""))[:MAX_REASON]
            if rating is not None and reason.strip() in PLACEHOLDER_REASONS:
                return None, "", "the answer copies the prompt's example (the reason is a placeholder)"
            if rating is not None:
                return rating, reason, None
    clean = _THINK.sub("", text or "")
    for pattern in (_BOXED, _RATING_WORD):
        found = pattern.findall(clean)
        if found:
            rating = normalize_rating(found[-1])
            if rating is not None:
                return rating, "", None
    return None, "", "no rating found in the answer"


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
    version = "1"
    options_model = JudgeOptions

    def __init__(self, context: Optional[Context] = None, **options: Any) -> None:
        super().__init__(context, **options)
        assert self.opts.prompts is not None
        self.templates = {d: load_template(ref) for d, ref in self.opts.prompts.items()}
        self.domains = tuple(self.templates)  # type: ignore[misc]
        self._clients: Optional[list[LLMClient]] = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_clients"] = None
        return state

    @property
    def clients(self) -> list[LLMClient]:
        if self._clients is None:
            cache = RequestCache(self.context.cache_dir)
            ledger = Ledger(self.context.cache_dir, self.opts.budget)
            self._clients = [LLMClient(ep, cache, ledger, role="judge") for ep in self.opts.judges]
        return self._clients

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
        if self._clients:
            self._clients[0].flush()  # one ledger shared by the judges: exact per batch

    async def _label_chain(self, chain: dict[str, Any]) -> Labeling:
        n = len(chain["steps"])
        prompts = self.prompts_for(chain)
        indices = list(range(self.opts.votes))
        jobs = [(c, step, prompt) for c in self.clients for step, prompt in prompts]
        results = await asyncio.gather(*(
            c.sample(self._content(c.endpoint, prompt), self.params(c.endpoint), indices, seed=self.opts.seed)
            for c, _, prompt in jobs))
        votes: dict[int, list[dict[str, Any]]] = {i: [] for i in range(n)}
        abstains: dict[int, list[dict[str, Any]]] = {i: [] for i in range(n)}
        tokens = 0
        ms = 0.0
        all_cached = True
        for (client, step, prompt), samples in zip(jobs, results):
            model = client.endpoint.model
            targets = list(range(n)) if step is None else [step]
            for k in indices:
                s = samples.get(k)
                if isinstance(s, BudgetExhausted):
                    raise s
                if not isinstance(s, Sample):
                    why = str(s) if isinstance(s, LLMError) else client.describe(s) if s else "no answer"
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
        provenance = {
            c.endpoint.model: {"prompt": prompt_hash(self.templates[chain["domain"]]), "api": c.endpoint.api,
                               "params": {k: v for k, v in self.params(c.endpoint).items() if k != "response_format"},
                               "response_format": c.endpoint.response_format}
            for c in self.clients}
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
        if self._clients is not None:
            for c in self._clients:
                c.close()
            self._clients = None
