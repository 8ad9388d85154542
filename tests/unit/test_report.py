"""The HTML report over a build written to disk (no Ray): self-contained, escaped, sampled."""
from __future__ import annotations

import re

import pytest

from steplabel.pipeline.report import write_report
from tests.support.builds import chain_of, step, write_build

FLAG = ("math_steps", -1, "18 - 6 = 13 is false (18 - 6 = 12)")


def _build(tmp_path, n_flagged: int = 3):
    chains = [chain_of(f"f{i}", [step(0, "18 - 6 = 13", -1, FLAG, ("outcome", 1, "answer 12 matches"),
                                   decided_by="math_steps")]) for i in range(n_flagged)]
    chains += [chain_of("ok", [step(0, "2 + 3 = 5", 1, ("outcome", 1, "answer 5 matches"))]),
               chain_of("kept", [step(0, "<script>alert(1)</script>", 1, ("outcome", 1, "x"))], status="filtered",
                     status_reason="labelers disagree on the first error"),
               chain_of("bad", [], status="quarantined", status_reason="no steps: empty text")]
    return write_build(tmp_path / "b", chains)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    return write_report(_build(tmp_path_factory.mktemp("report"))).read_text()


def test_report_is_one_file_that_fetches_nothing(page):
    assert page.count("data:image/png;base64,") == 4
    assert not re.search(r"""(src|href)\s*=\s*["']?(?!data:)(?!#)[a-z]+:""", page)  # no http:, file:, …
    assert "<link" not in page and "@import" not in page and "default-src 'none'" in page


def test_report_shows_every_subset_with_evidence_and_escapes_model_text(page):
    assert "18 - 6 = 13 is false (18 - 6 = 12)" in page and "answer 12 matches" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "labelers disagree on the first error" in page and "no steps: empty text" in page
    for subset, shown in (("flagged", 3), ("disagreement", 3), ("filtered", 1), ("quarantined", 1)):
        assert f"<b>{subset}</b>" in page and f"{shown} shown of {shown}" in page


def test_a_large_build_is_sampled_to_the_cap(tmp_path):
    out = _build(tmp_path, n_flagged=40)
    page = write_report(out, cap=10).read_text()
    assert "10 shown of 40" in page
    assert page.count('<details class="chain"') == 10 + 1 + 1  # flagged ∪ disagreement sample, filtered, quarantined
    assert write_report(out, cap=10).read_text() == page  # the same sample every time
