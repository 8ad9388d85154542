"""What the code-dataset importers share: the test documents the sandbox's runner reads, the
problem text a policy sees, a dataset's solutions as chains, and fields stored as JSON text.

The test documents are the two of `steplabel.verifiers.code.runner`, stored as the string
`reference.tests`:
  {"format": "stdio", "cases": [{"input": str, "output": str}], "float_tolerance": float|null,
   "case_insensitive": bool, "prelude": str|null}
  {"format": "calls", "fn_name": str, "cases": [{"input": [args...], "output": value}], "unwrap": bool,
   "prelude": str|null}

A float tolerance is written only for problems whose expected outputs hold a decimal number
(`0.5`, `1e-9`): the runner compares tolerant tokens as floats, and two integers past 2**53 are the
same float, so integer and text answers are compared exactly.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable, Literal, Optional, Sequence, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..fields import HUMAN, MappingError, kind_of, text_field, with_verdicts

FENCE = "```"
_DECIMAL = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][+-]?\d+)?")
F = TypeVar("F", bound=Callable[..., Any])


class ImportOptions(BaseModel):
    """`input.options` of a code dataset (each importer's model adds its own)."""

    model_config = ConfigDict(extra="forbid")

    max_cases: Optional[int] = Field(default=None, ge=1)  # test cases kept per problem, in the dataset's order
    # numbers within this (absolute, or relative past 1) count as equal in stdin/stdout outputs
    # holding a decimal number; None compares every token exactly
    float_tolerance: Optional[float] = Field(default=1e-5, ge=0)


class SolutionOptions(ImportOptions):
    """For datasets that ship solutions: which become chains (`none`: only the problem, whose rows
    are sampled when the build has a `generation:` section)."""

    solutions: Literal["all", "correct", "incorrect", "none"] = "all"
    max_solutions: Optional[int] = Field(default=None, ge=1)  # per problem and kind, in the dataset's order


def code_importer(model: type[BaseModel]) -> Callable[[F], F]:
    """Marks an importer of code problems (the input's domain) taking `input.options` checked by
    `model` (see `sources.importer_options`)."""
    def mark(importer: F) -> F:
        importer.options_model, importer.domain = model, "code"  # type: ignore[attr-defined]
        return importer
    return mark


# --- fields ----------------------------------------------------------------------------------------

def json_field(value: Any, name: str) -> Any:
    """A field the dataset stores as JSON text (APPS `input_output`, LiveCodeBench test cases);
    a mirror that stored it already parsed (a list or an object) is taken as it is."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except RecursionError:
        raise MappingError(f"field {name!r} holds JSON nested too deeply to read") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4,300 digits
        raise MappingError(f"field {name!r} is not valid JSON ({str(exc).split(':')[0]})") from None


def text_list(value: Any, name: str) -> list[str]:
    """A list of strings (solutions, tests' inputs)."""
    if not isinstance(value, list):
        raise MappingError(f"field {name!r} is {kind_of(value)}, not a list")
    return [text_field(v, f"{name}[{i}]", required=True) for i, v in enumerate(value)]  # type: ignore[misc]


def io_text(value: Any, name: str) -> str:
    """A stdin or stdout text, stored either whole or as a list of its lines (joined with newlines,
    as APPS's and TACO's own harnesses do)."""
    if isinstance(value, list):
        return "\n".join(text_list(value, name))
    return text_field(value, name, required=True)  # type: ignore[return-value]


def paired(obj: dict, keys: tuple[str, str], name: str) -> list[tuple[Any, Any]]:
    """Two parallel lists of one length in `obj` (inputs and outputs, languages and programs)."""
    first, second = (obj.get(k) for k in keys)
    for value, key in ((first, keys[0]), (second, keys[1])):
        if not isinstance(value, list):
            raise MappingError(f"field '{name}.{key}' is {kind_of(value)}, not a list")
    if len(first) != len(second):
        raise MappingError(f"field {name!r} has {len(first)} {keys[0]} and {len(second)} {keys[1]} entries")
    return list(zip(first, second))


def function_name(value: Any, name: str) -> Optional[str]:
    """The entry point of call-based cases, or None (stdin/stdout cases)."""
    fn = text_field(value, name)
    if not fn:
        return None
    if not fn.isidentifier():
        raise MappingError(f"field {name!r} = {fn[:80]!r} is not a Python function name")
    return fn


# --- test documents ------------------------------------------------------------------------------

def _capped(cases: Sequence[Any], limit: Optional[int]) -> list[Any]:
    if not cases:
        raise MappingError("the problem has no test cases")
    return list(cases[:limit] if limit is not None else cases)


def _has_decimal(outputs: Iterable[str]) -> bool:
    return any(_DECIMAL.fullmatch(token) for text in outputs for token in text.split())


def stdio_document(cases: Sequence[tuple[str, str]], options: ImportOptions, prelude: Optional[str] = None,
                   case_insensitive: bool = False) -> str:
    """The runner's stdin/stdout document for (input, expected output) cases, with the dataset
    judge's imports (`prelude`) and its case rule."""
    kept = _capped(cases, options.max_cases)
    tolerance = options.float_tolerance if _has_decimal(out for _, out in kept) else None
    doc = {"format": "stdio", "cases": [{"input": i, "output": o} for i, o in kept], "float_tolerance": tolerance,
           "case_insensitive": case_insensitive, "prelude": prelude}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def calls_document(fn_name: str, cases: Sequence[tuple[list, Any]], options: ImportOptions,
                   prelude: Optional[str] = None, unwrap: bool = True) -> str:
    """The runner's function-call document: each case's arguments and the expected value, as stored;
    `unwrap`: an expected one-element list also accepts its element (APPS's rule)."""
    kept = _capped(cases, options.max_cases)
    doc = {"format": "calls", "fn_name": fn_name, "cases": [{"input": a, "output": o} for a, o in kept],
           "unwrap": unwrap, "prelude": prelude}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


# --- problem text and solution chains ---------------------------------------------------------------

def problem_text(question: str, starter_code: Optional[str] = None, fn_name: Optional[str] = None) -> str:
    """The statement as the dataset gives it, with its starter code and one sentence saying how the
    tests run the program (the statements themselves often leave that to the judge's prompt)."""
    parts = [question.strip()]
    if starter_code and starter_code.strip():
        parts.append(f"Starter code:\n{FENCE}python\n{starter_code.rstrip().lstrip(chr(10))}\n{FENCE}")
    if fn_name:
        parts.append(f"The tests call `{fn_name}` with each case's arguments and compare what it returns.")
    else:
        parts.append("The program reads its input from standard input and writes the answer to standard output.")
    return "\n\n".join(parts)


def solution_rows(ctx: Any, kind: str, problem_id: str, problem: str, reference: dict,
                  correct: Sequence[str], incorrect: Sequence[str] = ()) -> list[dict]:
    """A problem's rows: each solution the options keep as a chain (its text one fenced python
    block, split at blank lines), the dataset's word on it a `source_outcome` verdict on its last
    step; plus the rows to sample when the build generates, or when no solution was kept."""
    opts: SolutionOptions = ctx.options
    picked = [(s, True) for s in correct[:opts.max_solutions]] if opts.solutions in ("all", "correct") else []
    if opts.solutions in ("all", "incorrect"):
        picked += [(s, False) for s in incorrect[:opts.max_solutions]]
    rows = [_solution_chain(ctx, kind, problem_id, problem, reference, code, ok) for code, ok in picked]
    if ctx.generation is not None or not rows:
        rows += ctx.problem_rows(problem_id, problem, reference, "code")
    return rows


def _solution_chain(ctx: Any, kind: str, problem_id: str, problem: str, reference: dict, code: str,
                    correct: bool) -> dict:
    which = "solution" if correct else "incorrect_solution"
    fenced = f"{FENCE}python\n{code.strip(chr(10))}\n{FENCE}"
    row = ctx.chain_row(problem_id, problem, reference, text=fenced, domain="code", model=f"{kind}:{which}",
                        segmenter="blank_line")
    if FENCE in code or not code.strip():
        why = "is empty" if not code.strip() else f"holds {FENCE}, so it cannot be one fenced code block"
        row.update(status="quarantined", status_reason=f"the {which.replace('_', ' ')} {why}")
        return row
    said = ("one of the dataset's correct solutions" if correct
            else "one of the dataset's incorrect solutions (a judge rejected it)")
    verdict = {**HUMAN, "labeler": "source_outcome", "version": kind, "rating": 1 if correct else -1,
               "evidence": said}
    return with_verdicts(row, {len(row["steps"]) - 1: verdict})
