"""Every endpoint a config calls, asked before any work whether it answers, and for the model named.

`steplabel check` lists what each endpoint answered; `steplabel build` stops in seconds, with exit 2,
when an answer says the config is wrong — a URL that is not an OpenAI-compatible server (refused,
unknown host, 404, not a models list), a key it refuses (401, 403), a model it does not serve —
instead of starting Ray and failing its first requests after their retries. An answer that may pass
(a timeout, 429, 5xx) is not the config's fault: `check` reports it, a build goes on and leaves it
to its requests' own deadlines and retries.

The model is found in the server's `models` list. A server that does not list it (llama.cpp's takes
any name and lists one) gets one request of one token for that model, and the model is wrong only
if that request is refused.
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from pydantic import BaseModel

from .llm.config import EndpointConfig

PROBE_DEADLINE = 3.0  # seconds for one answer
REFUSED_FOR = 2.0  # seconds a refused connection is tried again (a server restarting) before it counts
TRANSIENT_ATTEMPTS = 2  # tries of an answer that may pass (timeout, 429, 5xx)


@dataclass
class Answer:
    """What one server said: `wrong` is set when the answer means the config is wrong."""

    answers: bool = False
    ms: Optional[float] = None
    models: Optional[list[str]] = None
    error: Optional[str] = None
    wrong: bool = False
    model_note: Optional[str] = None  # how the model was found (listed, or answered a request)
    attempts: int = 0
    usage: Optional[dict[str, int]] = None  # the tokens of the model request, when the server answered one

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"answers": self.answers}
        for key in ("ms", "models", "error", "model_note"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass
class Report:
    """Per endpoint (its config path): facts for the plan; problems (`wrong` ones stop a build)."""

    facts: list[dict[str, Any]] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # the config is wrong: a build stops (exit 2)
    unanswered: list[str] = field(default_factory=list)  # may pass: check reports, a build goes on
    notes: list[str] = field(default_factory=list)
    # the usage of each model request a server answered: a build enters them in its ledger (role
    # `check`), so its count of answered requests stays the server's
    answered: list[dict[str, int]] = field(default_factory=list)


def endpoints(config: Any) -> list[tuple[str, EndpointConfig]]:
    """(dotted config path, endpoint) for every endpoint the build would call."""
    from .labelers import labeler_class

    found: list[tuple[str, EndpointConfig]] = []
    if config.generation is not None:
        found.append(("generation.policy", config.generation.policy))
    for i, lc in enumerate(config.labelers):
        opts = labeler_class(lc.name).options_model.model_validate(lc.options)
        found.extend(_walk(opts, f"labelers.{i}.options"))
    return found


def _walk(value: Any, path: str) -> Iterator[tuple[str, EndpointConfig]]:
    if isinstance(value, EndpointConfig):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}.{i}")


def probe(config: Any, deadline: float = PROBE_DEADLINE) -> Report:
    """Ask every endpoint at once (one thread per server, key and model); see the module docstring."""
    listed = endpoints(config)
    report = Report(facts=[{"at": at, "base_url": ep.base_url, "model": ep.model, "api": ep.api}
                           for at, ep in listed])
    for at, ep in listed:
        if ep.api_key_env and not os.environ.get(ep.api_key_env):
            report.wrong.append(f"{at}.api_key_env: environment variable {ep.api_key_env} is not set")
    answers: dict[tuple, Answer] = {}
    threads = []
    for _, ep in listed:
        key = (ep.base_url, ep.api_key_env, ep.model, ep.api)
        if key not in answers:
            answers[key] = Answer()
            t = threading.Thread(target=_ask, args=(ep, deadline, answers[key]), daemon=True)
            t.start()
            threads.append(t)
    end = time.monotonic() + budget(deadline) + 0.5
    for t in threads:
        t.join(max(0.0, end - time.monotonic()))
    report.answered = [a.usage for a in answers.values() if a.usage is not None]
    for f, (at, ep) in zip(report.facts, listed):
        answer = answers[(ep.base_url, ep.api_key_env, ep.model, ep.api)]
        if not answer.answers and answer.error is None:
            answer.error = f"no answer within {deadline:g} s"
        f.update(answer.facts())
        if answer.error is not None:
            (report.wrong if answer.wrong else report.unanswered).append(f"{at}: {ep.base_url}: {answer.error}")
        elif answer.model_note:
            report.notes.append(f"{at}: {answer.model_note}")
    return report


def budget(deadline: float) -> float:
    """The longest one endpoint's probe takes: its models list and a model request, each tried again."""
    return 2 * TRANSIENT_ATTEMPTS * deadline + REFUSED_FOR + 1.0


