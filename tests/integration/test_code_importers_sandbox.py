"""Imported code-dataset chains through `check_code` in the real sandbox: the test documents the
importers write are the ones the runner runs, a dataset's correct solutions pass and its
incorrect ones fail. Records of our own writing in APPS, CodeContests and LiveCodeBench shapes."""
from __future__ import annotations

import base64
import json
import pickle
import zlib

import pytest

from steplabel.pipeline.config import InputConfig
from steplabel.pipeline.llm.config import GenerationConfig
from steplabel.pipeline.sources import iter_chains
from steplabel.verifiers.code import Limits, Sandbox, check_code

pytestmark = pytest.mark.integration

SORT_WORDS = "words = input().split()\nprint(' '.join(sorted(words)))\n"
LIST_SUM = "def list_sum(xs):\n    return sum(xs)\n"
LIST_SUM_CLASS = "class Solution:\n    def list_sum(self, xs):\n        total = 0\n\n        for x in xs:\n            total += x\n\n        return total\n"
AREA = "import math\n\nr = float(input())\nprint('%.6f' % (math.pi * r * r))\n"
AREA_ROUNDED = "r = float(input())\nprint(round(3.14 * r * r, 2))\n"

APPS = [
    {"problem_id": 1, "question": "Sort the words of a line.", "starter_code": "",
     "solutions": json.dumps([SORT_WORDS]),
     "input_output": json.dumps({"inputs": ["b a c\n", ["delta alpha"]], "outputs": ["a b c\n", ["alpha delta"]]})},
    {"problem_id": 2, "question": "Return the sum of a list.", "starter_code": "def list_sum(xs):\n    ",
     "solutions": json.dumps([LIST_SUM, LIST_SUM_CLASS]),
     "input_output": json.dumps({"fn_name": "list_sum", "inputs": [[[1, 2, 3]], [[]]], "outputs": [[6], [0]]})},
]
CODECONTESTS = [{
    "name": "1_A. Circle area", "description": "Print the area of a circle of radius r.",
    "public_tests": {"input": ["1\n"], "output": ["3.14159265\n"]},
    "private_tests": {"input": ["2\n", "0.5\n"], "output": ["12.5663706\n", "0.785398163\n"]},
    "generated_tests": {"input": [], "output": []},
    "solutions": {"language": [3, 2], "solution": [AREA, "int main() { return 0; }"]},
    "incorrect_solutions": {"language": [3], "solution": [AREA_ROUNDED]},
}]


def _write(tmp_path, name, records):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(limits=Limits(timeout=5.0)).start()
    yield box
    box.close()


def _check(sandbox, row, text=None):
    text = row["text"] if text is None else text
    steps = [s["text"] for s in row["steps"]] or [text]
    return check_code(sandbox, steps, row["problem"], row["reference"], text=text)


def test_imported_solutions_pass_and_incorrect_ones_fail_in_the_sandbox(tmp_path, sandbox):
    apps = list(iter_chains(InputConfig(kind="apps", path=_write(tmp_path, "apps.jsonl", APPS))))
    contests = list(iter_chains(InputConfig(kind="codecontests", path=_write(tmp_path, "cc.jsonl", CODECONTESTS))))
    rows = apps + contests
    assert [r["status"] for r in rows] == ["labeled"] * 5
    checks = [_check(sandbox, r) for r in rows]
    said = [(r["generator"]["model"], r["steps"][-1]["verdicts"][0]["rating"]) for r in rows]
    assert said == [("apps:solution", 1)] * 3 + [("codecontests:solution", 1), ("codecontests:incorrect_solution", -1)]
    assert [c.verdict for c in checks] == ["passed"] * 4 + ["failed"], [c.why for c in checks]
    # 3.14 for 3.14159265: outside DeepMind's 1e-5, the first failing case named
    assert "case 1: wrong answer" in checks[-1].why


def test_livecodebench_problems_check_programs_of_either_kind(tmp_path, sandbox):
    """LiveCodeBench has no solutions: a problem's row takes a program written here, as a sampled
    chain would be, for a functional (Solution class) and a stdin problem."""
    packed = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(
        [{"input": "[4, 5]", "output": "9", "testtype": "functional"}])))).decode()
    functional = {"question_id": "1", "question_content": "Sum a list.", "starter_code": "class Solution:\n    def total(self, xs):\n        ",
                  "public_test_cases": json.dumps([{"input": "[1, 2, 3]", "output": "6", "testtype": "functional"}]),
                  "private_test_cases": packed, "metadata": json.dumps({"func_name": "total"})}
    stdin = {"question_id": "2", "question_content": "Print n + 1.", "starter_code": "", "metadata": "{}",
             "public_test_cases": json.dumps([{"input": "41\n", "output": "42\n", "testtype": "stdin"}]),
             "private_test_cases": json.dumps([{"input": "-1\n", "output": "0\n", "testtype": "stdin"}])}
    generation = GenerationConfig(policy={"base_url": "http://127.0.0.1:1/v1", "model": "policy"})
    cfg = InputConfig(kind="livecodebench", path=_write(tmp_path, "lcb.jsonl", [functional, stdin]))
    functional_row, stdin_row = iter_chains(cfg, generation)
    right = "class Solution:\n    def total(self, xs):\n        return sum(xs)\n"
    wrong = "class Solution:\n    def total(self, xs):\n        return sum(xs[1:])\n"
    assert _check(sandbox, functional_row, f"```python\n{right}```").verdict == "passed"
    assert _check(sandbox, functional_row, f"```python\n{wrong}```").verdict == "failed"
    assert _check(sandbox, stdin_row, "```python\nprint(int(input()) + 1)\n```").verdict == "passed"
    assert _check(sandbox, stdin_row, "```python\nprint(abs(int(input())) + 1)\n```").verdict == "failed"
