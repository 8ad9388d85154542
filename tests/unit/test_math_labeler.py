"""The math-steps labeler: -1 verdicts on false claims, abstains only where something was checked."""
from steplabel.pipeline.labelers import Context, apply_labeling, make_labeler
from steplabel.pipeline.schema import Chain


def _chain(steps: list[str]) -> dict:
    return Chain(
        chain_id="c1", problem_id="p1", problem="Sue has 18 flamingos.",
        steps=[{"index": i, "text": t} for i, t in enumerate(steps)],
    ).model_dump()


def test_flags_false_claim_and_abstains_on_true_ones():
    lab = make_labeler("math_steps", {"timeout": 1.0}, Context(cache_dir="/tmp/ignored"))
    chain = _chain(["First, 18 / 3 = 6 are painted.", "So 18 - 6 = 13 remain.", "We are done."])
    out = lab.label(chain)
    assert set(out.verdicts) == {0, 1}
    assert out.verdicts[1]["rating"] == -1 and "12" in out.verdicts[1]["evidence"]
    assert out.verdicts[0]["rating"] is None and "all true" in out.verdicts[0]["evidence"]
    assert out.verdicts[1]["labeler"] == "math_steps" and out.verdicts[1]["version"] == lab.version
    apply_labeling(chain, out)
    assert chain["steps"][1]["verdicts"][0]["rating"] == -1


def test_batch_skips_code_chains():
    lab = make_labeler("math_steps")
    math_chain, code_chain = _chain(["2 + 2 = 5"]), _chain(["2 + 2 = 5"])
    code_chain["domain"] = "code"
    a, b = lab.label_batch([math_chain, code_chain])
    assert a.verdicts[0]["rating"] == -1 and b.verdicts == {}


def test_abstains_record_why_and_their_cost():
    lab = make_labeler("math_steps", {"timeout": 0.2}, Context(cache_dir="/tmp/ignored"))
    chain = _chain(["2 + 2 = 4, " * 15_000, "Check: 45 = 3^2 + 5^2 = 34, which does not work.", "No numbers here."])
    out = lab.label(chain)
    assert set(out.verdicts) == {0, 1}  # nothing to check in step 2: no verdict
    assert out.verdicts[0]["rating"] is None and "deadline" in out.verdicts[0]["evidence"]
    assert out.verdicts[0]["cost"]["ms"] >= 150
    assert out.verdicts[1]["rating"] is None and "not flagged" in out.verdicts[1]["evidence"]
