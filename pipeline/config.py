"""Build configs: YAML files validated by pydantic, with a canonical hash for provenance.

Unknown or mistyped keys fail with the key's path and the file's name, so a typo never silently
turns a labeler off. CLI flags override values after loading (`with_overrides`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .labelers import REGISTRY, labeler_class
from .llm.config import GenerationConfig
from .validation import validation_message

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
SOURCE_KINDS = ("sample", "files", "hf", "prm800k", "processbench", "gsm8k", "math", "gsm8k_solutions")


class ConfigError(ValueError):
    """A config that cannot be used; the message names the file and the offending key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputConfig(_Strict):
    kind: Literal["sample", "files", "hf", "prm800k", "processbench", "gsm8k", "math", "gsm8k_solutions"] = "sample"
    path: Optional[str] = None  # file, glob, directory, or Hugging Face hub name
    name: Optional[str] = None  # dataset name recorded in provenance (defaults to the path)
    split: Optional[str] = None
    revision: Optional[str] = None
    hf_config: Optional[str] = None
    domain: Literal["math", "code"] = "math"
    # field mapping for `files` / `hf` sources: our field -> the input's field (dotted for nesting)
    fields: dict[str, str] = Field(default_factory=dict)
    limit: Optional[int] = Field(default=None, ge=1)
    repeat: int = Field(default=1, ge=1)  # replicate the input (benchmarks at scale)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        known = {"problem_id", "problem", "answer", "solution", "tests", "entry_point", "text", "steps", "domain"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown field mapping keys {unknown}; known: {sorted(known)}")
        return value


class SegmentConfig(_Strict):
    splitter: Literal["blank_line", "newline", "step_markers", "regex"] = "blank_line"
    pattern: Optional[str] = None  # for `regex`: a separator pattern
    # used when the splitter finds a single step in a multi-line chain (weak models ignore the
    # blank-line format they were asked for)
    fallback: Optional[Literal["newline", "step_markers"]] = None


class LabelerConfig(_Strict):
    name: str
    options: dict[str, Any] = Field(default_factory=dict)
    pool_size: int = Field(default=1, ge=1)  # actors in this labeler's pool
    batch_size: Optional[int] = Field(default=None, ge=1)  # chains per call; default run.batch_size
    # CPUs Ray reserves per actor. Small by default so every pool fits on a 2-core machine; verifiers
    # do their heavy work in their own worker processes or sandboxes, which Ray does not count.
    num_cpus: float = Field(default=0.25, gt=0)

    @field_validator("name")
    @classmethod
    def _known_labeler(cls, value: str) -> str:
        if value not in REGISTRY:
            raise ValueError(f"unknown labeler {value!r}; known: {', '.join(sorted(REGISTRY))}")
        return value

    @field_validator("options")
    @classmethod
    def _options_fit_the_labeler(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Checked by the labeler's own options model, so a typo fails here and not in an actor.
        The user's dict is kept as written (it is what the config hash covers)."""
        if "name" in info.data:  # an unknown name is already reported
            labeler_class(info.data["name"]).options_model.model_validate(value)
        return value


class MergeConfig(_Strict):
    policy: Literal["priority", "vote", "consensus"] = "priority"
    order: list[str] = Field(default_factory=lambda: ["outcome"])  # priority order / the voters
    agree: list[str] = Field(default_factory=list)  # consensus: labelers that must agree on the first error
    stop_at_first_error: bool = True

    @model_validator(mode="after")
    def _consensus_names_labelers(self) -> "MergeConfig":
        if self.policy == "consensus" and len(self.agree) < 2:
            raise ValueError("merge.policy consensus needs at least two labelers in merge.agree")
        return self


class RunConfig(_Strict):
    out: str = "out/sample"
    shard_size: int = Field(default=1000, ge=1)
    batch_size: int = Field(default=64, ge=1)
    address: Optional[str] = None  # Ray cluster; None = local (or RAY_ADDRESS)
    license: str = "apache-2.0"


class BuildConfig(_Strict):
    name: str = "steplabel-build"
    input: InputConfig = Field(default_factory=InputConfig)
    generation: Optional[GenerationConfig] = None
    segment: SegmentConfig = Field(default_factory=SegmentConfig)
    labelers: list[LabelerConfig] = Field(default_factory=lambda: [LabelerConfig(name="outcome")])
    merge: MergeConfig = Field(default_factory=MergeConfig)
    run: RunConfig = Field(default_factory=RunConfig)

    def config_hash(self) -> str:
        """Hash of what decides the labels — not of where they are written, which cluster runs
        them, or how much a run may spend (raising a budget resumes the same build)."""
        data = self.model_dump(mode="json", exclude={"run": {"out", "address"}})
        if data.get("generation"):
            data["generation"].pop("budget", None)
            data["generation"]["prompts"] = _prompt_contents(data["generation"].get("prompts"))
        for labeler in data["labelers"]:
            labeler["options"].pop("budget", None)
            if isinstance(labeler["options"].get("prompts"), dict):
                labeler["options"]["prompts"] = _prompt_contents(labeler["options"]["prompts"])
        blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_overrides(self, **overrides: Any) -> "BuildConfig":
        """Apply CLI flags (`input`, `out`, `limit`, `address`, `shard_size`); None means keep."""
        data = self.model_dump()
        if overrides.get("input") is not None:
            data["input"]["path"] = overrides["input"]
            if data["input"]["kind"] == "sample":
                data["input"]["kind"] = "files"
        for key, section in (("out", "run"), ("address", "run"), ("shard_size", "run"), ("limit", "input")):
            if overrides.get(key) is not None:
                data[section][key] = overrides[key]
        return BuildConfig.model_validate(data)


def _prompt_contents(prompts: Optional[dict[str, str]]) -> Optional[dict[str, str]]:
    """Prompt templates are named by path; the hash must change when their text does."""
    from .llm.config import load_template, prompt_hash

    if not prompts:
        return prompts
    out = {}
    for domain, ref in prompts.items():
        try:
            out[domain] = f"{ref}#{prompt_hash(load_template(ref))}"
        except ValueError:  # a missing template fails where it is used, with its own message
            out[domain] = ref
    return out


def load_config(path: str | Path | None = None) -> BuildConfig:
    """Load and validate a YAML build config; None loads the bundled sample config."""
    file = Path(path) if path is not None else CONFIG_DIR / "sample.yaml"
    try:
        raw = yaml.safe_load(file.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {file} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config {file} must be a mapping at the top level")
    try:
        return BuildConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, f"build config {file}")) from None
