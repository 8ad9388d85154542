"""The code-dataset importers on small records of our own writing in APPS/TACO, CodeContests and
LiveCodeBench shapes: the test documents the runner reads, problems, solution chains, options,
bad records, and a pickle that must not run."""
from __future__ import annotations

import base64
import json
import os
import pickle
import zlib

import pytest

from steplabel.pipeline.importers import apps, livecodebench
from pydantic import ValidationError

from steplabel.pipeline.config import BuildConfig, InputConfig
from steplabel.pipeline.importers.plain_pickle import UnsafePickle, _NoGlobals, loads_plain
from steplabel.pipeline.llm.config import GenerationConfig
from steplabel.pipeline.sources import Intake, iter_chains
from steplabel.pipeline.validation import validation_message
from steplabel.verifiers.code.runner import case_document, detect_style

DOUBLE = "n = int(input())\nprint(2 * n)\n"
HALF = "x = float(input())\nprint(x / 2)\n"


def _rows(tmp_path, kind, records, generation=None, **options):
    path = tmp_path / f"{kind}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    intake = Intake()
    rows = list(iter_chains(InputConfig(kind=kind, path=str(path), options=options), generation, intake))
    assert intake.records == len(records)
    return rows


def _doc(row):
    doc = case_document(row["reference"]["tests"])
    assert doc is not None and detect_style(row["reference"]["tests"]) == doc["format"]
    return doc


def _outcome(row):
    (verdict,) = row["steps"][-1]["verdicts"]
    assert verdict["labeler"] == "source_outcome"
    return verdict["rating"], verdict["version"]


def _apps(**over):
    record = {"problem_id": 12, "question": "Print twice the number n.\n\n-----Input-----\nOne integer n.",
              "starter_code": "", "difficulty": "introductory", "url": "https://example.org/p/12",
              "solutions": json.dumps([DOUBLE, "import sys\n\n\ndef main():\n    print(2 * int(sys.stdin.readline()))\n\n\nmain()\n"]),
              "input_output": json.dumps({"inputs": ["3\n", ["5"], ["7", ""]], "outputs": ["6\n", ["10"], ["14", ""]]})}
    return {**record, **over}


# --- APPS / TACO ---------------------------------------------------------------------------------

def test_apps_stdio_cases_with_lists_of_lines_and_solution_chains(tmp_path):
    rows = _rows(tmp_path, "apps", [_apps()])
    assert len(rows) == 2 and all(r["status"] == "labeled" and r["domain"] == "code" for r in rows)
    assert _doc(rows[0]) == {"format": "stdio", "float_tolerance": None, "cases": [
        {"input": "3\n", "output": "6\n"}, {"input": "5", "output": "10"}, {"input": "7\n", "output": "14\n"}],
        "case_insensitive": False, "prelude": apps.PRELUDE}  # the imports APPS's judge puts first
    assert rows[0]["reference"]["entry_point"] is None and rows[0]["problem_id"] == "12"
    assert rows[0]["problem"].startswith("Print twice the number n.")
    assert rows[0]["problem"].endswith("reads its input from standard input and writes the answer to standard output.")
    first = rows[0]
    assert first["text"] == f"```python\n{DOUBLE.rstrip()}\n```" and first["segmenter"] == "blank_line"
    assert first["generator"] == {**first["generator"], "kind": "imported", "model": "apps:solution"}
    assert [_outcome(r) for r in rows] == [(1, "apps"), (1, "apps")]
    # split at its blank lines; the verdict is on the last step
    assert [s["text"] for s in rows[1]["steps"]] == [
        "```python\nimport sys", "def main():\n    print(2 * int(sys.stdin.readline()))", "main()\n```"]


