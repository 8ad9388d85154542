"""pytest-style test files in the real sandbox, run as pytest runs them: async tests are awaited,
marks and set-up are honoured, skipped and xfailed tests are neither passes nor failures (and a
run of nothing else is no pass); and text a program puts in a message is valid UTF-8 wherever
it lands. Each file is tried with a correct and a wrong program: the wrong one never passes."""
from __future__ import annotations

import pyarrow as pa
import pytest

from steplabel.pipeline.build import StageUDF
from steplabel.pipeline.labelers import make_labeler
from steplabel.pipeline.labelers.base import apply_labeling
from steplabel.pipeline.schema import new_chain, rows_to_table
from steplabel.verifiers.code import Sandbox, check_code, run_pytest_file
from tests.support.sandbox import leftovers, sandbox_fixture

pytestmark = pytest.mark.integration

RIGHT = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"
HEAD = "import asyncio, sys, unittest\nimport pytest\nfrom solution import add\n\n"


sb = sandbox_fixture(timeout=1.0, wall_factor=3.0)


def statuses(sb: Sandbox, program: str, test_file: str) -> dict[str, str]:
    report = run_pytest_file(sb, program, HEAD + test_file)
    assert not report.error, report.error
    return {r.name: r.status for r in report.results}


def verdict(sb: Sandbox, program: str, test_file: str) -> str:
    """What the code labelers see: check_code's verdict for a chain that is the program."""
    return check_code(sb, [f"```python\n{program}```"], "", {"tests": HEAD + test_file}).verdict


def never_passes_wrong(sb: Sandbox, test_file: str) -> None:
    assert verdict(sb, RIGHT, test_file) == "passed"
    assert verdict(sb, WRONG, test_file) == "failed"


# --- async tests ------------------------------------------------------------------------------

ASYNC = ("async def test_add():\n    await asyncio.sleep(0)\n    assert add(1, 2) == 3\n\n"
         "@pytest.mark.parametrize('a,b,c', [(1, 2, 3), (2, 2, 4)])\n"
         "async def test_cases(a, b, c):\n    assert add(a, b) == c\n\n"
         "class TestAsync:\n    async def test_method(self):\n        assert add(2, 3) == 5\n\n"
         "class PlainCase(unittest.TestCase):\n"  # pytest itself never awaits this one
         "    async def test_in_a_testcase(self):\n        self.assertEqual(add(4, 4), 8)\n\n"
         "class AsyncCase(unittest.IsolatedAsyncioTestCase):\n"
         "    async def asyncSetUp(self):\n        self.x = add(1, 1)\n"
         "    async def test_isolated(self):\n        self.assertEqual(self.x, 2)\n")


def test_async_tests_run_to_completion(sb):
    """An `async def` test is awaited on a fresh event loop (as pytest-asyncio or anyio would run
    it): its asserts decide it, so a wrong program fails every one of them."""
    names = ["test_add", "test_cases", "TestAsync.test_method", "PlainCase.test_in_a_testcase",
             "AsyncCase.test_isolated"]
    assert statuses(sb, RIGHT, ASYNC) == dict.fromkeys(names, "passed")
    assert statuses(sb, WRONG, ASYNC) == dict.fromkeys(names, "failed")
    never_passes_wrong(sb, ASYNC)


def test_async_tests_meet_the_limits(sb):
    """A program that spins under an async test, and an async test that waits forever, end as
    timeouts; the next test gets a working sandbox."""
    spin = "def spin():\n    while True:\n        pass\n" + RIGHT
    tests = ("from solution import spin\n\nasync def test_spins():\n    spin()\n\n"
             "async def test_waits():\n    await asyncio.sleep(60)\n\n"
             "async def test_after():\n    assert add(1, 2) == 3\n")
    report = run_pytest_file(sb, spin, HEAD + tests)
    assert [r.status for r in report.results] == ["timeout", "timeout", "passed"], report.summary()
    assert sb.restarts == 0


