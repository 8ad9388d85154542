"""What the tests see of a program, and what they get back from it, in the real sandbox.

Each case is a program a policy rewarded for passes could write (or a correct program the
harness once scored wrong), with tests as datasets write them. Every wrong program must not pass,
every correct one must, and a correct program run right after each one still passes.
"""
from __future__ import annotations

import textwrap

import pytest

from steplabel.verifiers.code import Sandbox, run_tests
from tests.support.sandbox import sandbox_fixture

ADD = "def add(a, b):\n    return a + b\n"
ADD_TESTS = "assert add(1, 2) == 3\nassert add(-4, 4) == 0\n"


sb = sandbox_fixture(timeout=1.0, wall_factor=3.0, memory_mb=512, nproc=32, tmp_mb=16)


def check(body: str) -> str:
    """HumanEval-style tests: `check(candidate)` with `body` as its lines."""
    return "def check(candidate):\n" + textwrap.indent(textwrap.dedent(body).strip() + "\n", "    ")


def statuses(report) -> list[str]:
    return [t.status for t in report.results]


def then_a_correct_program_passes(sb: Sandbox) -> None:
    assert run_tests(sb, ADD, ADD_TESTS).passed


# --- names: what the tests take from the program ---------------------------------------------

LYING_MATH = "class math:\n    @staticmethod\n    def isclose(*a, **k):\n        return True\ndef circle_area(r):\n    return 0\n"
AREA_TESTS = "assert math.isclose(circle_area(2), 12.566370614359172, rel_tol=1e-6)\n"


def test_an_object_under_a_module_name_is_not_the_tests_module(sb):
    assert not run_tests(sb, LYING_MATH, AREA_TESTS).passed
    assert run_tests(sb, "import math\ndef circle_area(r):\n    return math.pi * r * r\n", AREA_TESTS).passed
    then_a_correct_program_passes(sb)


def test_stdlib_names_the_program_imported_are_the_tests_own_copies(sb):
    tests = "assert isclose(circle_area(2), 12.566370614359172, rel_tol=1e-6)\nassert Counter('aab').most_common(1) == [('a', 2)]\n"
    right = "from math import isclose, pi\nfrom collections import Counter\ndef circle_area(r):\n    return pi * r * r\n"
    assert run_tests(sb, right, tests).passed
    # what the program does to its own copies stays in its process: the tests call theirs
    tampered = right + "import math\nmath.isclose = lambda *a, **k: True\nCounter.most_common = lambda *a: []\n"
    assert not run_tests(sb, tampered.replace("pi * r * r", "0"), tests).passed
    assert run_tests(sb, tampered, tests).passed
    then_a_correct_program_passes(sb)


def test_a_program_star_imported_by_pytest_tests_cannot_replace_pytest(sb):
    program = ("class pytest:\n    @staticmethod\n    def approx(x, *a, **k):\n        return 0\n"
               "def add(a, b):\n    return 0\n")
    tests = "import pytest\nfrom solution import *\n\ndef test_add():\n    assert add(0.1, 0.2) == pytest.approx(0.3)\n"
    assert not run_tests(sb, program, tests).passed
    assert run_tests(sb, "def add(a, b):\n    return a + b\n", tests).passed


def test_an_entry_point_named_like_a_builtin_is_the_programs(sb):
    tests = check("assert candidate([3, 1, 2]) == [1, 2, 3]")
    assert not run_tests(sb, "def sorted(xs):\n    return xs\n", tests, entry_point="sorted").passed
    empty = run_tests(sb, "x = 1\n", tests, entry_point="sorted")
    assert not empty.passed and "does not define sorted" in empty.results[0].message
    right = "def sorted(xs):\n    out = list(xs)\n    out.sort()\n    return out\n"
    assert run_tests(sb, right, tests, entry_point="sorted").passed
    then_a_correct_program_passes(sb)


