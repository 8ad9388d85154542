"""Generation: fill sampled chain rows with text from the policy model.

The build expands each problem into `n` rows (generator.kind "sampled", sample_index i, text "")
and hands batches of them here. Rows of one problem are asked for together — one request with
`n` where the endpoint supports it — but every sample is cached under its own index, so a batch
boundary, a retry or a resumed build never pays for a sample twice.

A sample whose request failed after retries is quarantined with the reason; a truncated sample
(finish_reason "length") keeps its text and its finish_reason, which segmentation and the outcome
labeler read (its last step is not a final answer). When the build's LLM budget is spent the
stage finishes the requests in flight (they are cached) and raises `BudgetExhausted`.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, Optional

from .llm.budget import BudgetExhausted, Ledger
from .llm.cache import RequestCache
from .llm.client import LLMClient, LLMError, Sample, run_sync
from .llm.config import GenerationConfig, load_template, params_json, prompt_hash, render
from .stages import quarantine

Rows = list[dict[str, Any]]


class GenerateStage:
    name = "generate"

    def __init__(self, config: GenerationConfig | dict, cache_dir: Optional[str] = None) -> None:
        self.config = config if isinstance(config, GenerationConfig) else GenerationConfig.model_validate(config)
        self.cache_dir = cache_dir
        self.templates = {domain: load_template(ref) for domain, ref in self.config.prompts.items()}
        self._client: Optional[LLMClient] = None

    # built lazily, in the process that uses it (Ray ships the stage or its factory to an actor)
    @property
    def client(self) -> LLMClient:
        if self._client is None:
            self._client = LLMClient(self.config.policy, RequestCache(self.cache_dir),
                                     Ledger(self.cache_dir, self.config.budget), role="policy")
        return self._client

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_client"] = None
        return state

    def prompt(self, row: dict[str, Any]) -> tuple[Any, str]:
        """(request content, the rendered prompt text) for a problem row."""
        domain = row.get("domain") or "math"
        template = self.templates.get(domain)
        if template is None:
            raise ValueError(f"no policy prompt template for domain {domain!r} (generation.prompts)")
        text = render(template, problem=row["problem"])
        if self.config.policy.api == "completions":
            return text, text
        messages = []
        if self.config.system_prompt:
            messages.append({"role": "system", "content": self.config.system_prompt})
        messages.append({"role": "user", "content": text})
        return messages, text

    def __call__(self, rows: Rows) -> Rows:
        try:
            return run_sync(self._generate(rows))
        finally:
            if self._client is not None:
                self._client.flush()  # the ledger is exact at batch granularity

    async def _generate(self, rows: Rows) -> Rows:
        cfg = self.config
        params = cfg.sampling_params()
        if not params["stop"]:
            params.pop("stop")
        groups: dict[tuple, list[int]] = defaultdict(list)
        prompts: dict[tuple, tuple[Any, str]] = {}
        for pos, row in enumerate(rows):
            if row.get("status") == "quarantined" or row["generator"].get("kind") != "sampled" or row.get("text"):
                continue  # imported chains (and already written ones) pass through untouched
            key = (row["problem_id"], row.get("domain"), row["problem"])
            if key not in prompts:
                try:
                    prompts[key] = self.prompt(row)
                except Exception as exc:
                    quarantine(row, self.name, f"{type(exc).__name__}: {exc}")
                    continue
            groups[key].append(pos)
        keys = list(groups)
        client = self.client
        results = await asyncio.gather(*(
            client.sample(prompts[k][0], params, [rows[p]["generator"].get("sample_index") or 0 for p in groups[k]],
                          seed=cfg.seed)
            for k in keys), return_exceptions=True)
        budget: Optional[BudgetExhausted] = None
        for key, result in zip(keys, results):
            for pos in groups[key]:
                row = rows[pos]
                index = row["generator"].get("sample_index") or 0
                outcome = result if isinstance(result, BaseException) else result.get(index)
                if isinstance(outcome, BudgetExhausted):
                    budget = budget or outcome
                elif isinstance(outcome, Sample):
                    self._fill(row, outcome, prompts[key][1])
                else:
                    if isinstance(outcome, LLMError):
                        reason = str(outcome)
                    elif isinstance(outcome, BaseException):
                        reason = client.describe(outcome)
                    else:
                        reason = "the endpoint returned no sample for this index"
                    quarantine(row, self.name, f"policy request failed: {reason}")
        if budget is not None:
            raise budget
        return rows

    def _fill(self, row: dict[str, Any], sample: Sample, prompt_text: str) -> None:
        cfg = self.config
        gen = row["generator"]
        gen["kind"] = "sampled"
        gen["model"] = cfg.policy.model
        gen["endpoint"] = cfg.policy.host
        gen["finish_reason"] = sample.finish_reason
        gen["seed"] = sample.seed
        gen["params"] = params_json({
            **cfg.sampling_params(), "api": cfg.policy.api, "n": sample.request_n, "base_seed": cfg.seed,
            "prompt_hash": prompt_hash(prompt_text), "system_prompt_hash":
                prompt_hash(cfg.system_prompt) if cfg.system_prompt else None,
            "usage": {"prompt_tokens": sample.prompt_tokens, "completion_tokens": sample.completion_tokens},
        })
        row["text"] = sample.text
        if not sample.text.strip():
            quarantine(row, self.name, f"policy returned an empty completion (finish_reason={sample.finish_reason})")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __del__(self) -> None:
        if getattr(self, "_client", None) is not None:  # a half-built stage holds nothing
            self.close()