# --- skips ------------------------------------------------------------------------------------

SKIPS = ("def test_runs():\n    assert add(1, 2) == 3\n\n"
         "@pytest.mark.skip(reason='not today')\ndef test_skip():\n    assert add(1, 2) == 3\n\n"
         "@pytest.mark.skipif(True, reason='never here')\ndef test_skipif():\n    assert add(1, 2) == 3\n\n"
         "@pytest.mark.skipif('sys.version_info < (3,)', reason='py2')\n"
         "def test_skipif_false():\n    assert add(2, 2) == 4\n\n"
         "def test_skip_inside():\n    pytest.skip('decided at run time')\n    assert add(1, 2) == 3\n\n"
         "class TestSkipped(unittest.TestCase):\n"
         "    @unittest.skip('unittest skip')\n    def test_decorated(self):\n        self.assertEqual(add(1, 2), 3)\n"
         "    def test_skiptest(self):\n        self.skipTest('skipTest')\n\n"
         "@unittest.skip('the whole class')\nclass TestClassSkip(unittest.TestCase):\n"
         "    @classmethod\n    def setUpClass(cls):\n        raise RuntimeError('never set up')\n"
         "    def test_x(self):\n        self.assertEqual(add(1, 2), 3)\n\n"
         "@pytest.mark.skip(reason='marked class')\nclass TestMarkedClass:\n"
         "    def test_y(self):\n        assert add(1, 2) == 3\n")
SKIPPED = ["test_skip", "test_skipif", "test_skip_inside", "TestSkipped.test_decorated",
           "TestSkipped.test_skiptest", "TestClassSkip.test_x", "TestMarkedClass.test_y"]


def test_skipped_tests_are_reported_skipped(sb):
    right, wrong = statuses(sb, RIGHT, SKIPS), statuses(sb, WRONG, SKIPS)
    assert {n for n, s in right.items() if s == "skipped"} == set(SKIPPED)
    assert right["test_runs"] == right["test_skipif_false"] == "passed"
    assert {n for n, s in wrong.items() if s == "skipped"} == set(SKIPPED)
    assert wrong["test_runs"] == wrong["test_skipif_false"] == "failed"  # a false skipif condition runs
    report = run_pytest_file(sb, RIGHT, HEAD + SKIPS)
    assert report.passed and "skipped" in report.summary()
    never_passes_wrong(sb, SKIPS)


@pytest.mark.parametrize("tests", [
    "@pytest.mark.skip(reason='all')\ndef test_a():\n    assert add(1, 2) == 3\n",
    "pytestmark = pytest.mark.skipif(True, reason='module')\n\ndef test_a():\n    assert add(1, 2) == 3\n"
    "\ndef test_b():\n    assert add(2, 2) == 4\n",
    "def test_a():\n    pytest.skip('no')\n\n@pytest.mark.xfail(reason='known')\ndef test_b():\n"
    "    assert add(1, 2) == 4\n",
    "pytest.importorskip('a_module_nobody_has')\n\ndef test_a():\n    assert add(1, 2) == 3\n",
    "@pytest.mark.parametrize('x', [])\ndef test_a(x):\n    assert add(x, 0) == x\n",
    "@pytest.mark.xfail(reason='expected to fail')\ndef test_a():\n    assert add(1, 2) == 3\n",
], ids=["skip", "module_pytestmark", "skip_and_xfail", "importorskip", "empty_parametrize", "xfail_only"])
def test_a_run_of_only_skipped_tests_is_no_pass(sb, tests):
    """Nothing ran to a decision: the check is unknown (an abstain), for a right and a wrong program.
    (A non-strict xpass does not fail a run, as in pytest, but a test expected to fail that passed
    is no evidence the program is right.)"""
    for program in (RIGHT, WRONG):
        report = run_pytest_file(sb, program, HEAD + tests)
        assert not report.passed and not report.failed and report.neutral, report.summary()
        check = check_code(sb, [f"```python\n{program}```"], "", {"tests": HEAD + tests})
        assert check.verdict == "unknown" and "skipped, xfailed or xpassed" in check.why, check.why


