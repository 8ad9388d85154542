"""Async client for OpenAI-compatible endpoints: bounded concurrency, retries, cache and budget.

One `openai.AsyncOpenAI` per endpoint per process, living on a private event-loop thread
(`run_sync`), so synchronous callers — Ray Data actors, labelers — drive many requests at once
and keep their HTTP connections between batches.

`LLMClient.sample(...)` asks for the samples `indices` of one prompt: each index is looked up in
the request cache first; the missing ones go out as one request with `n` (contiguous runs, where
the endpoint supports `n`) or one request each (seed + index). Each returned choice is cached
under its own index, so a resumed build sends no request twice.

Retries: 429, 408/409, 5xx, timeouts, dropped connections, truncated or malformed bodies, with
exponential backoff and full jitter (a 429's Retry-After is honoured, capped). Every attempt has
an asyncio deadline on top of the HTTP client's own timeout. 400/401/403/404/422 fail at once.
API keys are read from the environment at connection time and scrubbed from every error text.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Optional, TypeVar

from ..errors import StopBuild
from .budget import BudgetExhausted, Ledger
from .cache import RequestCache, cache_key
from .config import EndpointConfig
from .timeouts import within
from .transport import make_http_client

T = TypeVar("T")

NON_RETRYABLE = {400, 401, 403, 404, 422}
_JSON_OPTIONS: dict[str, Any] = {"headers": {"Content-Type": "application/json"}}
POOL_SHARD = 8  # connections per AsyncOpenAI instance


# --- the event-loop thread ------------------------------------------------------------------------

class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="steplabel-llm-loop", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


_LOOP: Optional[_LoopThread] = None
_LOOP_LOCK = threading.Lock()


def loop_thread() -> _LoopThread:
    global _LOOP
    with _LOOP_LOCK:
        if _LOOP is None or _LOOP.pid != os.getpid() or not _LOOP.thread.is_alive():
            _LOOP = _LoopThread()
        return _LOOP


def run_sync(coro: Awaitable[T], timeout: Optional[float] = None) -> T:
    """Run a coroutine on the LLM loop thread and wait for it (callable from any non-loop thread)."""
    lt = loop_thread()
    if threading.current_thread() is lt.thread:
        raise RuntimeError("run_sync called on the LLM loop thread itself; await the coroutine instead")
    fut: Future = asyncio.run_coroutine_threadsafe(coro, lt.loop)  # type: ignore[arg-type]
    return fut.result(timeout)


# --- results ----------------------------------------------------------------------------------------

class LLMError(Exception):
    """A request that failed after retries, or at once for a 4xx that retrying cannot fix.

    `transient` is False only when the request itself is at fault (400, 422: a prompt too long for
    the model, a field the server rejects): asking again later cannot help, so the caller may
    record it. Anything else (the server down, 5xx, timeouts, 401/403/404 of a misconfigured
    endpoint) may pass, and is never written into the data as a result.
    """

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


PERMANENT = {400, 422}  # the request itself is wrong; every other failure may pass


class RequestsFailed(StopBuild):
    """Requests failed after retries: the rows that needed them wait for a re-run, which sends
    only those requests (the answered ones are cached)."""


def stop_on_failure(failures: list[BaseException]) -> None:
    """Raise the build-stopping error among a batch's failed samples, if any.

    BudgetExhausted first; then RequestsFailed for any failure that may pass on a re-run."""
    for exc in failures:
        if isinstance(exc, BudgetExhausted):
            raise exc
    transient = [e for e in failures if not (isinstance(e, LLMError) and not e.transient)]
    if transient:
        raise RequestsFailed(f"{len(transient)} LLM request(s) failed after retries "
                             f"(first: {transient[0]}); re-run to send them again")


def is_transient(result: Any) -> bool:
    """A sample result that must not become data: a failure that may pass, or a spent budget."""
    return isinstance(result, BaseException) and not (isinstance(result, LLMError) and not result.transient)


@dataclass
class Sample:
    """One sample (one choice) of one prompt."""

    index: int
    text: str
    finish_reason: Optional[str]
    prompt_tokens: int = 0  # this sample's share of the request's prompt tokens
    completion_tokens: int = 0
    ms: float = 0.0  # wall time of the request that produced it (0 when cached)
    cached: bool = False
    seed: Optional[int] = None  # seed sent with the request that produced it
    request_n: int = 1  # how many samples that request asked for
    model: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_cache(self) -> dict[str, Any]:
        return {"text": self.text, "finish_reason": self.finish_reason, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "ms": self.ms, "seed": self.seed,
                "request_n": self.request_n, "model": self.model}

    @classmethod
    def from_cache(cls, index: int, entry: dict[str, Any]) -> "Sample":
        return cls(index=index, text=entry.get("text") or "", finish_reason=entry.get("finish_reason"),
                   prompt_tokens=int(entry.get("prompt_tokens") or 0),
                   completion_tokens=int(entry.get("completion_tokens") or 0), ms=0.0, cached=True,
                   seed=entry.get("seed"), request_n=int(entry.get("request_n") or 1), model=entry.get("model", ""))


@dataclass
class ClientStats:
    requests: int = 0  # logical requests sent (successful or not)
    attempts: int = 0  # HTTP attempts including retries
    retries: int = 0
    failures: int = 0  # requests failed after retries
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: dict[str, int] = field(default_factory=dict)


# --- the client ---------------------------------------------------------------------------------------

class LLMClient:
    def __init__(self, endpoint: EndpointConfig, cache: Optional[RequestCache] = None,
                 ledger: Optional[Ledger] = None, role: str = "llm") -> None:
        self.endpoint = endpoint
        self.cache = cache if cache is not None else RequestCache(None)
        self.ledger = ledger
        self.role = role
        self.stats = ClientStats()
        self.supports_n = endpoint.supports_n
        self._client: Any = None
        self._sem: Optional[asyncio.Semaphore] = None
        self._key: Optional[str] = None
        self._inflight: dict[str, asyncio.Future] = {}  # cache key -> the answer on its way
        self._format_fallback: dict[str, Optional[dict[str, Any]]] = {}  # rejected form -> weaker one

    # the AsyncOpenAI instance and the semaphore are created on the loop that uses them
    def _ensure(self) -> None:
        if self._client is None:
            from openai import AsyncOpenAI

            env = self.endpoint.api_key_env
            self._key = os.environ.get(env) if env else None
            if env and not self._key:
                raise LLMError(f"environment variable {env} (api_key_env of {self.endpoint.model}) is not set")
            # httpcore scans its whole pool for every request, so past ~16 connections one pool
            # costs more CPU than the request itself: shard the connections over several clients
            http = make_http_client(self.endpoint.http, self.endpoint.timeout)
            shards = 1 if http is not None else max(1, -(-self.endpoint.max_concurrency // POOL_SHARD))
            self._clients = [AsyncOpenAI(base_url=self.endpoint.base_url, api_key=self._key or "EMPTY",
                                         max_retries=0, timeout=self.endpoint.timeout,
                                         http_client=http if http is not None else None)
                             for _ in range(shards)]
            self._client = self._clients[0]
            self._next = 0
            self._sem = asyncio.Semaphore(self.endpoint.max_concurrency)

    def scrub(self, text: str) -> str:
        if self._key:
            text = text.replace(self._key, "***")
        return text

    def describe(self, exc: BaseException) -> str:
        status = getattr(exc, "status_code", None)
        head = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
        msg = str(exc).strip().replace("\n", " ")
        return self.scrub(f"{head}: {msg[:300]}" if msg else head)

    async def aclose(self) -> None:
        if self._client is not None:
            try:
                for c in self._clients:
                    await c.close()
            finally:
                self._client = None

    def flush(self) -> None:
        """Write this process's unsynced request/token counts to the build's ledger."""
        if self.ledger is not None:
            self.ledger.flush()

    def close(self) -> None:
        self.flush()
        if self._client is None:
            return
        loop = _LOOP
        if sys.is_finalizing() or loop is None or loop.pid != os.getpid() or not loop.thread.is_alive():
            self._client = None  # interpreter exit or a forked child: the sockets go with the process
            return
        if threading.current_thread() is loop.thread:  # e.g. a __del__ run by the GC on the loop itself
            loop.loop.create_task(self.aclose())  # waiting here would block the loop on itself
            return
        try:
            run_sync(self.aclose(), timeout=10)
        except Exception:
            self._client = None

    # --- one HTTP request with retries ------------------------------------------------------------------

    async def _attempt(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self._client is not None
        client = self._clients[self._next % len(self._clients)]
        self._next += 1
        path = "/chat/completions" if self.endpoint.api == "chat" else "/completions"
        # the client's low-level post: its transport, auth, timeouts and error classes, but the
        # JSON comes back as a dict (the typed path's request transform and response models cost
        # more CPU per request than the HTTP exchange itself)
        payload = json.dumps({**body, **self.endpoint.extra_body}, ensure_ascii=False).encode()
        coro = client.post(path, cast_to=object, content=payload, options=_JSON_OPTIONS)
        # a deadline of our own on top of the HTTP client's timeout (connect + read + parse)
        data = await within(coro, self.endpoint.timeout + 5.0)
        if not isinstance(data, dict):
            raise LLMError(f"response is not a JSON object: {str(data)[:200]!r}")
        if "error" in data and not data.get("choices"):
            raise LLMError(f"error in response body: {str(data['error'])[:300]}")
        return data

    def _delay(self, attempt: int, exc: BaseException) -> float:
        ep = self.endpoint
        delay = random.uniform(0, min(ep.backoff_max, ep.backoff_base * (2 ** attempt)))
        response = getattr(exc, "response", None)
        if response is not None and getattr(exc, "status_code", None) == 429:
            try:
                retry_after = float(response.headers.get("retry-after", ""))
                delay = max(delay, min(retry_after, ep.backoff_max))
            except (TypeError, ValueError):
                pass
        return delay

    async def request(self, body: dict[str, Any]) -> tuple[dict[str, Any], float, int]:
        """Send one request (retrying), return (response, ms, HTTP attempts it took). Raises LLMError
        or BudgetExhausted; a failure is entered in the ledger here, an answer by the caller (with
        its tokens and samples)."""
        self._ensure()
        assert self._sem is not None
        if self.ledger is not None:
            self.ledger.reserve(self.role)
        self.stats.requests += 1
        last: Optional[BaseException] = None
        attempts = self.endpoint.max_retries + 1
        start = time.perf_counter()
        attempt = 0  # failed attempts that count against max_retries
        tries = 0  # every HTTP attempt of this request
        while attempt < attempts:
            try:
                async with self._sem:
                    self.stats.attempts += 1
                    tries += 1
                    response = await self._attempt(body)
                if not isinstance(response.get("choices"), list) or not response["choices"]:
                    raise LLMError("response has no choices")
                return response, (time.perf_counter() - start) * 1000.0, tries
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # classified below
                last = exc
                name = type(exc).__name__
                self.stats.errors[name] = self.stats.errors.get(name, 0) + 1
                status = getattr(exc, "status_code", None)
                weaker = _weaker_format(body.get("response_format")) if _format_rejected(exc) else False
                if weaker is not False:  # the server refuses this structured-output form: a weaker one, at once
                    self._format_fallback[_format_kind(body.get("response_format"))] = weaker
                    body = {k: v for k, v in body.items() if k != "response_format"}
                    if weaker is not None:
                        body["response_format"] = weaker
                    continue
                attempt += 1
                if status in NON_RETRYABLE:
                    break
                if attempt < attempts:
                    self.stats.retries += 1
                    await asyncio.sleep(self._delay(attempt - 1, exc))
        self.stats.failures += 1
        if self.ledger is not None:
            self.ledger.record_failure(self.role, tries)
        assert last is not None
        status = getattr(last, "status_code", None)
        raise LLMError(f"{self.endpoint.model}: request failed after {attempt} attempt(s): {self.describe(last)}",
                       transient=status not in PERMANENT)

    # --- samples of one prompt, cached per index ------------------------------------------------------------

    def _key_for(self, content: Any, params: dict[str, Any], seed: Optional[int], index: int) -> str:
        return cache_key(model=self.endpoint.model, api=self.endpoint.api, content=content,
                         params=params, extra=self.endpoint.extra_body, seed=seed, index=index)

    async def sample(self, content: str | list[dict[str, Any]], params: dict[str, Any], indices: list[int],
                     seed: Optional[int] = None) -> dict[int, Sample | BaseException]:
        """Samples `indices` of a prompt (chat messages, or a prompt string for the completions API).

        `params` are the request's sampling fields (temperature, top_p, max_tokens, stop,
        response_format, ...). Returns index -> Sample, or the exception that ended that index's
        request (LLMError; BudgetExhausted is returned too, the caller decides when to raise it).
        """
        out: dict[int, Sample | BaseException] = {}
        keys = {i: self._key_for(content, params, seed, i) for i in indices}
        missing: list[int] = []
        waits: dict[int, asyncio.Future] = {}
        hits = 0  # samples this call reads instead of asking for: the cache's, or an identical request's in flight
        for i in sorted(set(indices)):
            entry = self.cache.get(keys[i])
            if entry is not None:
                out[i] = Sample.from_cache(i, entry)
                self.stats.cache_hits += 1
                hits += 1
            elif keys[i] in self._inflight:  # the same sample is on its way for another caller
                waits[i] = self._inflight[keys[i]]
            else:
                missing.append(i)
        if missing:
            loop = asyncio.get_running_loop()
            mine = {i: loop.create_future() for i in missing}
            for i, fut in mine.items():
                self._inflight[keys[i]] = fut
            try:
                out.update(await self._send_runs(content, params, seed, missing, keys))
            finally:
                for i, fut in mine.items():
                    self._inflight.pop(keys[i], None)
                    result = out.get(i)
                    if fut.done():
                        continue
                    if isinstance(result, Sample):
                        fut.set_result(result)
                    else:
                        fut.set_exception(result if isinstance(result, BaseException) else LLMError("cancelled"))
                        fut.exception()  # retrieved here, so an unawaited future logs nothing
        for i, fut in waits.items():
            try:
                shared = await asyncio.shield(fut)
                out[i] = replace(shared, cached=True, ms=0.0)
                self.stats.cache_hits += 1
                hits += 1
            except Exception as exc:
                out[i] = exc
        if self.ledger is not None:
            self.ledger.record_hits(self.role, hits)
        return out

    async def _send_runs(self, content: Any, params: dict[str, Any], seed: Optional[int], missing: list[int],
                         keys: dict[int, str]) -> dict[int, Sample | BaseException]:
        out: dict[int, Sample | BaseException] = {}
        runs: list[list[int]] = []
        if self.supports_n:
            for i in missing:
                if runs and runs[-1][-1] == i - 1:
                    runs[-1].append(i)
                else:
                    runs.append([i])
        else:
            runs = [[i] for i in missing]
        results = await asyncio.gather(*(self._run(content, params, seed, run, keys) for run in runs),
                                       return_exceptions=True)
        for run, result in zip(runs, results):
            if isinstance(result, BaseException):
                for i in run:
                    out[i] = result
            else:
                out.update(result)
        return out

    async def _run(self, content: Any, params: dict[str, Any], seed: Optional[int], run: list[int],
                   keys: dict[int, str]) -> dict[int, Sample | BaseException]:
        body: dict[str, Any] = {"model": self.endpoint.model, **params}
        fmt = body.get("response_format")
        while _format_kind(fmt) in self._format_fallback:  # learnt: this server rejects that form
            fmt = self._format_fallback[_format_kind(fmt)]
            body.pop("response_format", None)
            if fmt is not None:
                body["response_format"] = fmt
        if self.endpoint.api == "chat":
            body["messages"] = content
        else:
            body["prompt"] = content
        req_seed = None
        if seed is not None and self.endpoint.supports_seed:
            req_seed = seed + run[0]
            body["seed"] = req_seed
        if len(run) > 1:
            body["n"] = len(run)
        response, ms, tries = await self.request(body)
        choices = [c for c in response["choices"] if isinstance(c, dict)]
        choices.sort(key=lambda c: c.get("index") or 0)
        usage = response.get("usage") or {}
        pt = int(usage.get("prompt_tokens") or 0) if isinstance(usage, dict) else 0
        ct = int(usage.get("completion_tokens") or 0) if isinstance(usage, dict) else 0
        self.stats.prompt_tokens += pt
        self.stats.completion_tokens += ct
        got = choices[: len(run)]
        if self.ledger is not None:
            self.ledger.record(self.role, pt, ct, attempts=tries, samples=len(got))
        out: dict[int, Sample | BaseException] = {}
        for j, (i, choice) in enumerate(zip(run, got)):
            if self.endpoint.api == "chat":
                message = choice.get("message") or {}
                text = (message.get("content") if isinstance(message, dict) else None) or ""
            else:
                text = choice.get("text") or ""
            if not isinstance(text, str):
                text = str(text)
            share_p = pt // len(got) + (pt % len(got) if j == 0 else 0)
            share_c = ct // len(got) + (ct % len(got) if j == 0 else 0)
            sample = Sample(index=i, text=text, finish_reason=choice.get("finish_reason"),
                            prompt_tokens=share_p, completion_tokens=share_c, ms=ms,
                            cached=False, seed=req_seed, request_n=len(run), model=self.endpoint.model)
            out[i] = sample
        # written on the loop thread: ~0.1 ms of file creation and rename is cheaper than handing
        # it to a worker thread, whose GIL hand-offs cost the loop more than the write itself
        self.cache.put_many([(keys[s.index], s.to_cache()) for s in out.values()])  # type: ignore[union-attr]
        rest = run[len(got):]
        if rest:  # the server ignored `n` (llama.cpp's server does): one request per remaining sample
            self.supports_n = False
            more = await asyncio.gather(*(self._run(content, params, seed, [i], keys) for i in rest),
                                        return_exceptions=True)
            for i, result in zip(rest, more):
                if isinstance(result, BaseException):
                    out[i] = result
                else:
                    out.update(result)
        return out


def _format_kind(fmt: Any) -> str:
    return str(fmt.get("type")) if isinstance(fmt, dict) else "none"


def _format_rejected(exc: BaseException) -> bool:
    """A 4xx/5xx whose message names response_format: the server refuses that structured-output form
    (llama.cpp's Python server answers json_schema with a 500 validation error)."""
    status = getattr(exc, "status_code", None)
    return status in (400, 422, 500) and "response_format" in str(exc)


def _weaker_format(fmt: Any) -> Any:
    """json_schema -> json_object with the schema -> no response_format; False when nothing is weaker."""
    if not isinstance(fmt, dict):
        return False
    if fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        return {"type": "json_object", **({"schema": schema} if schema else {})}
    return None
