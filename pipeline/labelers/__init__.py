"""Labelers by name, as build configs refer to them. Imported lazily: a build loads only what it uses."""
from __future__ import annotations

from importlib import import_module
from typing import Any, TypeVar

from .base import Context, Labeler, Labeling, Options, apply_labeling, verdict

T = TypeVar("T")

REGISTRY: dict[str, str] = {
    "outcome": "steplabel.pipeline.labelers.outcome:MathOutcomeLabeler",
    "math_steps": "steplabel.pipeline.labelers.math_steps:MathStepsLabeler",
    "code_outcome": "steplabel.pipeline.labelers.code:CodeOutcomeLabeler",
    "code_steps": "steplabel.pipeline.labelers.code:CodeStepsLabeler",
    "judge": "steplabel.pipeline.labelers.judge:JudgeLabeler",
    "rollout": "steplabel.pipeline.labelers.rollout:RolloutLabeler",
}


def labeler_class(name: str) -> type[Labeler]:
    if name not in REGISTRY:
        raise KeyError(f"unknown labeler {name!r}; known: {', '.join(sorted(REGISTRY))}")
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(import_module(module), cls)


def stage_groups(labelers: list[T]) -> list[list[T]]:
    """Labeler configs (anything with a `.name`) grouped by stage: labelers that share work in one
    process (same `shares_stage`, e.g. the code labelers: one sandbox, one test run per chain) go to
    one stage, at the place of the first of them. The build and `steplabel check` both use this."""
    groups: list[list[T]] = []
    by_key: dict[str, list[T]] = {}
    for lc in labelers:
        key = getattr(labeler_class(lc.name), "shares_stage", None)  # type: ignore[attr-defined]
        if key is not None and key in by_key:
            by_key[key].append(lc)
            continue
        groups.append([lc])
        if key is not None:
            by_key[key] = groups[-1]
    return groups


def make_labeler(name: str, options: dict[str, Any] | None = None, context: Context | None = None) -> Labeler:
    """The labeler `name` with the user's `options` (validated by its model) and the build's `context`."""
    return labeler_class(name)(context, **(options or {}))


__all__ = ["Context", "Labeler", "Labeling", "Options", "apply_labeling", "verdict", "REGISTRY", "labeler_class",
           "make_labeler", "stage_groups"]