def test_apps_call_based_cases_keep_outputs_as_stored_and_starter_code_goes_with_the_problem(tmp_path):
    io = {"fn_name": "pair_sum", "inputs": [[[1, 2, 3], 5], [[], 0]], "outputs": [[True], [False]]}
    (row,) = _rows(tmp_path, "apps", [_apps(input_output=json.dumps(io), starter_code="def pair_sum(xs, t):\n\t",
                                            solutions=json.dumps(["def pair_sum(xs, t):\n    return any(a + b == t for a in xs for b in xs if a is not b)\n"]))])
    assert _doc(row) == {"format": "calls", "fn_name": "pair_sum", "cases": [
        {"input": [[1, 2, 3], 5], "output": [True]}, {"input": [[], 0], "output": [False]}],
        "unwrap": True, "prelude": apps.PRELUDE}
    assert row["reference"]["entry_point"] == "pair_sum"
    assert "Starter code:\n```python\ndef pair_sum(xs, t):\n```" in row["problem"]
    assert row["problem"].endswith("The tests call `pair_sum` with each case's arguments and compare what it returns.")


def test_taco_records_without_an_id_take_the_kind_and_the_record_index(tmp_path):
    record = _apps(solutions=json.dumps([DOUBLE]), tags="['Math']", skill_types="[]", source="codeforces")
    del record["problem_id"]
    rows = _rows(tmp_path, "taco", [record, {**record, "question": "Print 2n."}])
    assert [r["problem_id"] for r in rows] == [f"{tmp_path / 'taco.jsonl'}#0", f"{tmp_path / 'taco.jsonl'}#1"]
    assert rows[0]["generator"]["model"] == "taco:solution" and _outcome(rows[0]) == (1, "taco")


def test_a_problem_with_no_solutions_is_a_problem_to_sample(tmp_path):
    no_generation = _rows(tmp_path, "apps", [_apps(solutions="")])
    assert [r["status"] for r in no_generation] == ["quarantined"]
    assert "no `generation:` section to sample one" in no_generation[0]["status_reason"]
    generation = GenerationConfig(policy={"base_url": "http://127.0.0.1:1/v1", "model": "policy"}, n=3)
    sampled = _rows(tmp_path, "apps", [_apps(solutions="")], generation)
    assert [r["generator"]["kind"] for r in sampled] == ["sampled"] * 3
    assert all(r["domain"] == "code" and r["reference"]["tests"] for r in sampled)
    both = _rows(tmp_path, "apps", [_apps()], generation)  # solutions as chains, and the samples
    assert [r["generator"]["kind"] for r in both] == ["imported"] * 2 + ["sampled"] * 3
    only_problems = _rows(tmp_path, "apps", [_apps()], generation, solutions="none")
    assert [r["generator"]["kind"] for r in only_problems] == ["sampled"] * 3


def test_float_tolerance_only_where_outputs_hold_a_decimal_number(tmp_path):
    halves = json.dumps({"inputs": ["3\n", "4\n"], "outputs": ["1.5\n", "2.0\n"]})
    (decimal,) = _rows(tmp_path, "apps", [_apps(input_output=halves, solutions=json.dumps([HALF]))])
    (integer,) = _rows(tmp_path, "apps", [_apps(solutions=json.dumps([DOUBLE]))])
    assert _doc(decimal)["float_tolerance"] == 1e-5 and _doc(integer)["float_tolerance"] is None
    (exact,) = _rows(tmp_path, "apps", [_apps(input_output=halves, solutions=json.dumps([HALF]))], float_tolerance=None)
    assert _doc(exact)["float_tolerance"] is None
    exponent = json.dumps({"inputs": ["1\n"], "outputs": ["answer 1e-9\n"]})
    (row,) = _rows(tmp_path, "apps", [_apps(input_output=exponent, solutions=json.dumps([HALF]))], float_tolerance=0.01)
    assert _doc(row)["float_tolerance"] == 0.01


def test_caps_on_cases_and_solutions(tmp_path):
    many = json.dumps({"inputs": [f"{i}\n" for i in range(10)], "outputs": [f"{2 * i}\n" for i in range(10)]})
    programs = [DOUBLE, "print(int(input()) * 2)\n", "print(int(input()) << 1)\n"]
    rows = _rows(tmp_path, "apps", [_apps(input_output=many, solutions=json.dumps(programs))], max_cases=4,
                 max_solutions=2)
    assert len(rows) == 2 and [c["input"] for c in _doc(rows[0])["cases"]] == ["0\n", "1\n", "2\n", "3\n"]


