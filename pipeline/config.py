"""Build configs: YAML files validated by pydantic, with a canonical hash for provenance.

Unknown or mistyped keys fail with the key's path and the file's name, so a typo never silently
turns a labeler off. CLI flags override values after loading (`with_overrides`).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from .labelers import REGISTRY, labeler_class
from .llm.config import CONFIG_DIR, Domain, GenerationConfig, resolve_template_path
from .place import is_uri
from .validation import validation_message



class ConfigError(ValueError):
    """A config that cannot be used; the message names the file and the offending key."""


# merge may name these besides the configured labelers: verdicts an importer brings with the chains
SOURCE_LABELERS = ("human", "source_outcome")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _registered(name: str, registry: Any, what: str) -> str:
    if name not in registry:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(sorted(registry))}")
    return name


def _problems(model: str, found: list[tuple[tuple[str | int, ...], str, Any]]) -> None:
    """Raise every cross-field problem at once, each at its own dotted path (not at the top level)."""
    if found:
        raise ValidationError.from_exception_data(model, [
            InitErrorDetails(type=PydanticCustomError("config", msg), loc=loc, input=value)
            for loc, msg, value in found])


class InputConfig(_Strict):
    kind: str = "sample"  # an importer in pipeline/sources.py's IMPORTERS
    path: Optional[str] = None  # file, glob, directory, or Hugging Face hub name
    name: Optional[str] = None  # dataset name recorded in provenance (defaults to the path)
    split: Optional[str] = None
    revision: Optional[str] = None
    hf_config: Optional[str] = None
    domain: Domain = "math"
    # field mapping for `files` / `hf` sources: our field -> the input's field (dotted for nesting)
    fields: dict[str, str] = Field(default_factory=dict)
    limit: Optional[int] = Field(default=None, ge=1)
    repeat: int = Field(default=1, ge=1)  # replicate the input (benchmarks at scale)
    # the importer's own options (code datasets: which tests and solutions), checked by its model
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from .sources import IMPORTERS  # sources imports this module: a late import avoids the cycle

        return _registered(value, IMPORTERS, "input kind")

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        known = {"problem_id", "problem", "answer", "solution", "tests", "entry_point", "text", "steps", "domain"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown field mapping keys {unknown}; known: {sorted(known)}")
        return value

    @field_validator("options")
    @classmethod
    def _options_fit_the_kind(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Checked by the importer's own options model, so a typo fails here and not mid-build.
        The user's dict is kept as written (it is what the config hash covers)."""
        if "kind" in info.data:  # an unknown kind is already reported
            from .sources import importer_options

            importer_options(info.data["kind"], value)
        return value

    @model_validator(mode="after")
    def _domain_of_the_kind(self) -> "InputConfig":
        """An importer of one domain's problems (the code datasets) sets the input's domain, so
        checks and the sandbox probe see code; naming another one is a mistake."""
        from .sources import IMPORTERS

        fixed = getattr(IMPORTERS.get(self.kind), "domain", None)
        if fixed is not None and fixed != self.domain:
            if "domain" in self.model_fields_set:
                _problems("InputConfig", [(("domain",), f"input kind {self.kind!r} holds {fixed} problems",
                                           self.domain)])
            self.domain = fixed
        return self

    @model_validator(mode="after")
    def _path_unless_sample(self) -> "InputConfig":
        if self.kind != "sample" and not self.path:
            _problems("InputConfig", [(("path",), f"input kind {self.kind!r} needs a path", self.path)])
        return self


class SegmentConfig(_Strict):
    splitter: Literal["blank_line", "newline", "step_markers", "regex"] = "blank_line"
    pattern: Optional[str] = None  # for `regex`: a separator pattern
    # used when the splitter finds a single step in a multi-line chain (weak models ignore the
    # blank-line format they were asked for)
    fallback: Optional[Literal["newline", "step_markers"]] = None

    @model_validator(mode="after")
    def _pattern_fits_the_splitter(self) -> "SegmentConfig":
        if self.splitter != "regex":
            if self.pattern is not None:
                _problems("SegmentConfig", [(("pattern",), "a pattern is only used by splitter regex", self.pattern)])
            return self
        if not self.pattern:
            _problems("SegmentConfig", [(("pattern",), "splitter regex needs a separator pattern", self.pattern)])
        try:
            compiled = re.compile(self.pattern)
        except re.error as exc:
            _problems("SegmentConfig", [(("pattern",), f"not a valid regular expression: {exc}", self.pattern)])
        if compiled.fullmatch(""):
            _problems("SegmentConfig", [(("pattern",), "the pattern matches the empty string (it would split "
                                          "between every character)", self.pattern)])
        return self


