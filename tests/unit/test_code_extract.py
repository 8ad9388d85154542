"""Code extraction from chains, step mapping, syntax findings and the code sample (no sandbox)."""
from __future__ import annotations

import json
import re
from pathlib import Path


from steplabel.verifiers.code import build_program, extract_blocks, syntax_findings
from steplabel.verifiers.code.runner import detect_style, pytest_tests, split_asserts

SAMPLE = Path(__file__).resolve().parents[2] / "pipeline" / "sample" / "code.jsonl"
SPLIT = re.compile(r"\n\s*\n")


def steps_of(text: str) -> list[str]:
    return [s.strip() for s in SPLIT.split(text)]


def test_blocks_concatenate_in_order_and_keep_their_steps():
    text = "Plan.\n\n```python\ndef a():\n    return 1\n```\n\nThen:\n```py\ndef b():\n    return a()\n```"
    p = build_program(steps_of(text), text=text)
    assert p.source == "def a():\n    return 1\ndef b():\n    return a()\n"
    assert p.line_steps == [1, 1, 2, 2]
    assert p.code_steps() == [1, 2] and p.syntax_error is None


def test_block_spanning_steps_keeps_indentation_from_the_chain_text():
    text = "```python\ndef f(xs):\n    t = 0\n    for x in xs:\n\n        t += x\n    return t\n```"
    p = build_program(steps_of(text), text=text)
    assert p.syntax_error is None
    assert p.line_steps == [0, 0, 0, 0, 1, 1]


def test_other_languages_ignored_untagged_used_only_without_tagged():
    assert extract_blocks(["```bash\nrm -rf /\n```", "```\nx = 1\n```"])[0].code == "x = 1"
    blocks = extract_blocks(["```\nprint(1)\n```", "```python\ny = 2\n```"])
    assert [b.code for b in blocks] == ["y = 2"]


def test_unrepaired_syntax_error_blames_its_step():
    steps = ["Idea.", "```python\ndef f(x)\n    return x\n```", "Done."]
    p = build_program(steps)
    (finding,) = syntax_findings(p)
    assert finding.step == 1 and "expected ':'" in finding.evidence


def test_later_block_redefining_the_names_repairs_a_broken_one():
    steps = ["```python\ndef f(x:\n    return x\n```", "Fixed:\n```python\ndef f(x):\n    return x\n```"]
    p = build_program(steps)
    assert p.syntax_error is None and len(p.dropped) == 1 and syntax_findings(p) == []


def test_humaneval_prompt_goes_first_when_code_is_only_a_body():
    prompt = 'def add(a, b):\n    """Add."""\n'
    p = build_program(["```python\n    return a + b\n```"], problem=prompt, entry_point="add")
    assert p.source.startswith(prompt.rstrip("\n")) and p.prefix_lines == 2
    assert p.step_of_line(1) is None and p.step_of_line(3) == 0


def test_test_styles():
    assert detect_style("def check(candidate):\n    assert candidate(1)") == "humaneval"
    assert detect_style("from solution import f\ndef test_f():\n    assert f()") == "pytest"
    assert detect_style("assert f(1) == 2") == "mbpp"
    asserts, setup = split_asserts("import math\nassert f(1) == 2\nassert f(2) == (\n    3)\n")
    assert asserts == ["assert f(1) == 2", "assert f(2) == (\n    3)"] and setup == "import math"
    names = [t["name"] for t in pytest_tests("def test_a():\n    pass\nclass TestB:\n    def test_c(self):\n        pass\ndef helper():\n    pass\n")]
    assert names == ["test_a", "TestB.test_c"]


def load_sample() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines() if line.strip()]


def test_sample_shape_and_gold_labels():
    rows = load_sample()
    assert len(rows) >= 10 and len({r["problem_id"] for r in rows}) == len(rows)
    kinds = set()
    for r in rows:
        assert r["domain"] == "code" and r["reference"]["entry_point"] and "def check(" in r["reference"]["tests"]
        assert any(c["first_error"] == -1 for c in r["chains"]) and any(c["first_error"] >= 0 for c in r["chains"])
        for c in r["chains"]:
            steps = steps_of(c["text"])
            assert -1 <= c["first_error"] < len(steps)
            kinds.add(c["kind"])
            p = build_program(steps, r["problem"], r["reference"]["entry_point"], text=c["text"])
            assert p.has_code
            # syntax chains: the parse check points exactly at the gold first error
            findings = syntax_findings(p)
            if c["kind"] == "syntax":
                assert [f.step for f in findings] == [c["first_error"]]
            else:
                assert findings == []
    assert {"correct", "exception", "syntax", "reasoning", "logic"} <= kinds