@pytest.mark.parametrize("change, reason", [
    ({"input_output": "{\"inputs\": [1"}, "field 'input_output' is not valid JSON"),
    ({"input_output": ""}, "field 'input_output' is empty: the problem has no test cases"),
    ({"input_output": json.dumps({"inputs": [], "outputs": []})}, "the problem has no test cases"),
    ({"input_output": json.dumps({"inputs": ["1"], "outputs": ["2", "3"]})}, "has 1 inputs and 2 outputs entries"),
    ({"input_output": json.dumps({"inputs": "1", "outputs": ["2"]})}, "'input_output.inputs' is a string, not a list"),
    ({"input_output": json.dumps({"inputs": [{"n": 1}], "outputs": ["2"]})},
     "'input_output.inputs[0]' is an object where text belongs"),
    ({"input_output": json.dumps({"fn_name": "f(x)", "inputs": [[1]], "outputs": [1]})}, "is not a Python function name"),
    ({"input_output": json.dumps({"fn_name": "f", "inputs": ["1"], "outputs": [1]})},
     "'input_output.inputs[0]' is a string, not a list of arguments for f"),
    ({"solutions": json.dumps("print(1)")}, "field 'solutions' is a string, not a list"),
    ({"question": None}, "field 'question' is missing"),
])
def test_bad_apps_records_are_quarantined_with_the_reason(tmp_path, change, reason):
    (row,) = _rows(tmp_path, "apps", [_apps(**change)])
    assert row["status"] == "quarantined" and reason in row["status_reason"], row["status_reason"]
    assert row["status_reason"].startswith("[import] apps.jsonl:1:")


def test_a_solution_that_cannot_be_fenced_is_quarantined_and_the_others_kept(tmp_path):
    programs = [DOUBLE, "s = '```'\nprint(s)\n", "   \n"]
    rows = _rows(tmp_path, "apps", [_apps(solutions=json.dumps(programs))])
    assert [r["status"] for r in rows] == ["labeled", "quarantined", "quarantined"]
    assert "holds ```, so it cannot be one fenced code block" in rows[1]["status_reason"]
    assert rows[2]["status_reason"].endswith("the solution is empty")


# --- CodeContests --------------------------------------------------------------------------------

def _contest(**over):
    record = {
        "name": "9999_A. Doubling", "description": "Given n, print 2n.\n\nInput\n\nOne integer n.",
        "public_tests": {"input": ["3\n"], "output": ["6\n"]},
        "private_tests": {"input": ["10\n", "0\n"], "output": ["20\n", "0\n"]},
        "generated_tests": {"input": ["-4\n"], "output": ["-8\n"]},
        "source": 2, "difficulty": 7, "cf_rating": 800, "cf_tags": ["math"],
        "solutions": {"language": [2, 3, 1, "PYTHON3"],
                      "solution": ["int main(){}", DOUBLE, "print 2*input()", "print(int(input()) * 2)\n"]},
        "incorrect_solutions": {"language": [3, 4], "solution": ["print(int(input()) + 2)\n", "class A {}"]},
        "time_limit": {"seconds": 2, "nanos": 0}, "memory_limit_bytes": 256000000,
        "input_file": "", "output_file": "",
    }
    return {**record, **over}


def test_codecontests_cases_from_the_chosen_sets_and_python3_solutions_with_their_verdicts(tmp_path):
    rows = _rows(tmp_path, "codecontests", [_contest()])
    assert [(r["generator"]["model"], _outcome(r)[0]) for r in rows] == [
        ("codecontests:solution", 1), ("codecontests:solution", 1), ("codecontests:incorrect_solution", -1)]
    assert [c["input"] for c in _doc(rows[0])["cases"]] == ["3\n", "10\n", "0\n", "-4\n"]
    assert rows[0]["problem_id"] == "9999_A. Doubling" and rows[0]["problem"].startswith("Given n, print 2n.")
    assert _outcome(rows[2]) == (-1, "codecontests")
    (public_only,) = _rows(tmp_path, "codecontests", [_contest()], tests=["generated", "public"], max_cases=1,
                           solutions="correct", max_solutions=1)
    assert _doc(public_only)["cases"] == [{"input": "-4\n", "output": "-8\n"}]  # the sets in the order named
    assert public_only["text"] == f"```python\n{DOUBLE.rstrip()}\n```"
    incorrect = _rows(tmp_path, "codecontests", [_contest()], solutions="incorrect")
    assert [r["generator"]["model"] for r in incorrect] == ["codecontests:incorrect_solution"]


