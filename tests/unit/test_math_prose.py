"""Final answers stated in prose: where a reader finds them, and none when the statements disagree.
Examples written by us in the styles of LLM solutions (no box, answers in words)."""
from __future__ import annotations

import pytest

from steplabel.verifiers.math import answers_equal
from steplabel.verifiers.math.prose import locate_final_answer

HOW_MANY = "How many strings of length 8 have no two adjacent ones?"


@pytest.mark.parametrize("steps,problem,answer,how", [
    (["We count by cases.", "Adding the cases, there are 812 strings."], HOW_MANY, "812", "there are"),
    (["Adding up: 800 + 12 = 812.", "So there are exactly eight hundred twelve such strings."], HOW_MANY, "812",
     "there are"),
    (["The function is at most 1 everywhere.", "Therefore, the maximum value of $f$ is $1$, reached at $x = 0$."],
     "Find the maximum value of f.", "1", "is"),
    (["Solving the system gives the values.", "So \\(k = -3\\)."], "Find k.", "k = -3", "assignment"),
    (["Both equations force zero.", "Therefore x = 0 and y = 0."], "Solve for x and y.", "x = 0, y = 0", "assignment"),
    (["Every parity argument fails.", "No, it is not possible to tile the board."],
     "Is it possible to tile the board with dominoes?", "No", "yes/no"),
    (["The discriminant is negative.", "Hence there are no integer solutions."],
     "Find all integer solutions of x^2 + 1 = 0.", "no solutions", "there are"),
    (["The discriminant is negative.", "Hence there are no integer solutions."],
     "How many integer solutions does x^2 + 1 = 0 have?", "0", "there are"),
    (["She spends 15 + 22 = 37 dollars in all.", "Therefore, the customer paid $37 on this shopping trip."],
     "A customer buys a shirt for $15 and a hat for $22. How much did she pay?", "$37", "new number"),
    (["We multiply.", "Therefore, the greatest common factor is \\(4 \\times 9 \\times 7 = 252\\)."],
     "Find the greatest common factor of 180 and 168.", "252", "is"),
    (["Thus, the equation of the circle is:\n\\[ x^2 + y^2 = 13 \\]"], "Find the equation of the circle.",
     "x^2 + y^2 = 13", "is"),
    (["Therefore, the solution set is \\([2, 5)\\)."], "Solve the inequality.", "[2, 5)", "is"),
    (["So the pairs are (1, 2) and (2, 1)."], "Find all pairs.", "(1, 2), (2, 1)", "is"),
    (["Therefore, the values of n are 1, 2 and 3."], "Find all n.", "1, 2, 3", "is"),
    (["The solutions are \\(x = 1\\) and \\(x = -2\\)."], "Solve.", "1, -2", "is"),
    (["Thus \\((x, y) = (3, 4)\\)."], "Find x and y.", "(3, 4)", "new number"),
    (["So there are 1,234 ways."], "How many ways?", "1234", "there are"),
    (["In total, 56 handshakes take place."], "How many handshakes?", "56", "new number"),
    (["The final answer is 12.", "This is a nice number."], "What is 3 times 4?", "12", "marker"),
    (["Adding, 20 + 22 = 42.", "So the total is \\boxed{42}."], "Sum?", "42", "marker"),
    (["The answer is: Verna received $7.00 in change."], "Verna paid $20 for $13 of items. What was her change?",
     "7", "marker, new number"),
])
def test_answers_stated_in_prose_are_found(steps, problem, answer, how):
    found = locate_final_answer(steps, problem)
    assert found is not None and found.how == how, found
    assert found.answer == answer or answers_equal(answer, found.answer).result == "equal", found
    assert found.step == (len(steps) - 1 if how != "marker" else found.step)


@pytest.mark.parametrize("steps,problem", [
    (["There are 12 red balls, so the probability is 1/2."], "How many balls are red?"),  # two results: abstain
    (["Therefore, Elvis saves $12.50 per day in the first half and $25.00 per day in the second half."],
     "How much does Elvis save per day?"),
    (["If the third monkey eats the rest, then it eats 291 bananas over the week.",
      "Let me know if you need more help!"], "How many bananas does the third monkey eat each day?"),
    (["We counted the eggs one by one, as shown above."], "How many eggs?"),
    (["So, Oliver must climb 4,000 feet."], "The comb fell 4,000 feet. How many feet must Oliver climb?"),
    (["Checking: 3 × 4 = 12."], "What is 3 times 4?"),
])
def test_no_answer_when_none_is_stated_plainly(steps, problem):
    assert locate_final_answer(steps, problem) is None


def test_a_closing_remark_without_numbers_sends_the_reader_one_step_back():
    steps = ["Each box holds 6 eggs and there are 7 boxes.", "Thus there are 42 eggs.", "This completes the solution."]
    found = locate_final_answer(steps, "How many eggs are there?")
    assert (found.step, found.answer) == (1, "42 eggs")
    assert found.where == "step 1, there are: 'Thus there are 42 eggs.'"


def test_long_steps_are_read_in_linear_time():
    import time

    text = "So the value is 3. " * 20_000 + "Therefore, there are 5 ways."
    t = time.process_time()
    found = locate_final_answer([text], "How many ways?")
    assert found is not None and found.answer == "5 ways" and time.process_time() - t < 2.0