def test_the_program_cannot_skip_a_test(sb):
    """A program's skip exceptions arrive as builtin exceptions (or as an exit): failures, not skips."""
    tests = "def test_a():\n    assert add(1, 2) == 3\n"
    for raiser in ("import unittest\n    raise unittest.SkipTest('skip me')",
                   "import pytest\n    pytest.skip('skip me')",
                   "import pytest\n    pytest.xfail('expected')"):
        program = f"def add(a, b):\n    {raiser}\n"
        (result,) = run_pytest_file(sb, program, HEAD + tests).results
        assert result.status == "error", (raiser, result.status, result.message)
        assert verdict(sb, program, tests) == "failed"


# --- xfail ------------------------------------------------------------------------------------

XFAIL = ("def test_runs():\n    assert add(1, 2) == 3\n\n"
         "@pytest.mark.xfail(reason='known bug')\ndef test_xfail():\n    assert add(1, 2) == 4\n\n"
         "@pytest.mark.xfail(reason='may pass')\ndef test_xpass():\n    assert add(1, 2) == 3\n\n"
         "@pytest.mark.xfail(raises=ZeroDivisionError)\ndef test_other_error():\n    assert add(1, 2) == 4\n\n"
         "@pytest.mark.xfail(run=False, reason='hangs')\ndef test_not_run():\n    assert add(1, 2) == 4\n\n"
         "@pytest.mark.xfail(False, reason='condition false')\ndef test_condition_false():\n"
         "    assert add(1, 1) == 2\n\n"
         "def test_imperative():\n    pytest.xfail('not yet')\n    assert add(1, 2) == 4\n\n"
         "@pytest.mark.parametrize('a,b,c', [(1, 2, 3), pytest.param(1, 2, 4, marks=pytest.mark.xfail)])\n"
         "def test_param_marks(a, b, c):\n    assert add(a, b) == c\n\n"
         "class TestExpected(unittest.TestCase):\n"
         "    @unittest.expectedFailure\n    def test_expected(self):\n        self.assertEqual(add(1, 2), 4)\n")


def test_xfail_follows_pytest(sb):
    right = statuses(sb, RIGHT, XFAIL)
    assert right == {"test_runs": "passed", "test_xfail": "xfailed", "test_xpass": "xpassed",
                     "test_other_error": "failed", "test_not_run": "xfailed", "test_condition_false": "passed",
                     "test_imperative": "xfailed", "test_param_marks": "passed",
                     "TestExpected.test_expected": "xfailed"}
    report = run_pytest_file(sb, RIGHT, HEAD + XFAIL)
    xpass = next(r for r in report.results if r.name == "test_xpass")
    assert xpass.message == "may pass"
    assert not report.passed  # xfail(raises=...) that fails otherwise is a failure, as in pytest
    fine = XFAIL.replace("raises=ZeroDivisionError", "raises=AssertionError")
    assert run_pytest_file(sb, RIGHT, HEAD + fine).passed
    never_passes_wrong(sb, fine)
    wrong = statuses(sb, WRONG, fine)
    assert wrong["test_runs"] == wrong["test_condition_false"] == wrong["test_param_marks"] == "failed"
    assert wrong["test_xpass"] == "xfailed"  # pytest's word for it too


def test_strict_xpass_and_unexpected_success_fail(sb):
    tests = ("@pytest.mark.xfail(strict=True, reason='must fail')\ndef test_strict():\n"
             "    assert add(1, 2) == 3\n\n"
             "class TestExpected(unittest.TestCase):\n"
             "    @unittest.expectedFailure\n    def test_expected(self):\n        self.assertEqual(add(1, 2), 3)\n")
    report = run_pytest_file(sb, RIGHT, HEAD + tests)
    assert [r.status for r in report.results] == ["failed", "failed"], report.summary()
    assert "[XPASS(strict)] must fail" in report.results[0].message
    assert "unexpected success" in report.results[1].message
    assert [r.status for r in run_pytest_file(sb, WRONG, HEAD + tests).results] == ["xfailed", "xfailed"]
    assert verdict(sb, WRONG, tests) == "unknown"  # nothing but expected failures: no pass


