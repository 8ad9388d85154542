"""Generation: fill sampled chain rows with text from the policy model.

The build expands each problem into `n` rows (generator.kind "sampled", sample_index i, text "")
and hands batches of them here. Rows of one problem are asked for together — one request with
`n` where the endpoint supports it — but every sample is cached under its own index, so a batch
boundary, a retry or a resumed build never pays for a sample twice.

A truncated sample (finish_reason "length") keeps its text and its finish_reason, which
segmentation and the outcome labeler read (its last step is not a final answer). A sample the
server rejected as malformed (400/422) is quarantined with the reason. Any other failure after
retries, or a spent budget, is never written: the stage finishes the requests in flight (they are
cached) and raises `RequestsFailed` / `BudgetExhausted`, so the batch's rows wait for a re-run.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, Optional

from .llm.client import LLMError, Sample, is_transient, run_sync, stop_on_failure
from .llm.clients import LLMClients
from .llm.config import GenerationConfig, load_template, params_json, prompt_hash, render
from .stages import quarantine

Rows = list[dict[str, Any]]


class GenerateStage:
    name = "generate"

    def __init__(self, config: GenerationConfig | dict, cache_dir: Optional[str] = None,
                 request_cache: Optional[str] = None) -> None:
        self.config = config if isinstance(config, GenerationConfig) else GenerationConfig.model_validate(config)
        self.cache_dir = cache_dir
        self.templates = {domain: load_template(ref) for domain, ref in self.config.prompts.items()}
        self.llm = LLMClients([self.config.policy], cache_dir, self.config.budget, role="policy",
                              request_cache=request_cache)

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
            self.llm.flush()  # the ledger is exact at batch granularity

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
        client = self.llm.first
        results = await asyncio.gather(*(
            client.sample(prompts[k][0], params, [rows[p]["generator"].get("sample_index") or 0 for p in groups[k]],
                          seed=cfg.seed)
            for k in keys), return_exceptions=True)
        outcomes = {}
        for key, result in zip(keys, results):
            for pos in groups[key]:
                index = rows[pos]["generator"].get("sample_index") or 0
                outcomes[pos] = result if isinstance(result, BaseException) else result.get(index)
        stop_on_failure([o for o in outcomes.values() if is_transient(o)])  # the batch waits for a re-run
        for key in keys:
            for pos in groups[key]:
                outcome = outcomes[pos]
                if isinstance(outcome, Sample):
                    self._fill(rows[pos], outcome, prompts[key][1])
                else:
                    reason = str(outcome) if isinstance(outcome, LLMError) else "the endpoint returned no sample for this index"
                    quarantine(rows[pos], self.name, f"policy request rejected: {reason}")
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
        self.llm.close()

    def __del__(self) -> None:
        if getattr(self, "llm", None) is not None:  # a half-built stage holds nothing
            self.close()