def _ask(ep: EndpointConfig, deadline: float, answer: Answer) -> None:
    start = time.perf_counter()
    status, body, error, wrong = _get(ep, "/models", None, deadline)
    if error is not None:
        answer.error, answer.wrong = f"models: {error}", wrong
        return
    try:
        data = json.loads(body)
        models = [m.get("id") for m in data.get("data", []) if isinstance(m, dict)]
    except (ValueError, AttributeError) as exc:
        answer.error, answer.wrong = f"models: not an OpenAI-style models list ({exc})", True
        return
    answer.answers, answer.models = True, models
    answer.ms = round((time.perf_counter() - start) * 1000, 1)
    if ep.model in models:
        return
    shown = ", ".join(models[:5]) + (f" and {len(models) - 5} more" if len(models) > 5 else "")
    status, body, error, wrong = _get(ep, "/completions" if ep.api == "completions" else "/chat/completions",
                                      _tiny_request(ep), deadline)
    if error is None:
        answer.usage = _usage(body)
        answer.model_note = (f"model {ep.model!r} is not among the models {ep.base_url} lists ({shown or 'none'}); "
                             "it answered a one-token request for it")
    elif wrong:
        answer.error, answer.wrong = f"model {ep.model!r}: {error} (the server lists: {shown or 'none'})", True
    else:
        answer.model_note = (f"model {ep.model!r} is not among the models {ep.base_url} lists ({shown or 'none'}), "
                             f"and a one-token request for it got no answer ({error})")


def _usage(body: bytes) -> dict[str, int]:
    try:
        usage = json.loads(body).get("usage") or {}
        return {k: int(usage.get(k) or 0) for k in ("prompt_tokens", "completion_tokens")}
    except (ValueError, AttributeError, TypeError):
        return {"prompt_tokens": 0, "completion_tokens": 0}


def _tiny_request(ep: EndpointConfig) -> dict[str, Any]:
    body: dict[str, Any] = {**ep.extra_body, "model": ep.model, "max_tokens": 1, "temperature": 0}
    if ep.api == "completions":
        body["prompt"] = "OK"
    else:
        body["messages"] = [{"role": "user", "content": "Say OK."}]
    return body


def _get(ep: EndpointConfig, path: str, body: Optional[dict[str, Any]],
         deadline: float) -> tuple[Optional[int], bytes, Optional[str], bool]:
    """GET (or POST `body`) one path: (status, body, error, the error means the config is wrong).
    A refused connection is tried again for REFUSED_FOR seconds, an answer that may pass
    TRANSIENT_ATTEMPTS times."""
    request = urllib.request.Request(f"{ep.base_url}{path}", method="POST" if body is not None else "GET",
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    key = os.environ.get(ep.api_key_env) if ep.api_key_env else None
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    first, transient = time.monotonic(), 0
    while True:
        try:
            with urllib.request.urlopen(request, timeout=deadline) as response:
                return response.status, response.read(1 << 20), None, False
        except urllib.error.HTTPError as exc:
            said = _said(exc)
            if exc.code in (408, 429) or exc.code >= 500:
                error, wrong = f"HTTP {exc.code} {exc.reason}{said}", False
            else:  # 401/403: the key; 404/405: not this URL, or no such model; 400/422: refused
                return exc.code, b"", f"HTTP {exc.code} {exc.reason}{said}", True
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, socket.gaierror):
                return None, b"", f"unknown host ({reason})", True
            if isinstance(reason, ConnectionRefusedError):
                if time.monotonic() - first < REFUSED_FOR:
                    time.sleep(0.25)
                    continue
                return None, b"", "connection refused (nothing listens there)", True
            error = f"no answer within {deadline:g} s" if isinstance(reason, (TimeoutError, socket.timeout)) \
                else f"no answer ({reason})"
            wrong = False
        transient += 1
        if transient >= TRANSIENT_ATTEMPTS:
            return None, b"", error, wrong
        time.sleep(0.5)


def _said(exc: urllib.error.HTTPError) -> str:
    """The server's own words about a refusal (an OpenAI-style error message), on one line."""
    try:
        data = json.loads(exc.read(1 << 16) or b"{}")
        message = data.get("error", {}).get("message") if isinstance(data.get("error"), dict) else data.get("error")
        message = message or data.get("message") or data.get("detail")
    except (ValueError, AttributeError, OSError):
        return ""
    return f": {' '.join(str(message).split())[:300]}" if message else ""
