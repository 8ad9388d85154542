"""Checked fields of input records, shared by `sources` and the importers in `importers/`.

A field that does not fit its format raises `MappingError`; the record is then quarantined with
that reason (never read as something else: a list where text belongs is not its Python repr).
Kept below `sources` so importers in their own modules can use them without importing upward.
"""
from __future__ import annotations

import math
from typing import Any, Optional

# a verdict that came with the input (PRM800K ratings, a dataset's correct/incorrect solutions)
HUMAN = {"labeler": "human", "score": None, "cost": {"ms": 0.0, "tokens": 0}, "cached": False}


class MappingError(ValueError):
    """A record whose fields do not fit the format (wrong type, out of range): it is quarantined."""


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    kinds = {list: "a list", dict: "an object", int: "a number", float: "a number", str: "a string", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def text_field(value: Any, name: str, *, numbers: bool = False, required: bool = False) -> Optional[str]:
    """A text field as it is: a string stays a string; a list or object where text belongs is an
    error, never its Python repr. `numbers` admits numbers (answers, ids) as their decimal text."""
    if value is None:
        if required:
            raise MappingError(f"field {name!r} is missing")
        return None
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):  # a NaN from Parquet or a hub dataset
            raise MappingError(f"field {name!r} is {value}, not a finite number")
        return str(value)
    raise MappingError(f"field {name!r} is {kind_of(value)} where text belongs")


def object_field(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise MappingError(f"field {name!r} is {'missing' if value is None else kind_of(value)}, not an object")
    return value


def reference(answer: Any = None, solution: Any = None, tests: Any = None, entry_point: Any = None) -> dict:
    return {"answer": text_field(answer, "answer", numbers=True), "solution": text_field(solution, "solution"),
            "tests": text_field(tests, "tests"), "entry_point": text_field(entry_point, "entry_point")}


def with_verdicts(row: dict, verdicts: dict[int, dict]) -> dict:
    """`row` with each verdict appended to the step at its index."""
    for i, v in verdicts.items():
        row["steps"][i]["verdicts"].append(v)
    return row