def test_a_redefined_builtin_without_an_entry_point_decides_nothing(sb):
    report = run_tests(sb, "def pow(b, e):\n    return 0\n", "assert pow(2, 10) == 1024\n")
    assert statuses(report) == ["unknown"] and not report.passed
    named = run_tests(sb, "def pow(b, e):\n    return 0\n", "assert pow(2, 10) == 1024\n", entry_point="pow")
    assert statuses(named) == ["failed"]
    assert run_tests(sb, "def pow(b, e):\n    return b ** e\n", "assert pow(2, 10) == 1024\n", entry_point="pow").passed


def test_function_call_cases_with_a_builtin_name(sb):
    doc = '{"format": "calls", "fn_name": "max", "cases": [{"input": [[3, 9, 2]], "output": 9}]}'
    assert run_tests(sb, "def max(xs):\n    best = xs[0]\n    for x in xs:\n        best = x if x > best else best\n"
                         "    return best\n", doc).passed
    assert not run_tests(sb, "def max(xs):\n    return xs[0]\n", doc).passed
    assert run_tests(sb, "class Solution:\n    def max(self, xs):\n        return sorted(xs)[-1]\n", doc).passed


def test_a_module_tag_never_runs_a_main_in_the_test_process(sb):
    program = "import types\nX = types.ModuleType('unittest.__main__')\ndef add(a, b):\n    return a - b\n"
    report = run_tests(sb, program, ADD_TESTS)
    assert statuses(report)[0] == "failed" and not report.infra
    then_a_correct_program_passes(sb)


def test_a_big_global_does_not_stop_a_correct_program(sb):
    program = "SIEVE = bytearray(30_000_000)\nWORDS = ['w%d' % i for i in range(400_000)]\n" + ADD
    assert run_tests(sb, program, ADD_TESTS + "assert len(WORDS) == 400_000\n").passed


# --- values: what comes back from a call ------------------------------------------------------

def test_an_argument_returned_is_the_tests_own_object(sb):
    tests = check("""
        a = [1, 2, 3]
        b = candidate(a)
        assert b is not a
        b.append(4)
        assert a == [1, 2, 3]
    """)
    assert not run_tests(sb, "def f(a):\n    return a\n", tests, entry_point="f").passed
    assert run_tests(sb, "def f(a):\n    return list(a)\n", tests, entry_point="f").passed
    in_place = check("a = [3, 1, 2]\nassert candidate(a) is a and a == [1, 2, 3]")
    assert run_tests(sb, "def f(a):\n    a.sort()\n    return a\n", in_place, entry_point="f").passed


def test_keyword_arguments_changed_by_a_call_change_here(sb):
    untouched = check("a = [3, 1, 2]\nassert candidate(nums=a) == [1, 2, 3]\nassert a == [3, 1, 2]")
    assert not run_tests(sb, "def f(nums):\n    nums.sort()\n    return nums\n", untouched, entry_point="f").passed
    sorted_in_place = check("a = [3, 1, 2]\ncandidate(nums=a)\nassert a == [1, 2, 3]")
    assert run_tests(sb, "def f(nums):\n    nums.sort()\n", sorted_in_place, entry_point="f").passed


def test_a_change_too_large_for_data_is_unknown_not_ignored(sb):
    program = "def f(a):\n    r = sorted(a)\n    a.append('x' * 40_000_000)\n    return r\n"
    tests = check("a = [3, 1, 2]\nassert candidate(a) == [1, 2, 3]\nassert a == [3, 1, 2]")
    assert statuses(run_tests(sb, program, tests, entry_point="f")) == ["unknown"]
    then_a_correct_program_passes(sb)


def test_aliasing_inside_a_result_is_kept(sb):
    tests = check("""
        g = candidate(3)
        assert g == [[0, 0, 0]] * 3
        g[0][0] = 1
        assert g[1][0] == 0, "rows must be independent"
    """)
    assert not run_tests(sb, "def grid(n):\n    return [[0] * n] * n\n", tests, entry_point="grid").passed
    assert run_tests(sb, "def grid(n):\n    return [[0] * n for _ in range(n)]\n", tests, entry_point="grid").passed
    then_a_correct_program_passes(sb)


