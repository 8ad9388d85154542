"""A judge's rating against its own reason, and stock reasons across steps (the development cases;
the held-out measurement is tests/benchmarks/bench_judge_consistency.py)."""
from __future__ import annotations

import pytest

from steplabel.pipeline.labelers.judge_consistency import contradiction, reason_stance, stock_reasons


@pytest.mark.parametrize("reason, stance", [
    ("This is a mistake.", -1),
    ("This paragraph contains an error.", -1),
    ("The step miscalculates 7 * 8 as 54.", -1),
    ("Should be 12, not 14.", -1),
    ("It adds the discount instead of subtracting it.", -1),
    ("The step is not correct.", -1),
    ("Correct.", 1),
    ("The arithmetic is right: 24 - 15 = 9.", 1),
    ("No errors here.", 1),
    ("There is nothing wrong with this step.", 1),
    ("I don’t see any mistake.", 1),
    ("An error-free setup of the equation.", 1),
    ("This is not only correct but also concise.", 1),
    ("It makes sense given the previous step.", 1),
    ("The logic is sound and it follows from the problem.", 1),
    # said both, or nothing about this step: no stance
    ("The multiplication is correct, but the units are wrong.", None),
    ("The previous step had an error, but this one fixes it.", None),
    ("The correct answer is 42.", None),
    ("So, 180 meters + 180 meters = 280 miles", None),
    ("Restates the question.", None),
    ("The claim \"the total is correct\" is false.", -1),
    ("Works from left to right through the expression.", None),
    ("", None),
])
def test_the_stance_of_a_reason(reason, stance):
    assert reason_stance(reason) == stance


def test_a_contradiction_needs_a_rating_and_a_reason_on_opposite_sides():
    assert contradiction(1, "This is a mistake.").startswith("contradiction: rated +1 but its reason says the step is wrong")
    assert contradiction(-1, "Correct calculation.").startswith("contradiction: rated -1 but its reason says the step is right")
    assert contradiction(-1, "This is a mistake.") is None and contradiction(1, "Correct.") is None
    assert contradiction(0, "This is a mistake.") is None  # neutral: neither right nor wrong
    assert contradiction(1, "The total is right, but the units are wrong.") is None  # mixed: no stance


def test_a_long_hostile_reason_is_read_quickly_and_never_raises():
    reason = ("not " * 5000) + "'" * 3000 + "error-free " * 2000
    assert reason_stance(reason) in (-1, 0, 1, None)


def test_stock_reasons_are_sentences_one_vote_gives_to_different_steps():
    texts = {0: "24 - 15 = 9", 1: "9 - 3 = 6", 2: "The answer is 6.", 3: "Let me check.", 4: "Let me check."}
    found = stock_reasons({0: "This step is correct.", 1: "this step is  correct", 2: "States 6 as the answer."}, texts)
    assert set(found) == {0, 1} and "steps 0, 1" in found[0]
    # "Step 1 is fine" and "Step 2 is fine" are one template; identical steps may share a reason
    assert set(stock_reasons({0: "Step 1 is fine.", 1: "Step 2 is fine."}, texts)) == {0, 1}
    assert stock_reasons({3: "Announces a check.", 4: "Announces a check."}, texts) == {}
    assert stock_reasons({0: "Subtracts 15 from 24.", 1: "Subtracts 3 from 9."}, texts) == {}
