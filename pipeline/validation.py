"""Pydantic errors as one line per offending key, named by its dotted path.

Shared by the build config and the labelers' own option models, so a mistake reads the same
whether `load_config` or a labeler constructed by hand finds it.
"""
from __future__ import annotations

from typing import Sequence

from pydantic import ValidationError


def validation_message(error: ValidationError, what: str,
                       more: Sequence[tuple[tuple[str | int, ...], str]] = ()) -> str:
    """`invalid <what>:` then `  merge.order.0: ...` lines (`labelers.0.options.timout: unknown key`);
    `more` adds (location, problem) pairs found outside pydantic, in path order with the others."""
    found = [(tuple(e["loc"]), "unknown key" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, "))
             for e in error.errors()]
    lines = [f"invalid {what}:"]
    for loc, problem in [*found, *more]:
        lines.append(f"  {'.'.join(str(p) for p in loc) or '(top level)'}: {problem}")
    return "\n".join(lines)