def test_program_marks_are_no_marks(sb):
    """A program whose names the tests import wholesale cannot mark the tests (its objects are
    handles or plain data, never pytest's marks) nor stand in for one."""
    forged = WRONG + ("class Mark:\n    name = 'xfail'\n    args = ()\n    kwargs = {}\n"
                      "pytestmark = [Mark()]\n"
                      "def test_extra():\n    return None\n")
    tests = ("from solution import *\n\ndef test_a():\n    assert add(1, 2) == 3\n\n"
             "def test_b():\n    assert add(0, 0) == 0\n\nfrom solution import *\n")
    report = run_pytest_file(sb, forged, HEAD + tests)
    assert not report.passed and report.failed, report.summary()
    shadowed = WRONG + "def test_a():\n    return None\n"
    report = run_pytest_file(sb, shadowed, HEAD + tests)
    assert not report.passed and report.results[0].status == "unknown", report.summary()


# --- set-up and tear-down ---------------------------------------------------------------------

SETUPS = ("state = {}\n\ndef setup_module(module):\n    module.base = add(1, 1)\n\n"
          "def setup_function(function):\n    state['f'] = function.__name__\n\n"
          "def test_module_and_function():\n    assert base == 2 and state['f'] == 'test_module_and_function'\n\n"
          "class TestXunit:\n"
          "    @classmethod\n    def setup_class(cls):\n        cls.shared = add(2, 2)\n"
          "    def setup_method(self, method):\n        self.mine = add(self.shared, 1)\n"
          "    def teardown_method(self, method):\n        assert add(0, 1) == 1, 'teardown_method ran'\n"
          "    def test_method(self):\n        assert self.mine == 5\n"
          "    def test_only_teardown_checks(self):\n        pass\n\n"
          "class TestUnit(unittest.TestCase):\n"
          "    @classmethod\n    def setUpClass(cls):\n        cls.shared = add(10, 10)\n"
          "    def setUp(self):\n        self.v = add(self.shared, 1)\n"
          "    def tearDown(self):\n        assert add(3, 4) == 7, 'tearDown ran'\n"
          "    def test_set_up(self):\n        self.assertEqual(self.v, 21)\n"
          "    def test_only_teardown_checks(self):\n        pass\n"
          "    def test_subtests(self):\n"
          "        for a in range(3):\n            with self.subTest(a=a):\n"
          "                self.assertEqual(add(a, a), 2 * a)\n\n"
          "class NotNamedTest(unittest.TestCase):\n    def test_collected(self):\n"
          "        self.assertEqual(add(1, 2), 3)\n")
SETUP_NAMES = ["test_module_and_function", "TestXunit.test_method", "TestXunit.test_only_teardown_checks",
               "TestUnit.test_set_up", "TestUnit.test_only_teardown_checks", "TestUnit.test_subtests",
               "NotNamedTest.test_collected"]


def test_set_up_and_tear_down_run(sb):
    assert statuses(sb, RIGHT, SETUPS) == dict.fromkeys(SETUP_NAMES, "passed")
    wrong = statuses(sb, WRONG, SETUPS)
    # the tests that check nothing themselves fail in their tear-down: it ran
    assert wrong == dict.fromkeys(SETUP_NAMES, "failed"), wrong
    report = run_pytest_file(sb, WRONG, HEAD + SETUPS)
    messages = {r.name: r.message for r in report.results}
    assert "teardown_method ran" in messages["TestXunit.test_only_teardown_checks"]
    assert "tearDown ran" in messages["TestUnit.test_only_teardown_checks"]
    never_passes_wrong(sb, SETUPS)