SORTER_TESTS = check("""
    a = [3, 1, 2]
    s = candidate(a)
    assert s.result() == [1, 2, 3]
    assert a == [3, 1, 2], "the input must not change"
""")


def test_an_argument_the_program_keeps_and_changes_later_changes_here(sb):
    keeps = "class Sorter:\n    def __init__(self, nums):\n        self.nums = nums\n    def result(self):\n" \
            "        self.nums.sort()\n        return self.nums\n"
    copies = keeps.replace("self.nums = nums", "self.nums = list(nums)")
    assert not run_tests(sb, keeps, SORTER_TESTS, entry_point="Sorter").passed
    assert run_tests(sb, copies, SORTER_TESTS, entry_point="Sorter").passed
    then_a_correct_program_passes(sb)


def test_a_result_the_program_keeps_is_one_object_that_changes_with_it(sb):
    program = ("class Log:\n    def __init__(self):\n        self.lines = []\n    def add(self, line):\n"
               "        self.lines.append(line)\n    def view(self):\n        return self.lines\n")
    tests = check("""
        log = candidate()
        seen = log.view()
        log.add("a")
        log.add("b")
        assert seen == ["a", "b"] and log.view() is seen
        seen.clear()
        assert log.view() == []
    """)
    assert run_tests(sb, program, tests, entry_point="Log").passed
    snapshot = program.replace("return self.lines", "return list(self.lines)")
    assert not run_tests(sb, snapshot, tests, entry_point="Log").passed


def test_rows_inside_an_argument_keep_their_identity(sb):
    tests = check("""
        grid = [[1, 2], [3, 4]]
        row = grid[0]
        candidate(grid)
        assert row == [9, 2] and grid[0] is row and grid == [[9, 2], [3, 4]]
        assert candidate(grid) is None and grid[0][0] == 9
    """)
    assert run_tests(sb, "def mark(g):\n    g[0][0] = 9\n", tests, entry_point="mark").passed
    rebuilt = "def mark(g):\n    g[0] = [9, g[0][1]]\n"
    assert not run_tests(sb, rebuilt, tests, entry_point="mark").passed


def test_the_same_object_of_the_program_is_the_same_handle(sb):
    program = "class Node:\n    pass\nclass Tree:\n    def __init__(self):\n        self.root = Node()\n" \
              "    def top(self):\n        return self.root\n"
    tests = check("t = candidate()\nassert t.top() is t.top()")
    assert run_tests(sb, program, tests, entry_point="Tree").passed
    fresh = program.replace("return self.root", "return Node()")
    assert not run_tests(sb, fresh, tests, entry_point="Tree").passed


def test_value_types_of_the_standard_library_arrive_as_the_tests_own(sb):
    program = ("import math\nfrom fractions import Fraction\nfrom collections import namedtuple\n"
               "Point = namedtuple('Point', 'x y')\n"
               "def fill(xs):\n    return [math.nan if x is None else x for x in xs]\n"
               "def half(x):\n    return Fraction(x, 2)\n"
               "def mid(a, b):\n    return Point((a.x + b.x) / 2, (a.y + b.y) / 2)\n"
               "def zero_first(b):\n    b[0] = 0\n    return b\n")
    tests = ("import math\nfrom fractions import Fraction\nfrom collections import namedtuple\n"
             "assert fill([None, 1]) == [math.nan, 1]\n"
             "assert half(3) == Fraction(3, 2)\n"
             "P = namedtuple('P', 'x y')\nassert mid(P(0, 0), P(2, 4)).y == 2.0\n"
             "b = bytearray(b'ab')\nassert zero_first(b) is b and b == bytearray(b'\\x00b')\n")
    assert run_tests(sb, program, tests).passed
    wrong = program.replace("math.nan if", "float('nan') if").replace("Fraction(x, 2)", "Fraction(x, 3)") \
        .replace("(a.y + b.y) / 2", "a.y").replace("b[0] = 0", "b = bytearray(b)\n    b[0] = 0")
    assert statuses(run_tests(sb, wrong, tests)) == ["failed"] * 4


