"""Pydantic errors as one line per offending key, named by its dotted path.

Shared by the build config and the labelers' own option models, so a mistake reads the same
whether `load_config` or a labeler constructed by hand finds it.
"""
from __future__ import annotations

from pydantic import ValidationError


def validation_message(error: ValidationError, what: str) -> str:
    """`invalid <what>:` then `  merge.order.0: ...` lines (`labelers.0.options.timout: unknown key`)."""
    lines = [f"invalid {what}:"]
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        problem = "unknown key" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
        lines.append(f"  {key}: {problem}")
    return "\n".join(lines)
