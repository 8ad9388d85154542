"""The code labelers on the bundled code sample, against its gold first errors."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from steplabel.pipeline.labelers import Context, make_labeler
from steplabel.pipeline.labelers.code import CodeOutcomeLabeler, CodeStepsLabeler
from steplabel.pipeline.schema import new_chain
from steplabel.verifiers.code import SandboxUnavailable
from tests.support.sandbox import failing_bwrap

pytestmark = pytest.mark.integration
SAMPLE = Path(__file__).resolve().parents[2] / "pipeline" / "sample" / "code.jsonl"


def sample_chains() -> list[tuple[dict, dict]]:
    out = []
    for line in SAMPLE.read_text().splitlines():
        row = json.loads(line)
        for k, c in enumerate(row["chains"]):
            steps = [s.strip() for s in re.split(r"\n\s*\n", c["text"])]
            chain = new_chain(chain_id=f"{row['problem_id']}-{k}", problem_id=row["problem_id"],
                              domain="code", problem=row["problem"], reference=row["reference"],
                              text=c["text"], segmenter="blank_line",
                              steps=[{"index": i, "text": s} for i, s in enumerate(steps)])
            out.append((chain, c))
    return out


@pytest.fixture(scope="module")
def labelers():
    outcome = make_labeler("code_outcome", {"timeout": 2.0}, Context(cache_dir="/nonexistent"))
    steps = make_labeler("code_steps", {"timeout": 2.0})
    yield outcome, steps
    outcome.close()
    steps.close()


def test_registry_gives_our_classes(labelers):
    outcome, steps = labelers
    assert isinstance(outcome, CodeOutcomeLabeler) and isinstance(steps, CodeStepsLabeler)
    assert outcome.domains == steps.domains == ("code",)


def test_outcome_matches_the_gold_labels(labelers):
    outcome, _ = labelers
    for chain, gold in sample_chains():
        lab = outcome.label(chain)
        should_pass = gold["kind"] in ("correct", "repaired")
        assert lab.outcome["correct"] is should_pass, (chain["chain_id"], lab.outcome)
        assert "bwrap" in lab.outcome["evidence"]
        ratings = {i: v["rating"] for i, v in lab.verdicts.items()}
        if not should_pass and gold["kind"] != "reasoning":
            assert ratings == {gold["first_error"]: -1}, (chain["chain_id"], ratings)
        if should_pass:
            assert set(ratings.values()) == {1}


def test_steps_labeler_flags_exactly_the_provable_first_errors(labelers):
    _, steps = labelers
    flagged = 0
    for chain, gold in sample_chains():
        lab = steps.label(chain)
        negative = sorted(i for i, v in lab.verdicts.items() if v["rating"] == -1)
        if gold["kind"] in ("syntax", "exception"):
            assert negative == [gold["first_error"]], (chain["chain_id"], negative)
            evidence = lab.verdicts[gold["first_error"]]["evidence"]
            assert ("SyntaxError" in evidence) if gold["kind"] == "syntax" else ("Traceback" in evidence)
            assert "bwrap(" in evidence
            flagged += 1
        else:
            assert negative == [], (chain["chain_id"], negative)  # abstains: a run proves nothing
        assert all(v["rating"] in (-1, None) for v in lab.verdicts.values())
    assert flagged >= 10


def test_batch_skips_other_domains(labelers):
    outcome, _ = labelers
    chain, _ = sample_chains()[0]
    math_chain = {**chain, "domain": "math"}
    labs = outcome.label_batch([chain, math_chain])
    assert labs[0].outcome is not None and labs[1].outcome is None and labs[1].verdicts == {}


def test_labeler_refuses_without_sandbox(tmp_path, monkeypatch):
    failing_bwrap(tmp_path, monkeypatch, "setting up uid map: Permission denied")
    with pytest.raises(SandboxUnavailable, match="uid map"):
        CodeOutcomeLabeler()
    weak = CodeStepsLabeler(isolation="rlimits")
    try:
        assert weak.tag.startswith("rlimits(no-namespaces;program and tests apart;mem=")
    finally:
        weak.close()


def run_ids(text: str) -> set[str]:
    return set(re.findall(r"\brun ([0-9a-f]{12})\b", text or ""))


def test_both_labelers_in_one_stage_run_each_chain_once():
    """As in a build (one stage, one actor): one sandbox, one test run per chain, cited by both."""
    from steplabel.pipeline.stages import LabelStage

    outcome = make_labeler("code_outcome", {"timeout": 2.5})  # options of their own: a sandbox
    steps = make_labeler("code_steps", {"timeout": 2.5})      # no other test's labelers share
    stage = LabelStage(outcome, steps)
    try:
        assert outcome.sandbox is steps.sandbox and stage.name == "code_outcome+code_steps"
        chains = [c for c, _ in sample_chains()]
        tests_before = outcome.sandbox.runs
        rows = stage([dict(c, steps=[dict(s, verdicts=[]) for s in c["steps"]]) for c in chains])
        ran = 0
        for row in rows:
            cited = run_ids(row["outcome"]["evidence"])
            for s in row["steps"]:
                for v in s["verdicts"]:
                    cited |= run_ids(v["evidence"])
            assert len(cited) <= 1, (row["chain_id"], cited)  # both labelers cite the same run
            ran += len(cited)
        assert ran >= 10
        # and the sandbox ran exactly the tests of those runs, once each
        per_run = {row["chain_id"]: row["outcome"]["evidence"] for row in rows}
        counted = sum(int(m.group(1)) for e in per_run.values() for m in [re.match(r"(\d+) tests", e)] if m)
        assert outcome.sandbox.runs - tests_before == counted
    finally:
        stage.close()