def test_scalar_calls_keep_what_the_full_form_keeps(sb):
    """A call with scalar arguments while nothing is shared travels in short form: what the
    program kept from earlier calls, nan's identity and answers that are not scalars are as in
    the full form."""
    program = ("import math\nkept = []\n"
               "def keep(xs):\n    global kept\n    kept = xs\n"
               "def push(n):\n    kept.append(n)\n    return len(kept)\n"
               "def is_nan_itself(x):\n    return x is math.nan\n"
               "def pair(a, b):\n    return [a, b]\n"
               "def both(a, b):\n    return (a, b)\n"
               "def fail(n):\n    raise KeyError(n)\n")
    tests = check("""
        import math
        xs = [1]
        keep(xs)
        assert push(2) == 2 and xs == [1, 2]
        del xs
        assert push(3) == 3
        assert is_nan_itself(math.nan) is True and is_nan_itself(float("nan")) is False
        assert pair(1, "a") == [1, "a"] and type(pair(None, 2.5)) is list
        assert pair(True, 1 << 5000)[1] == 1 << 5000
        assert both(1, "x") == (1, "x") and type(both(None, 2.5)) is tuple and both(1, [2]) == (1, [2])
        try:
            fail(7)
        except KeyError as exc:
            assert "7" in str(exc)
        else:
            raise AssertionError("no KeyError")
    """)
    assert run_tests(sb, program, tests, entry_point="keep").passed
    copies = program.replace("kept = xs", "kept = list(xs)")
    assert not run_tests(sb, copies, tests, entry_point="keep").passed
    then_a_correct_program_passes(sb)


def test_containers_in_a_short_call_are_shared_as_in_the_full_form(sb):
    program = ("kept = {}\n"
               "def total(xs):\n    return sum(xs)\n"
               "def sort_in_place(xs):\n    xs.sort()\n    return len(xs)\n"
               "def keep(xs, name):\n    kept[name] = xs\n    return 0\n"
               "def grow(name, n):\n    kept[name].append(n)\n    return len(kept[name])\n"
               "def same(a, b):\n    return a is b\n"
               "def count(d, s, t):\n    d['n'] = len(s) + len(t)\n    s.add(0)\n    return d['n']\n")
    tests = check("""
        assert total([5, 1, 2]) == 8 and total([]) == 0
        xs = [3, 1, 2]
        assert sort_in_place(xs) == 3 and xs == [1, 2, 3]
        ys = [1]
        keep(ys, "ys")
        assert grow("ys", 2) == 2 and ys == [1, 2]
        zs = [9]
        assert same(zs, zs) is True and same(zs, [9]) is False
        d, s = {}, {1}
        assert count(d, s, (1, 2)) == 3 and d == {"n": 3} and s == {0, 1}
    """)
    assert run_tests(sb, program, tests, entry_point="total").passed
    for wrong in (program.replace("xs.sort()", "xs = sorted(xs)"), program.replace("kept[name] = xs", "kept[name] = list(xs)"),
                  program.replace("s.add(0)", "s = s | {0}")):
        assert not run_tests(sb, wrong, tests, entry_point="total").passed
    then_a_correct_program_passes(sb)


def test_a_change_to_an_equal_value_of_another_type_reaches_the_tests(sb):
    program = "def flag(xs):\n    xs[0] = True\n    xs[1][0] = -0.0\n"
    tests = check("""
        import math
        xs = [1, [0.0]]
        candidate(xs)
        assert xs[0] is True and math.copysign(1, xs[1][0]) == -1
    """)
    assert run_tests(sb, program, tests, entry_point="flag").passed
    assert not run_tests(sb, program.replace("True", "1"), tests, entry_point="flag").passed


