"""Evidence is capped where every labeler's verdicts are stored, and the cut is said in the text."""
from __future__ import annotations

from steplabel.pipeline.labelers.base import EVIDENCE_CHARS, Labeler, Labeling, verdict
from steplabel.pipeline.schema import new_chain, rows_to_table
from steplabel.pipeline.stages import LabelStage, guarded


class Verbose(Labeler):
    """Says everything: a whole test run's output as the evidence of a step and of the outcome."""

    name, version = "verbose", "0"

    def label(self, chain):
        said = "START " + "".join(f"line {i}: assert f({i}) == {i}\n" for i in range(6000)) + "AssertionError: END"
        return Labeling(verdicts={0: verdict(self, -1, said), 1: verdict(self, 1, "short and kept")},
                        outcome={"correct": False, "evidence": said})


def test_long_evidence_is_capped_with_a_marker_keeping_its_start_and_end():
    row = new_chain(problem="p", domain="math", steps=[{"index": i, "text": "x", "verdicts": []} for i in range(2)])
    (out,) = guarded(LabelStage(Verbose()))([row])
    long, short = out["steps"][0]["verdicts"][0]["evidence"], out["steps"][1]["verdicts"][0]["evidence"]
    assert short == "short and kept"
    for text in (long, out["outcome"]["evidence"]):
        assert len(text) < EVIDENCE_CHARS + 100
        assert text.startswith("START line 0") and text.endswith("AssertionError: END")
        assert "[evidence cut: " in text and "characters left out]" in text
    assert rows_to_table([out]).num_rows == 1  # the row keeps its shape
