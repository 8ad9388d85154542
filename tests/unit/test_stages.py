from __future__ import annotations

import pytest

from steplabel.pipeline.schema import new_chain
from steplabel.pipeline.stages import StopBuild, guarded


class Picky:
    """Fails on rows whose problem says 'boom', in batch and alone."""

    name = "picky"

    def __call__(self, rows):
        for row in rows:
            if "boom" in row["problem"]:
                raise ZeroDivisionError("cannot handle boom")
            row["final_answer"] = "seen"
        return rows


def _rows(*problems):
    return [new_chain(chain_id=str(i), problem_id=str(i), problem=p) for i, p in enumerate(problems)]


def test_only_the_failing_row_is_quarantined_with_its_reason():
    out = guarded(Picky())(_rows("fine", "boom", "also fine"))
    assert [r["status"] for r in out] == ["labeled", "quarantined", "labeled"]
    assert out[1]["status_reason"].startswith("[picky] ZeroDivisionError: cannot handle boom")
    assert out[0]["final_answer"] == out[2]["final_answer"] == "seen"


def test_quarantined_rows_pass_through_untouched():
    rows = _rows("fine", "x")
    rows[1].update(status="quarantined", status_reason="[import] bad")
    out = guarded(Picky())(rows)
    assert out[1]["final_answer"] is None and out[1]["status_reason"] == "[import] bad"


def test_stop_build_is_not_swallowed():
    class Broke:
        name = "broke"

        def __call__(self, rows):
            raise StopBuild("budget spent")

    with pytest.raises(StopBuild):
        guarded(Broke())(_rows("a"))


def test_a_labeling_for_a_missing_step_quarantines_its_row_once_and_spares_the_others():
    from steplabel.pipeline.labelers.base import Labeler, Labeling, verdict
    from steplabel.pipeline.stages import LabelStage

    class Fine(Labeler):
        name, version = "fine", "0"

        def label(self, chain):
            return Labeling(verdicts={0: verdict(self, 1, "ok")})

    class OffByMany(Labeler):
        name, version = "off", "0"

        def label(self, chain):
            return Labeling(verdicts={5: verdict(self, 1, "no such step")} if "bad" in chain["problem"] else {})

    rows = [new_chain(problem=p, domain="math", steps=[{"index": 0, "text": "x", "verdicts": []}])
            for p in ("good", "bad")]
    out = guarded(LabelStage(Fine(), OffByMany()))(rows)
    assert out[0]["status"] != "quarantined" and len(out[0]["steps"][0]["verdicts"]) == 1
    assert out[1]["status"] == "quarantined" and "IndexError" in out[1]["status_reason"]
    assert len(out[1]["steps"][0]["verdicts"]) == 1  # applied once: the batch was not retried row by row