def test_the_programs_generators_are_drawn_from(sb):
    endless = "def f(n):\n    i = 0\n    while True:\n        yield i * n\n        i += 1\n"
    tests = check("""
        import itertools
        g = candidate(3)
        assert next(g) == 0 and next(g) == 3
        assert list(itertools.islice(candidate(3), 4)) == [0, 3, 6, 9]
        assert 6 in candidate(3)
    """)
    assert run_tests(sb, endless, tests, entry_point="f").passed
    assert not run_tests(sb, endless.replace("i * n", "i * n + (i == 3)"), tests, entry_point="f").passed
    short = run_tests(sb, "def f(n):\n    yield 0\n", tests, entry_point="f")
    assert not short.passed


# --- the harness's own channels -----------------------------------------------------------------

def test_a_malformed_exception_report_is_the_programs_error(sb):
    program = ("import steplabel_inside.program as harness\n_describe = harness.describe\n"
               "def lying(exc):\n    d = _describe(exc)\n    d['frames'] = None\n    return d\n"
               "harness.describe = lying\n"
               "def add(a, b):\n    raise ValueError('no')\n")
    report = run_tests(sb, program, ADD_TESTS)
    assert not report.passed and not report.infra and statuses(report)[0] == "error"
    then_a_correct_program_passes(sb)


def test_a_script_flooding_the_reply_pipe_is_its_error(sb):
    program = textwrap.dedent("""
        import os, stat
        for fd in range(3, 256):
            try:
                if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                    continue
            except OSError:
                continue
            for _ in range(40):
                try:
                    os.write(fd, b'\\0' * (1 << 20))
                except OSError:
                    break
        a, b = map(int, input().split())
        print(a + b)
    """)
    result = sb.run_io(program, [{"input": "1 2\n", "output": "3\n"}])[0]
    assert result.status == "error" and not result.infra
    assert sb.run_io("a, b = map(int, input().split())\nprint(a + b)\n", [{"input": "1 2\n", "output": "3\n"}])[0].status \
        == "passed"


@pytest.mark.parametrize("ending", ["import signal, time\nsignal.alarm(1)\ntime.sleep(3)\n",
                                    "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n"])
def test_a_script_ended_by_a_signal_is_a_runtime_error(sb, ending):
    program = "a, b = map(int, input().split())\nprint(a + b, flush=True)\n" + ending
    result = sb.run_io(program, [{"input": "1 2\n", "output": "3\n"}])[0]
    assert result.status == "error" and "exit code" in result.message


def test_a_scripts_atexit_output_counts(sb):
    program = "import atexit\na, b = map(int, input().split())\natexit.register(lambda: print(a + b))\n"
    assert sb.run_io(program, [{"input": "1 2\n", "output": "3\n"}])[0].status == "passed"


def test_a_scripts_unflushed_file_object_writes_out_at_the_end(sb):
    program = "import os\nout = os.fdopen(1, 'w')\na, b = map(int, input().split())\nout.write(f'{a + b}\\n')\n"
    assert sb.run_io(program, [{"input": "1 2\n", "output": "3\n"}])[0].status == "passed"


def test_the_tests_random_draws_are_the_same_in_every_run(sb):
    tests = check("import random\nfor _ in range(6):\n    x = random.randint(0, 1)\n    assert candidate(x) == x")
    wrong = "def f(x):\n    return 1\n"
    first = statuses(run_tests(sb, wrong, tests, entry_point="f"))
    assert run_tests(sb, "def f(x):\n    return x\n", tests, entry_point="f").passed
    assert statuses(run_tests(sb, wrong, tests, entry_point="f")) == first == ["failed"]