def test_codecontests_default_tolerance_is_deepminds_for_decimal_outputs(tmp_path):
    (row,) = _rows(tmp_path, "codecontests", [_contest(public_tests={"input": ["1\n"], "output": ["0.500000\n"]},
                                                       private_tests=None, generated_tests=None,
                                                       incorrect_solutions=None)], max_solutions=1)
    assert _doc(row)["float_tolerance"] == 1e-5 and len(_doc(row)["cases"]) == 1


@pytest.mark.parametrize("change, reason", [
    ({"input_file": "input.txt"}, "field 'input_file' = 'input.txt': the problem uses files, not stdin/stdout"),
    ({"public_tests": {"input": ["1"], "output": []}, "private_tests": None, "generated_tests": None},
     "field 'public_tests' has 1 input and 0 output entries"),
    ({"public_tests": None, "private_tests": None, "generated_tests": None}, "the problem has no test cases"),
    ({"private_tests": ["1", "2"]}, "field 'private_tests' is a list, not an object"),
    ({"solutions": {"language": [3], "solution": [7]}}, "field 'solutions.solution[0]' is a number where text belongs"),
    ({"solutions": {"language": [3, 3], "solution": ["print(1)"]}}, "has 2 language and 1 solution entries"),
    ({"description": ["Given n"]}, "field 'description' is a list where text belongs"),
])
def test_bad_codecontests_records_are_quarantined_with_the_reason(tmp_path, change, reason):
    (row,) = _rows(tmp_path, "codecontests", [_contest(**change)])
    assert row["status"] == "quarantined" and reason in row["status_reason"], row["status_reason"]


# --- LiveCodeBench -------------------------------------------------------------------------------