class LabelerConfig(_Strict):
    name: str
    options: dict[str, Any] = Field(default_factory=dict, validate_default=True)
    pool_size: int = Field(default=1, ge=1)  # actors in this labeler's pool
    batch_size: Optional[int] = Field(default=None, ge=1)  # chains per call; default run.batch_size
    # CPUs Ray reserves per actor. Small by default so every pool fits on a 2-core machine; verifiers
    # do their heavy work in their own worker processes or sandboxes, which Ray does not count.
    num_cpus: float = Field(default=0.25, gt=0)
    # CPU seconds the labeler may spend on one row (and 10x that of wall clock) before its child
    # process is killed and the row abstains with evidence `deadline`; None = the labeler's default
    # (60 s for deterministic labelers; LLM labelers run in-process and do not take one)
    row_timeout: Optional[float] = Field(default=None, gt=0)

    @field_validator("name")
    @classmethod
    def _known_labeler(cls, value: str) -> str:
        return _registered(value, REGISTRY, "labeler")

    @field_validator("options")
    @classmethod
    def _options_fit_the_labeler(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Checked by the labeler's own options model, so a typo fails here and not in an actor.
        The user's dict is kept as written (it is what the config hash covers)."""
        if "name" in info.data:  # an unknown name is already reported
            labeler_class(info.data["name"]).options_model.model_validate(value)
        return value

    @field_validator("row_timeout")
    @classmethod
    def _watched_labeler(cls, value: Optional[float], info: ValidationInfo) -> Optional[float]:
        if value is not None and "name" in info.data and labeler_class(info.data["name"]).row_timeout is None:
            raise ValueError(f"labeler {info.data['name']!r} runs in-process (its requests have their own "
                             "deadlines): row_timeout does not apply to it")
        return value


class MergeConfig(_Strict):
    policy: Literal["priority", "vote", "consensus"] = "priority"
    order: list[str] = Field(default_factory=lambda: ["outcome"], min_length=1)  # priority order / the voters
    agree: list[str] = Field(default_factory=list)  # consensus: labelers that must agree on the first error
    stop_at_first_error: bool = True
    # Math-Shepherd's hard estimate with the chain as its own rollout: in a chain whose outcome is
    # correct, a step the merge left unrated becomes +1 (decided_by `own_rollout`)
    own_rollout: bool = False
    # LLM labelers ask only about the steps no labeler before them in `order` decided (cascade.py);
    # the merged ratings are those of running everything. priority and consensus only
    cascade: bool = False

    @model_validator(mode="after")
    def _consensus_names_labelers(self) -> "MergeConfig":
        if self.policy == "consensus" and len(self.agree) < 2:
            raise ValueError("merge.policy consensus needs at least two labelers in merge.agree")
        if self.cascade and self.policy == "vote":
            raise ValueError("merge.cascade needs policy priority or consensus: under vote every labeler's "
                             "verdict on every step counts")
        return self


class RunConfig(_Strict):
    out: str = "out/sample"
    shard_size: int = Field(default=1000, ge=1)
    batch_size: int = Field(default=64, ge=1)
    address: Optional[str] = None  # Ray cluster; None = local (or RAY_ADDRESS)
    # LLM request cache shared by every build: a folder all nodes see, or s3://bucket/prefix; None =
    # OUT/cache. Nightly builds into new OUTs pay for no request the night before made
    cache: Optional[str] = None

    @field_validator("cache")
    @classmethod
    def _cache_location(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and is_uri(value):
            from .llm.cache import ObjectCache

            ObjectCache(value)  # raises ValueError with the reason for anything but s3://bucket/prefix
        return value
    license: str = "apache-2.0"


def cross_problems(data: Any) -> list[tuple[tuple[str | int, ...], str, Any]]:
    """Problems between sections, found in plain config data (a validated config's dump, or the raw
    YAML of one that failed elsewhere, so every problem is listed at once): merge names must be
    configured labelers (or an importer's `human`, `source_outcome`), since a typo there leaves
    every step unrated; one labeler per name, since verdicts are told apart by it; prompt
    templates must exist. Values of the wrong type are left to the field's own check."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[tuple[str | int, ...], str, Any]] = []
    labelers = data.get("labelers", [{"name": "outcome"}])
    names = [lc.get("name") for lc in labelers if isinstance(lc, dict)] if isinstance(labelers, list) else []
    for i, name in enumerate(names):
        if name in names[:i]:
            found.append((("labelers", i, "name"), f"labeler {name!r} is configured twice", name))
    known = [*dict.fromkeys(n for n in names if isinstance(n, str)), *SOURCE_LABELERS]
    merge = data.get("merge") if isinstance(data.get("merge"), dict) else {}
    for field in ("order", "agree"):
        listed = merge.get(field, ["outcome"] if field == "order" else [])
        for i, name in enumerate(listed if isinstance(listed, list) else []):
            if not isinstance(name, str):
                continue
            if name not in known:
                found.append((("merge", field, i), f"{name!r} is not a configured labeler; "
                              f"known here: {', '.join(known)}", name))
            elif name in listed[:i]:
                found.append((("merge", field, i), f"{name!r} is named twice", name))
    generation = data.get("generation")
    prompts = generation.get("prompts") if isinstance(generation, dict) else None
    for domain, ref in (prompts.items() if isinstance(prompts, dict) else ()):
        if isinstance(ref, str) and not resolve_template_path(ref).is_file():
            found.append((("generation", "prompts", domain), f"prompt template not found: {resolve_template_path(ref)}",
                          ref))
    return found


class BuildConfig(_Strict):
    name: str = "steplabel-build"
    input: InputConfig = Field(default_factory=InputConfig)
    generation: Optional[GenerationConfig] = None
    segment: SegmentConfig = Field(default_factory=SegmentConfig)
    labelers: list[LabelerConfig] = Field(default_factory=lambda: [LabelerConfig(name="outcome")])
    merge: MergeConfig = Field(default_factory=MergeConfig)
    run: RunConfig = Field(default_factory=RunConfig)

    @model_validator(mode="after")
    def _names_refer_to_something(self) -> "BuildConfig":
        _problems("BuildConfig", cross_problems(self.model_dump(mode="json")))
        return self

    def config_hash(self) -> str:
        """Hash of what decides the labels — not of where they are written, which cluster runs
        them, how much a run may spend (raising a budget resumes the same build), or where the input
        is read from: chains are content-addressed, so tonight's dated file in the same OUT reuses
        every shard whose chains it still holds and builds only the new ones."""
        data = self.model_dump(mode="json", exclude={"run": {"out", "address", "cache"}, "input": {"path"}})
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
        """Apply CLI flags (`input`, `out`, `limit`, `address`, `shard_size`); None means keep.
        A flag that makes the config invalid (`--limit 0`) is a ConfigError naming the key."""
        data = apply_overrides(self.model_dump(), overrides)
        try:
            return BuildConfig.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(validation_message(exc, f"build config with the flags {_flags(overrides)}")) from None


OVERRIDES = {"input": ("input", "path"), "limit": ("input", "limit"), "out": ("run", "out"),
             "address": ("run", "address"), "shard_size": ("run", "shard_size")}


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """CLI flags written into config data (None means keep): `--input` sets input.path, and turns
    the bundled sample's kind into `files`. Sections of the wrong type are left for validation."""
    data = dict(data)
    for flag, (section, key) in OVERRIDES.items():
        if overrides.get(flag) is None:
            continue
        part = data.get(section, {})
        if not isinstance(part, dict):
            continue
        part = data[section] = dict(part)
        part[key] = overrides[flag]
        if flag == "input" and part.get("kind", "sample") == "sample":
            part["kind"] = "files"
    return data


def _flags(overrides: dict[str, Any]) -> str:
    return ", ".join(f"--{k.replace('_', '-')}" for k, v in overrides.items() if v is not None)


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


def load_config(path: str | Path | None = None, **overrides: Any) -> BuildConfig:
    """Load and validate a YAML build config; None loads the bundled sample config. `overrides`
    are CLI flags (see `apply_overrides`), applied before validation: `--input` completes a config
    that names no input path. Every problem is reported at once."""
    file = Path(path) if path is not None else CONFIG_DIR / "sample.yaml"
    try:
        raw = yaml.safe_load(file.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file}") from None
    except IsADirectoryError:
        raise ConfigError(f"config {file} is a folder, not a YAML file") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {file} is not valid YAML: {exc}") from None
    if raw is None or raw == {}:
        raise ConfigError(f"config {file} is empty: a build config names at least its input "
                          "(run `steplabel build` with no config to build the bundled sample)")
    if not isinstance(raw, dict):
        raise ConfigError(f"config {file} must be a mapping at the top level")
    raw = apply_overrides(raw, overrides)
    what = f"build config {file}" + (f" with the flags {_flags(overrides)}" if _flags(overrides) else "")
    try:
        return BuildConfig.model_validate(raw)
    except ValidationError as exc:
        seen = {(tuple(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()}
        more = [(loc, msg) for loc, msg, _ in cross_problems(raw) if (loc, msg) not in seen]
        raise ConfigError(validation_message(exc, what, more)) from None
