"""DeepMind's CodeContests (deepmind/code_contests; `contest_problem.proto`): one record per problem.

  name                    "1548_E. Gregor and the Two Painters"     -> problem_id
  description             the statement                              -> problem
  public_tests, private_tests, generated_tests
                          {"input": [str], "output": [str]} each     -> reference.tests, stdin/stdout
                          cases of the sets `tests` names, in that order, at most `max_cases`
  solutions, incorrect_solutions
                          {"language": [enum], "solution": [str]}    -> a chain per PYTHON3 program
                          ("codecontests:solution" / "codecontests:incorrect_solution"), the
                          dataset's word a `source_outcome` verdict (+1 / -1) on its last step
  input_file, output_file a problem that reads or writes files is quarantined (the runner gives
                          stdin and reads stdout)
Language is the proto's enum (UNKNOWN_LANGUAGE 0, PYTHON 1 = Python 2, CPP 2, PYTHON3 3, JAVA 4),
as a number or its name; other languages are not Python 3 programs and make no chain. The float
tolerance defaults to DeepMind's checker's 1e-5 (`OutputsMatch` in execution/tester_sandboxer.cc);
its case-insensitive token comparison has no counterpart in the runner. time_limit,
memory_limit_bytes, difficulty, cf_* and source have no place in the row and are not kept.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..fields import MappingError, kind_of, reference, text_field
from .common import SolutionOptions, io_text, paired, problem_text, solution_rows, stdio_document, code_importer

TEST_SETS = ("public", "private", "generated")
PYTHON3 = (3, "PYTHON3")


class CodeContestsOptions(SolutionOptions):
    tests: list[Literal["public", "private", "generated"]] = Field(default=list(TEST_SETS), min_length=1)


@code_importer(CodeContestsOptions)
def import_record(ctx: Any, index: int, r: dict) -> list[dict]:
    for field in ("input_file", "output_file"):
        if text_field(r.get(field), field):
            raise MappingError(f"field {field!r} = {r[field][:80]!r}: the problem uses files, not stdin/stdout")
    cases = []
    for name in dict.fromkeys(ctx.options.tests):  # each named set once, in the order named
        tests = r.get(f"{name}_tests")
        if tests is None:
            continue
        if not isinstance(tests, dict):
            raise MappingError(f"field '{name}_tests' is {kind_of(tests)}, not an object")
        for n, (i, o) in enumerate(paired(tests, ("input", "output"), f"{name}_tests")):
            cases.append((io_text(i, f"{name}_tests.input[{n}]"), io_text(o, f"{name}_tests.output[{n}]")))
    problem = problem_text(text_field(r.get("description"), "description", required=True))  # type: ignore[arg-type]
    problem_id = text_field(r.get("name"), "name", numbers=True) or f"{ctx.dataset}#{index}"
    return solution_rows(ctx, "codecontests", problem_id, problem,
                         # DeepMind's checker compares tokens ignoring case ("YES" and "yes")
                         reference(tests=stdio_document(cases, ctx.options, case_insensitive=True)),
                         _python3(r.get("solutions"), "solutions"), _python3(r.get("incorrect_solutions"),
                                                                             "incorrect_solutions"))


def _python3(value: Any, name: str) -> list[str]:
    """The PYTHON3 programs of a {"language": [...], "solution": [...]} field."""
    if value is None:
        return []
    if not isinstance(value, dict):
        raise MappingError(f"field {name!r} is {kind_of(value)}, not an object")
    pairs = paired(value, ("language", "solution"), name)
    return [text_field(code, f"{name}.solution[{n}]", required=True)  # type: ignore[misc]
            for n, (language, code) in enumerate(pairs) if language in PYTHON3 and not isinstance(language, bool)]