def _packed(cases) -> str:
    """Private tests the way LiveCodeBench's lite release stores them (we write the pickle: the
    importer only reads it, never with pickle.loads)."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode()


def _lcb(**over):
    record = {
        "question_title": "Sum of a pair", "question_id": "9001", "platform": "leetcode", "contest_id": "weekly-1",
        "contest_date": "2025-01-04T00:00:00", "difficulty": "easy",
        "question_content": "Given nums and target, return the indices of two numbers adding up to target.",
        "starter_code": "class Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n        ",
        "public_test_cases": json.dumps([{"input": "[2, 7, 11]\n9", "output": "[0, 1]", "testtype": "functional"}]),
        "private_test_cases": _packed([{"input": "[3, 3]\n6", "output": "[0, 1]", "testtype": "functional"},
                                       {"input": "[1, 5, 4]\n9", "output": "[1, 2]", "testtype": "functional"}]),
        "metadata": json.dumps({"func_name": "pairIndices"}),
    }
    return {**record, **over}


def _stdin_lcb(**over):
    cases = [{"input": "3\n", "output": "6\n", "testtype": "stdin"}]
    return _lcb(**{"starter_code": "", "metadata": "{}", "public_test_cases": json.dumps(cases),
                   "private_test_cases": _packed([{"input": "21\n", "output": "42\n", "testtype": "stdin"}]), **over})


def test_livecodebench_functional_cases_for_a_solution_class(tmp_path):
    generation = GenerationConfig(policy={"base_url": "http://127.0.0.1:1/v1", "model": "policy"}, n=2)
    rows = _rows(tmp_path, "livecodebench", [_lcb()], generation)
    assert [r["generator"]["kind"] for r in rows] == ["sampled", "sampled"]
    row = rows[0]
    assert _doc(row) == {"format": "calls", "fn_name": "pairIndices", "cases": [
        {"input": [[2, 7, 11], 9], "output": [0, 1]}, {"input": [[3, 3], 6], "output": [0, 1]},
        {"input": [[1, 5, 4], 9], "output": [1, 2]}], "unwrap": False, "prelude": livecodebench.PRELUDE}
    assert row["reference"]["entry_point"] == "pairIndices" and row["problem_id"] == "9001"
    assert "```python\nclass Solution:\n    def pairIndices(self, nums: List[int], target: int) -> List[int]:\n```" \
        in row["problem"]
    (public,) = _rows(tmp_path, "livecodebench", [_lcb()], generation=None, tests=["public"])
    assert public["status"] == "quarantined" and "no `generation:` section" in public["status_reason"]
    assert len(_doc(public)["cases"]) == 1


def test_livecodebench_stdin_cases_and_plain_json_private_tests(tmp_path):
    generation = GenerationConfig(policy={"base_url": "http://127.0.0.1:1/v1", "model": "policy"})
    plain = json.dumps([{"input": "5\n", "output": "10\n", "testtype": "stdin"}])
    packed, unpacked = _rows(tmp_path, "livecodebench", [_stdin_lcb(), _stdin_lcb(private_test_cases=plain)],
                             generation)
    assert _doc(packed) == {"format": "stdio", "float_tolerance": None, "cases": [
        {"input": "3\n", "output": "6\n"}, {"input": "21\n", "output": "42\n"}],
        "case_insensitive": False, "prelude": livecodebench.PRELUDE}
    assert [c["input"] for c in _doc(unpacked)["cases"]] == ["3\n", "5\n"]
    assert packed["reference"]["entry_point"] is None and "standard input" in packed["problem"]


class _Payload:
    """Something a hostile dataset could pickle: unpickling it would call os.mkdir."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.mkdir, (self.target,)


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path, protocol):
    target = str(tmp_path / "pwned")
    hostile = base64.b64encode(zlib.compress(pickle.dumps(_Payload(target), protocol=protocol))).decode()
    nested = base64.b64encode(zlib.compress(pickle.dumps([json.dumps([]), _Payload(target)], protocol=protocol))).decode()
    rows = _rows(tmp_path, "livecodebench", [_stdin_lcb(private_test_cases=hostile),
                                             _stdin_lcb(private_test_cases=nested)])
    for row in rows:
        assert row["status"] == "quarantined" and "pickle refused" in row["status_reason"], row["status_reason"]
        assert "GLOBAL" in row["status_reason"]  # named by the opcode scan, before anything was built
    assert not os.path.exists(target)


def test_the_plain_pickle_reader():
    value = {"a": [1, 2.5, None, True, "x" * 300], "b": ("t", -(10 ** 30))}
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert loads_plain(pickle.dumps(value, protocol=protocol)) == value
    for refused, why in [(pickle.dumps({1, 2}), "opcode EMPTY_SET"), (pickle.dumps(b"raw"), "opcode SHORT_BINBYTES"),
                         (b"garbage", "not a pickle"), (pickle.dumps(print), "opcode STACK_GLOBAL"),
                         (b"\x80\x02\x82\x01.", "opcode EXT1"), (b"\x80\x02X\x01\x00\x00\x00aQ.", "opcode BINPERSID")]:
        with pytest.raises(UnsafePickle, match=why):
            loads_plain(refused)
    # the second line of defence on its own: the unpickler names no global either
    with pytest.raises(UnsafePickle, match="names posix.mkdir"):
        _NoGlobals(__import__("io").BytesIO(pickle.dumps(_Payload("/nonexistent/x"), protocol=0))).load()


