from __future__ import annotations

import pytest

from steplabel.pipeline.segment import SegmentStage, final_answer, split_exact, split_steps
from steplabel.pipeline.schema import new_chain
from steplabel.verifiers.math.extract import boxed_contents, extract_answer

TEXTS = [
    "First.\n\nSecond line\nstill second.\n\n\n  Third.\n",
    "\n\nleading blank\n\ntrailing\n\n",
    "no separators at all",
    "Step 1: read.\nStep 2: add 2 + 2 = 4.\n**Step 3.** done\nThe answer is 4.",
    "",
    "a\r\n\r\nb",
]


@pytest.mark.parametrize("splitter", ["blank_line", "newline", "step_markers"])
@pytest.mark.parametrize("text", TEXTS)
def test_steps_join_back_to_exactly_the_text(splitter, text):
    pieces = split_exact(text, splitter)
    assert "".join(pieces) == text
    assert all(p.strip() for p in pieces) or text.strip() == ""


def test_splitters_cut_where_expected():
    assert [p.strip() for p in split_exact(TEXTS[0], "blank_line")] == ["First.", "Second line\nstill second.", "Third."]
    assert len(split_exact(TEXTS[0], "newline")) == 4
    assert [p[:11] for p in split_exact(TEXTS[3], "step_markers")] == ["Step 1: rea", "Step 2: add", "**Step 3.**"]
    assert split_steps("a ;; b ;; c", "regex", r"\s*;;\s*") == ["a", "b", "c"]
    assert "".join(split_exact("a ;; b ;; c", "regex", r"\s*;;\s*")) == "a ;; b ;; c"


def test_answer_heading_stays_with_its_answer():
    assert split_steps("2 + 2 = 4\n\n# Answer\n\n4", "blank_line") == ["2 + 2 = 4", "# Answer\n\n4"]
    assert final_answer(split_steps("2 + 2 = 4\n\n# Answer\n\n4"), {}) == "4"


def test_regex_splitter_needs_a_pattern():
    with pytest.raises(ValueError):
        SegmentStage("regex")


@pytest.mark.parametrize("text,answer", [
    (r"so \boxed{\frac{1}{2}}", r"\frac{1}{2}"),
    (r"\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}} and {x}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
    ("work\n#### 1,200", "1,200"),
    ("# Answer\n\n42", "42"),
    ("The answer is 18.", "18"),
    ("The final answer is: 7", "7"),
    ("Therefore, the answer is $3.50.", "3.50"),
    (r"\boxed{unbalanced", None),
    ("no answer here", None),
])
def test_final_answer_extraction(text, answer):
    assert extract_answer(text) == answer


def test_nested_boxes_and_last_box_wins():
    assert boxed_contents(r"\boxed{a_{1}} then \boxed{\sqrt{\frac{1}{2}}}") == ["a_{1}", r"\sqrt{\frac{1}{2}}"]


def test_truncated_generation_states_no_final_answer():
    assert final_answer(["x", "The answer is 5."], {"finish_reason": "length"}) is None
    assert final_answer(["The answer is 5.", "Let me double check"], {"finish_reason": "stop"}) == "5"


def test_segment_stage_fills_steps_and_records_the_splitter():
    row = new_chain(chain_id="c", problem_id="p", problem="q", text="a = 1\n\nThe answer is 1.")
    out = SegmentStage("blank_line")([row])[0]
    assert [s["text"] for s in out["steps"]] == ["a = 1", "The answer is 1."]
    assert out["segmenter"] == "blank_line" and out["final_answer"] == "1"


def test_fallback_splitter_when_the_chain_ignores_blank_lines():
    rows = [new_chain(chain_id=str(i), problem_id="p", problem="q", text=t)
            for i, t in enumerate(["2 + 2 = 4\nso 4 + 1 = 5\nThe answer is 5.", "one line only", "a\n\nb"])]
    out = SegmentStage("blank_line", fallback="newline")(rows)
    assert [len(r["steps"]) for r in out] == [3, 1, 2]
    assert [r["segmenter"] for r in out] == ["blank_line>newline", "blank_line", "blank_line"]


def test_segment_stage_rejects_an_empty_chain():
    row = new_chain(chain_id="c", problem_id="p", problem="q", text="   ")
    with pytest.raises(ValueError, match="no text"):
        SegmentStage()([row])
