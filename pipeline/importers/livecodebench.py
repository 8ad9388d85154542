"""LiveCodeBench code generation (livecodebench/code_generation_lite): problems to sample from.

  question_id         -> problem_id
  question_content    -> problem, with starter_code (LeetCode's `class Solution` stub) when given
  public_test_cases   JSON text: [{"input", "output", "testtype": "stdin" | "functional"}]
  private_test_cases  the same JSON text, or base64 of zlib of a pickle of it (the lite release)
                      -> reference.tests: the sets `tests` names, public first, at most `max_cases`
  metadata            JSON text; `func_name` names the method functional cases call
                      -> reference.entry_point
stdin cases become the runner's stdin/stdout document; functional cases its function-call
document, each input line one JSON argument and the output one JSON value, as LiveCodeBench's
`grade_call_based` reads them (the runner calls `Solution().<func_name>` when the program has no
top-level function of that name). The dataset has no solutions: every problem gives the rows to
sample (quarantined, saying so, when the build has no `generation:` section).

The private tests are never given to `pickle.loads`: the pickle is read by `plain_pickle`, which
refuses anything but plain data before any of it runs, and the inflated size is capped.
question_title, platform, contest_id, contest_date and difficulty have no place in the row.
"""
from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any, Literal, Optional

from pydantic import Field

from ..fields import MappingError, kind_of, object_field, reference, text_field
from .common import (ImportOptions, calls_document, function_name, json_field, problem_text, stdio_document,
                     code_importer)
from .plain_pickle import UnsafePickle, loads_plain

TEST_TYPES = ("stdin", "functional")


class LiveCodeBenchOptions(ImportOptions):
    tests: list[Literal["public", "private"]] = Field(default=["public", "private"], min_length=1)
    # LiveCodeBench compares stdout lines as Decimals: numbers equal as numbers, no tolerance
    float_tolerance: Optional[float] = Field(default=0.0, ge=0)
    max_private_mb: float = Field(default=256, gt=0)  # inflated size of one record's private tests


# what LiveCodeBench's judge (lcb_runner/evaluation/testing_util.py) puts before every program
PRELUDE = "".join(f"from {m} import *\n" for m in (
    "string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random", "statistics",
    "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing")) + "".join(
    f"import {m}\n" for m in ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math",
                              "random", "statistics", "itertools", "functools", "operator", "io", "sys",
                              "json")) + "sys.setrecursionlimit(50000)\n"


@code_importer(LiveCodeBenchOptions)
def import_record(ctx: Any, index: int, r: dict) -> list[dict]:
    opts: LiveCodeBenchOptions = ctx.options
    cases: list[tuple[str, dict]] = []  # (where, case)
    for name in dict.fromkeys(opts.tests):
        field = f"{name}_test_cases"
        found = (private_tests(r.get(field), field, int(opts.max_private_mb * 2**20)) if name == "private"
                 else json_field(r.get(field) or "[]", field))
        if not isinstance(found, list):
            raise MappingError(f"field {field!r} holds {kind_of(found)}, not a list of test cases")
        cases += [(f"{field}[{n}]", object_field(c, f"{field}[{n}]")) for n, c in enumerate(found)]
    types = {c.get("testtype") for _, c in cases}
    if not types <= set(TEST_TYPES) or len(types) > 1:
        raise MappingError(f"test types {sorted(map(str, types))}: one of {list(TEST_TYPES)} per problem")
    metadata = object_field(json_field(r.get("metadata") or "{}", "metadata"), "metadata")
    fn_name = function_name(metadata.get("func_name"), "metadata.func_name") if types == {"functional"} else None
    if types == {"functional"} and fn_name is None:
        raise MappingError("functional test cases, but field 'metadata' names no func_name")
    if fn_name is None:
        tests = stdio_document([(text_field(c.get("input"), f"{at}.input", required=True),
                                 text_field(c.get("output"), f"{at}.output", required=True))
                                for at, c in cases], opts, prelude=PRELUDE)
    else:  # LiveCodeBench compares the returned value exactly: no one-element-list unwrapping
        tests = calls_document(fn_name, [_call(c, at) for at, c in cases], opts, prelude=PRELUDE, unwrap=False)
    problem = problem_text(text_field(r.get("question_content"), "question_content", required=True),  # type: ignore[arg-type]
                           text_field(r.get("starter_code"), "starter_code"), fn_name)
    problem_id = text_field(r.get("question_id"), "question_id", numbers=True) or f"{ctx.dataset}#{index}"
    return ctx.problem_rows(problem_id, problem, reference(tests=tests, entry_point=fn_name), "code")


def _call(case: dict, at: str) -> tuple[list, Any]:
    """A functional case: one JSON value per input line (the arguments), one for the output."""
    lines = text_field(case.get("input"), f"{at}.input", required=True).split("\n")  # type: ignore[union-attr]
    args = [json_field(line, f"{at}.input line {k + 1}") for k, line in enumerate(lines)]
    return args, json_field(text_field(case.get("output"), f"{at}.output", required=True), f"{at}.output")


def private_tests(value: Any, field: str, max_bytes: int) -> Any:
    """The private test cases: JSON text as it is, else base64 → zlib → a pickle of JSON text,
    read without running the pickle and refused past `max_bytes` inflated."""
    text = text_field(value, field)
    if text is None or not text.strip():
        return []
    if text.lstrip().startswith("["):
        return json_field(text, field)
    try:
        packed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MappingError(f"field {field!r} is neither JSON nor base64") from None
    inflate = zlib.decompressobj()
    try:
        data = inflate.decompress(packed, max_bytes)
    except zlib.error as exc:
        raise MappingError(f"field {field!r} is base64 but not zlib data ({exc})") from None
    if inflate.unconsumed_tail:
        raise MappingError(f"field {field!r} inflates to more than {max_bytes / 2**20:g} MB (max_private_mb)")
    if not inflate.eof:
        raise MappingError(f"field {field!r} holds truncated zlib data")
    try:
        payload = loads_plain(data)
    except UnsafePickle as exc:
        raise MappingError(f"field {field!r}: pickle refused: {exc}") from None
    if not isinstance(payload, str):
        raise MappingError(f"field {field!r} holds a pickled {kind_of(payload)}, not JSON text")
    return json_field(payload, field)
