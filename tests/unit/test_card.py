"""The dataset card over a build written to disk (no Ray): its pictures exist where it links them."""
from __future__ import annotations

import re

from steplabel.pipeline.card import write_card
from steplabel.pipeline.pictures import PICTURES
from steplabel.pipeline.store import connect, query_memory
from tests.support.builds import chain_of, step, write_build

PNG = b"\x89PNG\r\n\x1a\n"


def test_card_links_resolve_to_png_files_in_the_build(tmp_path):
    chains = [chain_of(f"c{i}", [step(0, "2 + 3 = 5", 1, ("outcome", 1, "ok"), ("math_steps", 1, "5 = 5")),
                              step(1, "so 6", -1 if i % 2 else 1, ("outcome", -1 if i % 2 else 1, "answer"),
                                   ("math_steps", None, "no claim"))]) for i in range(6)]
    out = write_build(tmp_path / "b", chains)
    card = write_card(out).read_text()
    links = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", card)
    assert sorted(caption for caption, _ in links) == sorted(PICTURES.values())
    for _, link in links:
        assert not link.startswith(("/", "http")) and (out / link).read_bytes().startswith(PNG), link


def test_pictures_of_an_empty_build_still_render(tmp_path):
    out = write_build(tmp_path / "empty", [chain_of("q", [], status="quarantined")])
    card = write_card(out).read_text()
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", card):
        assert (out / link).stat().st_size > 1000


def test_the_builds_own_queries_run_under_a_memory_cap(tmp_path):
    out = write_build(tmp_path / "b", [chain_of("c0", [step(0, "2 + 3 = 5", 1, ("outcome", 1, "ok"))])])
    with query_memory("64MB"):
        capped = connect(out).execute("SELECT current_setting('memory_limit')").fetchone()[0]
        assert write_card(out).exists()
    free = connect(out).execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert capped.startswith("61.0 MiB") or capped.startswith("64"), capped
    assert free != capped  # outside the build's accounting and card, DuckDB's own default
