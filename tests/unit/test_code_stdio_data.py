"""The stdin/stdout problem set is well formed: what the benchmark and the integration test rely on."""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.support.stdio_set import load_problems

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from stdio_problems import KINDS, PLANTED  # noqa: E402

ROWS = load_problems()


def test_enough_problems_with_unique_ids():
    ids = [r["id"] for r in ROWS]
    assert len(ids) >= 110
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_problem_row(row):
    doc = json.loads(row["tests"])
    assert doc["format"] == "stdio" and doc["float_tolerance"] == row["float_tolerance"]
    cases = doc["cases"]
    assert len(cases) >= 2 and all(set(c) == {"input", "output"} and c["output"].split() for c in cases)
    assert len({c["input"] for c in cases}) == len(cases)
    assert 0 < row["cpu_limit"] <= 5
    programs = row["programs"]
    assert programs[0]["name"] == "correct" and programs[0]["expected"] == "passed"
    assert any(p["kind"] in PLANTED for p in programs), "every problem has a planted bug"
    assert len({p["name"] for p in programs}) == len(programs)
    for p in programs:
        assert p["expected"] in KINDS[p["kind"]]
        if p["expected"] == "passed":
            assert p["first_bad_case"] is None
        else:
            assert 1 <= p["first_bad_case"] <= len(cases)
        if p["kind"] == "slow_correct":
            assert row["heavy_case"] is not None and 0.3 <= p["build_cpu_share"] <= 0.75


def test_the_set_covers_every_kind_and_status():
    kinds = Counter(p["kind"] for r in ROWS for p in r["programs"])
    assert set(kinds) == set(KINDS)
    assert kinds["slow_correct"] >= 10 and kinds["too_slow"] >= 10
    statuses = Counter(p["expected"] for r in ROWS for p in r["programs"])
    assert {"passed", "failed", "error", "timeout"} <= set(statuses)
    assert sum(1 for r in ROWS if r["float_tolerance"]) >= 10
