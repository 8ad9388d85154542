"""Config models for the LLM layer: endpoints (policy, judges), generation and the request budget.

API keys never appear here: an endpoint names the *environment variable* that holds its key
(`api_key_env`), and only the client reads it, at connection time.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal, Optional
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

# configs/ of the installed package (bundled build configs and prompt templates); the one definition
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointConfig(_Strict):
    """One OpenAI-compatible endpoint and the model served there."""

    base_url: str  # e.g. http://127.0.0.1:8011/v1
    model: str
    api_key_env: Optional[str] = None  # name of the env variable holding the key; None = no key
    api: Literal["chat", "completions"] = "chat"
    max_concurrency: int = Field(default=64, ge=1)  # in-flight requests per endpoint (per process)
    timeout: float = Field(default=120.0, gt=0)  # seconds per HTTP attempt
    max_retries: int = Field(default=5, ge=0)  # retries after the first attempt
    backoff_base: float = Field(default=0.5, ge=0)  # first retry waits ~base s, doubling, jittered
    backoff_max: float = Field(default=20.0, ge=0)
    supports_n: bool = True  # the server honours `n` (vLLM, OpenAI yes; llama.cpp's server no)
    supports_seed: bool = True
    # structured output: "json_schema" (OpenAI / vLLM / SGLang), "json_object", or "none"
    response_format: Literal["json_schema", "json_object", "none"] = "json_schema"
    extra_body: dict[str, Any] = Field(default_factory=dict)  # server-specific request fields
    # wire transport under the openai client: "lean" (steplabel's keep-alive HTTP/1.1, several times
    # less CPU per request), "aiohttp" (openai's DefaultAioHttpClient), "httpx" (httpx2's own,
    # honours proxies), "auto" = lean unless a proxy is set in the environment
    http: Literal["auto", "lean", "aiohttp", "httpx"] = "auto"

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
        if parsed.username or parsed.password:
            raise ValueError("base_url must not carry credentials; use api_key_env")
        return value.rstrip("/")

    @property
    def host(self) -> str:
        """What provenance records about where a request went: scheme://host:port, no path or key."""
        p = urlparse(self.base_url)
        return f"{p.scheme}://{p.netloc}"


class BudgetConfig(_Strict):
    """Per-build ceiling on paid LLM work (cache hits are free). None = unlimited.

    Counted across every process of the build through a file in the build's cache directory; when a
    ceiling is reached the stage raises `BudgetExhausted` (a `StopBuild`) and the build stops cleanly.
    """

    max_requests: Optional[int] = Field(default=None, ge=0)
    max_tokens: Optional[int] = Field(default=None, ge=0)


Domain = Literal["math", "code"]  # what a chain is about (schema's `domain`): keys of prompt maps
DEFAULT_PROMPTS = {"math": "prompts/policy_math.txt", "code": "prompts/policy_code.txt"}


class GenerationConfig(_Strict):
    """How chains are sampled from the policy model."""

    policy: EndpointConfig
    n: int = Field(default=1, ge=1)  # samples per problem
    temperature: float = Field(default=0.7, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=1024, ge=1)
    seed: Optional[int] = None  # base seed; sample i of a problem uses seed + i when sent one by one
    stop: list[str] = Field(default_factory=list)
    # domain -> prompt template (path relative to configs/, or absolute); placeholders: {problem}
    prompts: dict[Domain, str] = Field(default_factory=lambda: dict(DEFAULT_PROMPTS))
    system_prompt: Optional[str] = None  # chat API only
    budget: BudgetConfig = Field(default_factory=BudgetConfig)

    def sampling_params(self) -> dict[str, Any]:
        """The sampling parameters recorded in provenance (generator.params) and hashed into cache keys."""
        return {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "stop": list(self.stop),
        }


def resolve_template_path(ref: str) -> Path:
    path = Path(ref)
    if not path.is_absolute():
        path = CONFIG_DIR / path
    return path


def load_template(ref: str) -> str:
    """Read a prompt template named in a config (relative to configs/ unless absolute)."""
    path = resolve_template_path(ref)
    try:
        return path.read_text()
    except FileNotFoundError:
        raise ValueError(f"prompt template not found: {path}") from None


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, **values: Any) -> str:
    """Fill `{name}` placeholders for the given names only (LaTeX braces and JSON examples stay)."""
    # one pass, so a placeholder-like text inside a substituted value (a step that says "{index}")
    # is never substituted again
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def prompt_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def params_json(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