def test_a_failing_set_up_is_an_error_and_tear_down_follows_set_up(sb):
    tests = ("class TestBroken(unittest.TestCase):\n"
             "    def setUp(self):\n        raise RuntimeError('set-up broke')\n"
             "    def tearDown(self):\n        raise AssertionError('never torn down')\n"
             "    def test_a(self):\n        self.assertEqual(add(1, 2), 3)\n\n"
             "class TestBrokenXunit:\n"
             "    def setup_method(self, method):\n        raise RuntimeError('setup_method broke')\n"
             "    def test_b(self):\n        assert add(1, 2) == 3\n")
    report = run_pytest_file(sb, RIGHT, HEAD + tests)
    assert [(r.status, r.message) for r in report.results] == [
        ("error", "RuntimeError: set-up broke"), ("error", "RuntimeError: setup_method broke")]


# --- fixtures, parametrize, raises, approx ----------------------------------------------------

FIXTURES = ("@pytest.fixture\ndef pair():\n    return (3, 4)\n\n"
            "@pytest.fixture\ndef opened():\n    state = {'open': True}\n    yield state\n"
            "    assert add(1, 1) == 2, 'fixture tear-down ran'\n\n"
            "@pytest.fixture(params=[1, 2, 3])\ndef num(request):\n    return add(request.param, 0)\n\n"
            "@pytest.fixture\ndef doubled(num):\n    return num * 2\n\n"
            "def test_pair(pair):\n    assert add(*pair) == 7\n\n"
            "def test_yield(opened):\n    assert opened['open']\n\n"
            "def test_params(num, doubled):\n    assert add(num, num) == doubled\n\n"
            "@pytest.mark.parametrize('x', [pytest.param(5), 6])\ndef test_one_name_param(x):\n"
            "    assert add(x, 1) == x + 1\n\n"
            "@pytest.mark.parametrize('num', [10], indirect=True)\ndef test_indirect(num):\n"
            "    assert add(num, 1) == 11\n\n"
            "def test_builtin(tmp_path, monkeypatch):\n    (tmp_path / 'f').write_text('1')\n"
            "    monkeypatch.setattr(sys, 'maxsize', 5)\n    assert sys.maxsize == 5\n"
            "    assert add(int((tmp_path / 'f').read_text()), 1) == 2\n\n"
            "def test_raises():\n    with pytest.raises(TypeError):\n        add(None, 1)\n"
            "    with pytest.raises(ZeroDivisionError, match='zero'):\n        1 / 0\n\n"
            "def test_approx():\n    assert add(0.1, 0.2) == pytest.approx(0.3)\n"
            "    assert [add(0.5, 0.25)] == pytest.approx([0.75])\n")
FIXTURE_NAMES = ["test_pair", "test_yield", "test_params", "test_one_name_param", "test_indirect",
                 "test_builtin", "test_raises", "test_approx"]


def test_fixtures_parametrize_raises_and_approx(sb):
    assert statuses(sb, RIGHT, FIXTURES) == dict.fromkeys(FIXTURE_NAMES, "passed")
    wrong = statuses(sb, WRONG, FIXTURES)
    assert {n for n, s in wrong.items() if s != "failed"} == {"test_raises"}  # a - b raises TypeError too
    report = run_pytest_file(sb, WRONG, HEAD + FIXTURES)
    assert "fixture tear-down ran" in next(r.message for r in report.results if r.name == "test_yield")
    never_passes_wrong(sb, FIXTURES)
    assert sys_maxsize_intact(sb)


def sys_maxsize_intact(sb: Sandbox) -> bool:
    """monkeypatch's changes are undone after the test (the test process serves later runs)."""
    return run_pytest_file(sb, RIGHT, HEAD + "def test_m():\n    assert sys.maxsize > 5\n").passed


