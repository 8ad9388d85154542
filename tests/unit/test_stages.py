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
