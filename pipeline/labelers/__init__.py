"""Labelers by name, as build configs refer to them. Imported lazily: a build loads only what it uses."""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .base import Context, Labeler, Labeling, Options, apply_labeling, verdict

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


def make_labeler(name: str, options: dict[str, Any] | None = None, context: Context | None = None) -> Labeler:
    """The labeler `name` with the user's `options` (validated by its model) and the build's `context`."""
    return labeler_class(name)(context, **(options or {}))


__all__ = ["Context", "Labeler", "Labeling", "Options", "apply_labeling", "verdict", "REGISTRY", "labeler_class",
           "make_labeler"]