def test_a_fixture_the_sandbox_lacks_is_undecided(sb):
    tests = "def test_out(capsys):\n    print(add(1, 2))\n    assert capsys.readouterr().out == '3\\n'\n"
    for program in (RIGHT, WRONG):
        (result,) = run_pytest_file(sb, program, HEAD + tests).results
        assert result.status == "unknown" and "'capsys' is not available" in result.message
        assert verdict(sb, program, tests) == "unknown"


def test_a_generator_test_file_is_refused(sb):
    """pytest refuses a file whose test yields (its body would never run): nothing is decided."""
    tests = "def test_gen():\n    yield\n    assert add(1, 2) == 4\n"
    report = run_pytest_file(sb, WRONG, HEAD + tests)
    assert report.error and "'yield'" in report.error and not report.passed
    assert verdict(sb, WRONG, tests) == "unknown"


# --- text from the sandbox ----------------------------------------------------------------------

SURROGATE = "def add(a, b):\n    raise ValueError(chr(0xd800) + ' and ' + chr(0xdfff))\n"


def test_a_lone_surrogate_ends_as_a_clean_failure(sb):
    tests = "def test_a():\n    assert add(1, 2) == 3\n"
    check = check_code(sb, [f"```python\n{SURROGATE}```"], "", {"tests": HEAD + tests})
    assert check.verdict == "failed" and "\ufffd and \ufffd" in check.why
    check.why.encode("utf-8")
    for r in check.report.results:
        for text in (r.name, r.message, r.tb, r.output, *(f[2] for f in r.frames)):
            text.encode("utf-8")
    assert not leftovers(sb)


def test_the_code_labelers_evidence_encodes(sb):
    """The code labelers' verdicts for that program go into a Parquet row as they are."""
    outcome, steps = make_labeler("code_outcome", {"timeout": 2.0}), make_labeler("code_steps", {"timeout": 2.0})
    try:
        text = f"```python\n{SURROGATE}```"
        chain = new_chain(chain_id="s", problem_id="s", domain="code", problem="add two numbers",
                          reference={"tests": HEAD + "def test_a():\n    assert add(1, 2) == 3\n"},
                          text=text, segmenter="blank_line", steps=[{"index": 0, "text": text, "verdicts": []}])
        for labeler in (outcome, steps):
            apply_labeling(chain, labeler.label(chain))
    finally:
        outcome.close()
        steps.close()
    assert chain["outcome"]["correct"] is False and "\ufffd" in chain["outcome"]["evidence"]
    assert rows_to_table([chain]).num_rows == 1


class LeavesASurrogate:
    """A stage (a labeler gone wrong) that leaves an unencodable string in one row's evidence."""

    name = "code_outcome"

    def __call__(self, rows: list[dict]) -> list[dict]:
        for row in rows:
            if row["chain_id"] == "bad":
                row["outcome"] = {"correct": False, "evidence": "ValueError: \ud800"}
            else:
                row["outcome"] = {"correct": True, "evidence": "fine"}
        return rows


def test_a_row_with_an_unencodable_string_is_quarantined_not_fatal():
    """Whatever puts a lone surrogate in a row, the build's stage wrapper quarantines that row
    alone (with the reason, itself valid UTF-8) and writes the others."""
    batch = rows_to_table([new_chain(chain_id=c, problem_id=c, problem="p", text="t") for c in ("ok", "bad", "ok2")])
    out = StageUDF(LeavesASurrogate)(batch)
    assert isinstance(out, pa.Table)
    rows = {r["chain_id"]: r for r in out.to_pylist()}
    assert rows["bad"]["status"] == "quarantined" and "surrogates not allowed" in rows["bad"]["status_reason"]
    rows["bad"]["status_reason"].encode("utf-8")
    assert rows["ok"]["outcome"]["evidence"] == rows["ok2"]["outcome"]["evidence"] == "fine"
    assert rows["ok"]["status"] != "quarantined"
