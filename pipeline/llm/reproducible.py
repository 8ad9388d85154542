"""Is a build's sampling seeded, and does the server reproduce it? Asked, not assumed.

A seed makes sampling repeatable only on a server whose sampling depends on the seed alone.
llama.cpp's server, for one, samples differently depending on how much of the prompt it reuses
from its cache (`"cache_prompt": false` in the request body — an endpoint's `extra_body` — turns
that off where the server honours it; llama-cpp-python's server does not). So once per build, at
the start of its first run that sends requests, every endpoint it samples from is asked another
prompt, then one short request twice in a row (the second able to reuse what the first left in
the server's cache), with the endpoint's own temperature, seed and extra body, bypassing the
request cache. The same answer twice is evidence (not proof) that a rebuild from an empty cache
gets the same samples; two answers mean it will not. Greedy endpoints (temperature 0) are probed
too (a server whose logits depend on its cache can break even greedy ties); unseeded sampling is
reported as not reproducible without a probe. The probe's requests are entered in the build's
ledger (role `probe`, counted against budgets like any other), so every count of answered
requests still agrees with the server's.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

from .budget import Ledger
from .cache import RequestCache
from .client import LLMClient, run_sync
from .config import EndpointConfig

PROBE_PROMPT = ("Write one short sentence that continues this story in your own words: The lighthouse keeper "
                "counted the ships that passed in the night, and on the seventh night")
OTHER_PROMPT = "Name three colours of autumn leaves."  # sent first, so the probe's first answer starts cold
PROBE_TOKENS = 24


@dataclass(frozen=True)
class Sampler:
    """One endpoint as a role samples from it."""

    role: str
    endpoint: EndpointConfig
    temperature: float
    top_p: float
    seed: Optional[int]


def samplers(config: Any) -> list[Sampler]:
    """The endpoints a build config samples from: the policy, each judge, the rollout policy."""
    found = []
    if config.generation is not None:
        g = config.generation
        found.append(Sampler("policy", g.policy, g.temperature, g.top_p, g.seed))
    for lc in config.labelers:
        opts = lc.options
        if lc.name == "judge":
            judges = ([opts["endpoint"]] if opts.get("endpoint") else []) + list(opts.get("judges") or [])
            for ep in judges:
                found.append(Sampler("judge", EndpointConfig.model_validate(ep), float(opts.get("temperature", 0.0)),
                                     float(opts.get("top_p", 1.0)), opts.get("seed", 0)))
        elif lc.name == "rollout":
            found.append(Sampler("rollout", EndpointConfig.model_validate(opts["endpoint"]),
                                 float(opts.get("temperature", 0.7)), float(opts.get("top_p", 1.0)), opts.get("seed", 0)))
    return found


def _body(s: Sampler, prompt: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": s.endpoint.model, "temperature": s.temperature, "top_p": s.top_p,
                            "max_tokens": PROBE_TOKENS}
    if s.seed is not None and s.endpoint.supports_seed:
        body["seed"] = s.seed
    if s.endpoint.api == "chat":
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    return body


def _text(response: dict[str, Any]) -> str:
    choice = response["choices"][0] if response.get("choices") else {}
    message = choice.get("message") if isinstance(choice, dict) else None
    return str((message or {}).get("content") or choice.get("text") or "") if isinstance(choice, dict) else ""


def probe(s: Sampler, ledger_dir: Optional[str | os.PathLike]) -> dict[str, Any]:
    """What one sampler's sampling is: seeded or not, and whether two identical requests agreed."""
    seeded = s.seed is not None and s.endpoint.supports_seed
    said: dict[str, Any] = {"role": s.role, "model": s.endpoint.model, "endpoint": s.endpoint.host,
                            "temperature": s.temperature, "seed": s.seed if seeded else None,
                            "extra_body": dict(s.endpoint.extra_body), "seeded": seeded}
    if not seeded and s.temperature > 0:
        why = "no seed configured" if s.seed is None else "the endpoint takes no seed (supports_seed: false)"
        return {**said, "reproducible": False, "how": f"unseeded sampling ({why}): a rebuild samples anew"}
    client = LLMClient(s.endpoint, RequestCache(None), Ledger(ledger_dir), role="probe")
    try:
        answers = []
        # another prompt first (what the server holds from before is not the probe's), then the probe twice
        # in a row: the second may reuse what the first left in the server's cache
        for n, prompt in enumerate((OTHER_PROMPT, PROBE_PROMPT, PROBE_PROMPT)):
            # `user` (an end-user tag no server samples by) tells the two probes apart for anyone counting
            # requests: the build never sends a request twice, and the probe is no exception
            body = {**_body(s, prompt), "user": f"steplabel-sampling-probe-{n}"}
            response, _ms, attempts = run_sync(client.request(body))
            usage = response.get("usage") or {}
            client.ledger.record("probe", int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                                 attempts=attempts, samples=1)
            answers.append(_text(response))
    except Exception as exc:  # an endpoint that does not answer now says nothing about its sampling
        return {**said, "reproducible": None, "how": f"not probed: {type(exc).__name__}: {str(exc)[:200]}"}
    finally:
        client.close()
    kind = "greedy (temperature 0)" if s.temperature == 0 else "seeded"
    if answers[1] == answers[2]:
        return {**said, "reproducible": True, "how": f"two identical {kind} requests in a row got the same answer"}
    return {**said, "reproducible": False,
            "how": f"two identical {kind} requests in a row got different answers: the server's sampling depends on "
                   "more than the request (llama.cpp's server: set extra_body cache_prompt: false where it honours it)"}


def sampling_report(config: Any, ledger_dir: Optional[str | os.PathLike]) -> list[dict[str, Any]]:
    """`probe` for every endpoint the build samples from (each endpoint and role once)."""
    seen, out = set(), []
    for s in samplers(config):
        key = (s.role, s.endpoint.base_url, s.endpoint.model, s.temperature, s.seed)
        if key not in seen:
            seen.add(key)
            out.append(probe(s, ledger_dir))
    return out
