"""answers_equal on the hand-written pair set and on the cases the issue names."""
import json
from pathlib import Path

import pytest

from steplabel.verifiers.math import answers_equal, check_step

PAIRS = [json.loads(l) for l in (Path(__file__).parents[1] / "data" / "math_answer_pairs.jsonl").read_text().splitlines() if l.strip()]


def test_pair_set_is_large_and_balanced():
    assert len(PAIRS) >= 300
    kinds = {p["expected"] for p in PAIRS}
    assert kinds == {"equal", "not_equal"} and all(p["reason"] for p in PAIRS)


def test_accuracy_on_pair_set_at_least_99_percent():
    wrong = [(p["reference"], p["candidate"], p["expected"], answers_equal(p["reference"], p["candidate"], timeout=5.0))
             for p in PAIRS]
    wrong = [w for w in wrong if w[3].result != w[2]]
    assert len(wrong) <= len(PAIRS) // 100, wrong[:5]


@pytest.mark.parametrize("ref,cand,want", [
    ("1/2^{99}", "1/2^{98}", "not_equal"),
    ("3x-y+13=0", "3x+4y+14=0", "not_equal"),
    ("2 m", "2 cm", "not_equal"),
    ("x = 5", "5", "equal"),
    ("(-\\infty, 3]", "(-\\infty, 3)", "not_equal"),
])
def test_named_cases(ref, cand, want):
    r = answers_equal(ref, cand)
    assert r.result == want and r.evidence


def test_evidence_and_unknown_on_garbage():
    r = answers_equal("x+{", "x")
    assert r.result == "unknown" and r.evidence


@pytest.mark.parametrize("text,flag", [
    ("18 - 6 = 13 flamingos remain", True),
    ("16 - 3 - 4 = 9 eggs", False),
    ("She pays 9 * $2 = $18.", False),
    ("9 × $2 = $20", True),
    ("<<48/2=24>>", False),
    ("<<48/2=23>>", True),
    ("\\(x = 2 + 3 = 6\\)", True),
    ("\\(2x + 3 = 7\\)", False),
    ("Expanding, \\((x+1)^2 = x^2+2x+1\\)", False),
    ("Expanding, \\((x+1)^2 = x^2+x+1\\)", True),
    ("1/3 ≈ 0.33", False),
    ("\\(\\frac{1}{3} \\approx 0.35\\)", True),
    ("4 hours = 4 x 60 = 240 minutes", False),
    ("\\(25\\%\\) of 80 is \\(0.25 \\times 80 = 20\\)", False),
    ("\\(2^{10} = 1000\\)", True),
])
def test_check_step(text, flag):
    r = check_step(text)
    assert (r.rating == -1) == flag, r
    if flag:
        assert "false" in r.evidence or "identity" in r.evidence
