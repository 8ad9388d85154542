"""APPS (hendrycks/apps, codeparrot/apps) and TACO (BAAI/TACO): one record per problem.

  question        the statement                                  -> problem (with the next two)
  starter_code    code to complete ("" when none)                -> problem, in a fenced block
  input_output    JSON text {"inputs", "outputs", "fn_name"?}     -> reference.tests
                  with fn_name: call-based cases, inputs are argument lists and outputs as stored
                  (often wrapped in a one-element list; the runner accepts the wrapping, as APPS
                  does); reference.entry_point = fn_name. Without: stdin/stdout cases, each input
                  and output a string or a list of its lines (joined with newlines)
  solutions       JSON text: a list of Python programs           -> one chain each ("<kind>:solution"),
                  marked correct by a `source_outcome` verdict; "" or missing: none
  problem_id      APPS's id (TACO has none: "<dataset>#<record index>")
TACO's difficulty, tags, skill_types, source, url and limits have no place in the row and are not
kept. A record without test cases is quarantined: nothing could label its chains.
"""
from __future__ import annotations

from typing import Any

from ..fields import MappingError, kind_of, object_field, reference, text_field
from .common import (SolutionOptions, calls_document, function_name, io_text, json_field, paired, problem_text,
                     solution_rows, stdio_document, code_importer, text_list)


# what APPS's and TACO's judges (eval/testing_util.py) put before every program; numpy only when
# the sandbox's interpreter has it
PRELUDE = ("import sys\nimport time\nimport itertools\nfrom itertools import accumulate, product, permutations, "
           "combinations\nimport collections\nfrom collections import Counter, OrderedDict, deque, defaultdict, "
           "ChainMap\nfrom functools import lru_cache\nimport math\nfrom math import sqrt, sin, cos, tan, ceil, "
           "fabs, floor, gcd, exp, log, log2\nimport fractions\nfrom typing import List, Tuple\ntry:\n"
           "    import numpy as np\nexcept ImportError:\n    pass\nimport random\nimport heapq\n"
           "from heapq import *\n")


@code_importer(SolutionOptions)
def import_record(ctx: Any, index: int, r: dict) -> list[dict]:
    """An APPS- or TACO-shaped record (the input kind names which: `apps` or `taco`)."""
    if r.get("input_output") in (None, ""):
        raise MappingError("field 'input_output' is empty: the problem has no test cases")
    io = object_field(json_field(r["input_output"], "input_output"), "input_output")
    fn_name = function_name(io.get("fn_name"), "input_output.fn_name")
    cases = paired(io, ("inputs", "outputs"), "input_output")
    if fn_name is None:
        tests = stdio_document([(io_text(i, f"input_output.inputs[{n}]"), io_text(o, f"input_output.outputs[{n}]"))
                                for n, (i, o) in enumerate(cases)], ctx.options, prelude=PRELUDE)
    else:
        for n, (args, _) in enumerate(cases):
            if not isinstance(args, list):
                raise MappingError(f"field 'input_output.inputs[{n}]' is {kind_of(args)}, "
                                   f"not a list of arguments for {fn_name}")
        tests = calls_document(fn_name, cases, ctx.options, prelude=PRELUDE, unwrap=True)
    problem = problem_text(text_field(r.get("question"), "question", required=True),  # type: ignore[arg-type]
                           text_field(r.get("starter_code"), "starter_code"), fn_name)
    solutions = r.get("solutions")
    programs = [] if solutions in (None, "") else text_list(json_field(solutions, "solutions"), "solutions")
    problem_id = text_field(r.get("problem_id"), "problem_id", numbers=True) or f"{ctx.dataset}#{index}"
    return solution_rows(ctx, ctx.cfg.kind, problem_id, problem, reference(tests=tests, entry_point=fn_name),
                         programs)
