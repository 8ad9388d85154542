"""A slice of the stdin/stdout problem set through the real sandbox: every verdict as the data says.

The slice covers every way a program can end that does not depend on the machine's speed (no
slow correct or too-slow programs: the benchmark, tests/benchmarks/bench_code_stdio.py, has
those): wrong answers, wrong formats, missing output, runtime errors, a non-zero exit after a
right answer, output lost to os._exit, EOF, CRLF and UTF-8 input, float tolerance, a memory hog
and one infinite loop."""
from __future__ import annotations

import pytest

from steplabel.verifiers.code import run_tests
from tests.support.sandbox import sandbox_fixture
from tests.support.stdio_set import expected, load_problems, verdict

pytestmark = pytest.mark.integration

SLICE = ["sum-of-pairs", "second-largest-distinct", "digital-root-huge", "circle-measures", "crlf-greetings",
         "first-negative-prefix", "sum-lines-until-eof", "blank-line-blocks", "distinct-values",
         "reverse-unicode", "debug-output", "swap-two"]
SPEED_BOUND = ("slow_correct", "too_slow")
# A correct program the sandbox gets wrong today (see test_exit_builtin_is_a_normal_exit).
KNOWN = {("first-negative-prefix", "variant")}

ROWS = {r["id"]: r for r in load_problems()}


sb = sandbox_fixture()


@pytest.mark.parametrize("problem_id", SLICE)
def test_verdicts(sb, problem_id):
    row = ROWS[problem_id]
    seen = []
    for prog in row["programs"]:
        if prog["kind"] in SPEED_BOUND or (problem_id, prog["name"]) in KNOWN:
            continue
        report = run_tests(sb, prog["program"], row["tests"], timeout=row["cpu_limit"])
        seen.append((prog["name"], verdict(report)[:2], expected(prog)))
    assert [(name, got) for name, got, _ in seen] == [(name, want) for name, _, want in seen]
    assert {want[0] for _, _, want in seen} - {"passed"}, "the slice keeps a planted bug per problem"


def test_slice_covers_the_statuses():
    kinds = {p["kind"] for pid in SLICE for p in ROWS[pid]["programs"]}
    assert {"correct", "variant", "wrong_answer", "wrong_format", "missing_output", "runtime_error",
            "crash_after_output", "memory_hog", "infinite_loop"} <= kinds


def test_exit_builtin_is_a_normal_exit(sb):
    """`exit()` after the answer, as `python solution.py` allows (site's exit/quit builtins)."""
    row = ROWS["first-negative-prefix"]
    prog = next(p for p in row["programs"] if "exit() builtin" in p["note"])
    report = run_tests(sb, prog["program"], row["tests"], timeout=row["cpu_limit"])
    assert verdict(report)[:2] == ("passed", None), verdict(report)