@pytest.mark.parametrize("change, reason", [
    ({"private_test_cases": "not base64 at all!"}, "neither JSON nor base64"),
    ({"private_test_cases": base64.b64encode(b"not zlib").decode()}, "base64 but not zlib data"),
    ({"private_test_cases": base64.b64encode(zlib.compress(pickle.dumps(["a"]))).decode()},
     "holds a pickled a list, not JSON text"),
    ({"private_test_cases": base64.b64encode(zlib.compress(pickle.dumps("[1"))).decode()}, "is not valid JSON"),
    ({"private_test_cases": base64.b64encode(zlib.compress(pickle.dumps("x" * 4000))).decode()},
     "inflates to more than"),
    ({"public_test_cases": json.dumps([{"input": "1", "output": "2", "testtype": "stdin"},
                                       {"input": "1", "output": "2", "testtype": "functional"}])},
     "test types ['functional', 'stdin']: one of"),
    ({"public_test_cases": json.dumps([{"input": "1", "output": "2", "testtype": "magic"}])}, "test types ['functional', 'magic']"),
    ({"public_test_cases": json.dumps({"input": "1"})}, "holds an object, not a list of test cases"),
    ({"metadata": "{}"}, "functional test cases, but field 'metadata' names no func_name"),
    ({"public_test_cases": json.dumps([{"input": "[1, 2\n3", "output": "[0]", "testtype": "functional"}])},
     "'public_test_cases[0].input line 1' is not valid JSON"),
])
def test_bad_livecodebench_records_are_quarantined_with_the_reason(tmp_path, change, reason):
    (row,) = _rows(tmp_path, "livecodebench", [_lcb(**change)], max_private_mb=0.001)
    assert row["status"] == "quarantined" and reason in row["status_reason"], row["status_reason"]


# --- options -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, options, problem", [
    ("codecontests", {"test": ["public"]}, "input.options.test: unknown key"),
    ("codecontests", {"tests": ["hidden"]}, "input.options.tests.0: Input should be 'public', 'private' or 'generated'"),
    ("codecontests", {"tests": []}, "input.options.tests: List should have at least 1 item"),
    ("apps", {"max_cases": 0}, "input.options.max_cases: Input should be greater than or equal to 1"),
    ("livecodebench", {"solutions": "all"}, "input.options.solutions: unknown key"),
    ("files", {"max_cases": 3}, "input.options: input kind 'files' takes no options"),
])
def test_options_are_checked_by_the_importers_own_model(kind, options, problem):
    with pytest.raises(ValidationError) as exc:
        BuildConfig.model_validate({"input": {"kind": kind, "path": "x", "options": options}})
    assert problem in validation_message(exc.value, "config")


def test_options_are_part_of_the_config_hash():
    a = BuildConfig.model_validate({"input": {"kind": "codecontests", "path": "x"}})
    b = BuildConfig.model_validate({"input": {"kind": "codecontests", "path": "x", "options": {"max_cases": 5}}})
    assert a.config_hash() != b.config_hash()


def test_code_kinds_set_the_input_domain_and_refuse_another():
    assert InputConfig(kind="taco", path="x").domain == "code"
    assert InputConfig(kind="livecodebench", path="x", domain="code").domain == "code"
    assert InputConfig(kind="files", path="x").domain == "math"
    with pytest.raises(ValidationError) as exc:
        BuildConfig.model_validate({"input": {"kind": "apps", "path": "x", "domain": "math"}})
    assert "input.domain: input kind 'apps' holds code problems" in validation_message(exc.value, "config")


def test_codecontests_read_from_parquet_structs_as_the_hub_ships_them(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    solutions = {"language": [2, 3, 1, 3], "solution": _contest()["solutions"]["solution"]}  # int64, as on the hub
    record = _contest(solutions=solutions, time_limit={"seconds": 2, "nanos": 500000000})
    pq.write_table(pa.Table.from_pylist([record, {**record, "name": "9999_B", "input_file": "in.txt"}]),
                   tmp_path / "train-00000-of-00001.parquet")
    rows = list(iter_chains(InputConfig(kind="codecontests", path=str(tmp_path / "*.parquet"))))
    assert [r["status"] for r in rows] == ["labeled"] * 3 + ["quarantined"]
    assert len(_doc(rows[0])["cases"]) == 4 and rows[0]["source"]["row_index"] == 0
    assert "train-00000-of-00001.parquet record 1: field 'input_file'" in rows[3]["status_reason"]
