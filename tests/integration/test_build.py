"""End to end on a real (small) Ray: the bundled sample build, its Parquet, DuckDB views, card, exports."""
from __future__ import annotations

import html
import json
import re

import pyarrow.parquet as pq
import pytest
import yaml

from steplabel.pipeline.build import BuildError, run_build
from steplabel.pipeline.config import load_config
from steplabel.pipeline.export import export
from steplabel.pipeline.report import write_report
from steplabel.pipeline.store import connect, read_chains
from tests.support.browser import dump_dom, find_browser, screenshot

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sample_build(sample_build_once):
    return sample_build_once


def test_sample_build_writes_every_chain_once(sample_build):
    result, _ = sample_build
    table = read_chains(result.out)
    ids = table["chain_id"].to_pylist()
    assert len(ids) == len(set(ids)) and len(ids) >= 60
    assert result.manifest["status"] == "done"
    assert sum(e["rows"] for e in result.manifest["shards"].values()) == len(ids) + read_chains(result.out, True).num_rows
    assert all(b["build_id"] == result.manifest["build"]["build_id"] for b in table["build"].to_pylist())


def test_outcome_labeler_matches_the_annotations(sample_build):
    """Math chains annotated correct get a right outcome, every other kind a wrong one."""
    result, _ = sample_build
    con = connect(result.out)
    rows = con.execute("""
        SELECT generator.model, outcome.correct, first_error,
               (SELECT min(v.v.rating) FROM unnest(steps) s(s), unnest(s.s.verdicts) v(v) WHERE v.v.labeler='human') AS worst
        FROM chains WHERE domain = 'math'""").fetchall()
    kinds = {}
    for model, correct, first_error, worst in rows:
        kind = model.split(":")[1]
        kinds.setdefault(kind, []).append((correct, first_error, worst))
    assert all(c is True for c, _, _ in kinds["correct"])
    assert all(c is False for c, _, _ in kinds["slip"] + kinds["reasoning"] + kinds["wrong_final"])
    # every error-free chain is rated whole (own_rollout in the sample config) and never given a -1
    assert all(fe == -1 for _, fe, _ in kinds["correct"])


def _rows_without_build_and_cost(out) -> list[str]:
    rows = read_chains(out).to_pylist() + read_chains(out, True).to_pylist()
    for row in rows:
        row.pop("build")
        for step in row["steps"]:
            for verdict in step["verdicts"]:
                verdict.pop("cost")
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


def test_two_sample_builds_give_the_same_rows(sample_build, tmp_path):
    """Byte-identical rows apart from build provenance and costs: no run id, timing or other
    per-build value in any evidence (the code labelers' runs included)."""
    result, _ = sample_build
    again = run_build(load_config().with_overrides(out=str(tmp_path / "again")))
    first, second = _rows_without_build_and_cost(result.out), _rows_without_build_and_cost(again.out)
    assert len(first) == len(second) and any('"code_outcome"' in r for r in first)
    assert first == second, next((a, b) for a, b in zip(first, second) if a != b)


def test_sample_trl_export_holds_whole_correct_chains(sample_build, tmp_path):
    result, _ = sample_build
    con = connect(result.out)
    whole, own = con.execute("""SELECT count(*) FILTER (first_error = -1),
        (SELECT count(*) FROM steps WHERE decided_by = 'own_rollout') FROM chains""").fetchall()[0]
    report = export(result.out, "trl", tmp_path / "trl")
    records = [json.loads(line) for line in (tmp_path / "trl" / "trl.jsonl").read_text().splitlines()]
    assert sum(all(r["labels"]) for r in records) == whole > 40 and own > 100
    assert report.written == len(records) and sum(report.skipped.values()) + len(records) == read_chains(result.out).num_rows


def test_duckdb_views_agree_with_the_parquet(sample_build):
    result, _ = sample_build
    con = connect(result.out)
    n_steps = sum(len(s) for s in read_chains(result.out)["steps"].to_pylist())
    assert con.execute("SELECT count(*) FROM steps").fetchall()[0][0] == n_steps
    labels = dict(con.execute("SELECT labeler, count(*) FROM verdicts GROUP BY 1").fetchall())
    assert labels.get("human", 0) > 0 and labels.get("outcome", 0) > 0
    ratings = dict(con.execute("SELECT coalesce(rating, 9), count(*) FROM steps GROUP BY 1").fetchall())
    assert ratings.get(-1, 0) > 0 and ratings.get(1, 0) > 0


def test_label_quality_against_the_annotations(sample_build):
    from steplabel.pipeline.evaluate import agreement_report, processbench_report

    report = {(r["subset"], r["labeler"]): r for r in processbench_report(sample_build[0].out)}
    math = report[("math", "merged")]
    assert math["precision_strict"] == 1.0 and math["acc_error_free"] == 1.0  # deterministic flags are never wrong here
    assert 0 < math["exact_first_errors"] <= math["erroneous"] and math["chains"] >= 90
    # a flag after unrated steps is no first error: those chains are not scored, and coverage says so
    assert 0 < math["determined"] < math["chains"] and math["coverage"] == math["determined"] / math["chains"]
    pairs = agreement_report(sample_build[0].out)
    assert pairs[("human", "outcome")]["n"] > 0 and pairs[("human", "outcome")]["agreement"] == 1.0


def test_card_has_a_hugging_face_header_and_figures(sample_build):
    result, _ = sample_build
    card = (result.out / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["annotations_creators"] == ["machine-generated"]
    assert header["configs"][0]["data_files"][0]["path"] == "data/*.parquet"
    # part of the datasets cache key: a rebuilt dataset is never served the previous build's rows
    assert header["configs"][0]["description"] == f"steplabel build {result.manifest['build']['build_id']}"
    assert result.manifest["build"]["config_hash"] in card and "| outcome |" in card
    assert "| human | outcome |" in card  # the agreement table
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", card)
    assert len(links) == 4 and all((result.out / link).read_bytes()[:4] == b"\x89PNG" for link in links)


@pytest.fixture(scope="module")
def human_build(ray_session, tmp_path_factory):
    """The sample with its annotations in the merge order: every chain has a rated prefix to export."""
    config = load_config().with_overrides(out=str(tmp_path_factory.mktemp("human")))
    config.merge.order = ["outcome", "human"]
    return run_build(config)


def test_exports(human_build, tmp_path):
    result = human_build
    report = export(result.out, "trl", tmp_path / "trl")
    records = [json.loads(line) for line in (tmp_path / "trl" / "trl.jsonl").read_text().splitlines()]
    assert report.written == len(records) > 0
    assert all(isinstance(l, bool) for r in records for l in r["labels"])
    assert all(len(r["labels"]) == len(r["completions"]) for r in records)
    assert report.written == read_chains(result.out).num_rows and not report.skipped
    assert any(not all(r["labels"]) for r in records) and any(all(r["labels"]) for r in records)
    report = export(result.out, "prm800k", tmp_path / "prm")
    first = json.loads((tmp_path / "prm" / "prm800k.jsonl").read_text().splitlines()[0])
    assert first["label"]["steps"][0]["completions"][0]["rating"] in (-1, 0, 1)
    hf = export(result.out, "hf", tmp_path / "hf")
    from datasets import load_dataset

    ds = load_dataset(str(tmp_path / "hf"), split="train")  # finds its files through the card's header
    assert len(ds) == read_chains(result.out).num_rows and "shard" in ds.column_names
    assert (tmp_path / "hf" / "README.md").exists() and hf.written == len(ds)
    receipt = json.loads((tmp_path / "hf" / "export.json").read_text())
    assert receipt["build_id"] == result.manifest["build"]["build_id"] and receipt["counts"]["written"] == len(ds)


def test_two_builds_hf_exports_load_in_turn_with_their_own_rows(sample_build, human_build, tmp_path):
    """Folders with the same name and the same `datasets` cache: only the card's build-unique config
    tells them apart (before, the second load returned the first build's rows)."""
    from datasets import load_dataset

    builds = [sample_build[0], human_build]
    ids = [b.manifest["build"]["build_id"] for b in builds]
    for b, build_id in zip(builds, ids):
        default = export(b.out, "hf").path
        assert build_id in default.parent.name and default.parent.parent == b.out / "exports"
    for name, b, build_id in zip("ab", builds, ids):
        export(b.out, "hf", tmp_path / name / "hf")
        ds = load_dataset(str(tmp_path / name / "hf"), split="train", cache_dir=str(tmp_path / "cache"))
        assert {row["build_id"] for row in ds["build"]} == {build_id}
        assert len(ds) == read_chains(b.out).num_rows


def test_rerun_skips_finished_shards_and_another_config_is_refused(sample_build):
    result, _ = sample_build
    config = load_config().with_overrides(out=str(result.out))
    again = run_build(config)
    assert again.shards_written == 0 and again.shards_skipped == result.shards_total
    changed = config.model_copy(deep=True)
    changed.merge.stop_at_first_error = False
    with pytest.raises(BuildError, match="another config"):
        run_build(changed)


def test_bad_input_is_quarantined_or_abstained_and_the_build_completes(ray_session, tmp_path):
    records = [
        {"problem_id": "no-text", "problem": "", "reference": {"answer": "3"}, "chains": [{"text": "1 + 2 = 3\n\nThe answer is 3."}]},
        {"problem_id": "no-steps", "problem": "p", "reference": {"answer": "3"}, "chains": [{"text": "   \n\n  "}]},
        {"problem_id": "words", "problem": "Name the color.", "reference": {"answer": "blue-ish green"},
         "chains": [{"text": "It is the sea.\n\nThe answer is teal."}]},
        {"problem_id": "huge", "problem": "p", "reference": {"answer": "4"},
         "chains": [{"text": "2 + 2 = 4 " * 5000 + "\n\nThe answer is 4."}]},
        {"problem_id": "ok", "problem": "What is 2 + 2?", "reference": {"answer": "4"}, "chains": [{"text": "2 + 2 = 4\n\nThe answer is 4."}]},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json at all\n")
    config = load_config().with_overrides(input=str(path), out=str(tmp_path / "out"))
    result = run_build(config)
    assert result.manifest["status"] == "done"
    con = connect(result.out)
    quarantined = dict(con.execute("SELECT problem_id, status_reason FROM quarantine").fetchall())
    assert "no problem text" in quarantined.pop("no-text")
    assert "no text" in quarantined.pop("no-steps")
    assert list(quarantined.values()) == ["[import] bad.jsonl:6: invalid JSON (Expecting value, line 1 column 1)"]
    kept = {r[0]: r[1:] for r in con.execute("SELECT problem_id, status, outcome.correct FROM chains").fetchall()}
    assert kept["ok"] == ("labeled", True)
    assert kept["huge"][0] == "labeled" and kept["words"][0] == "labeled"
    assert len(pq.read_table(result.out / "data" / "shard-00000.parquet")) == 3


def test_report_in_headless_chromium_shows_the_flagged_steps_evidence(sample_build, tmp_path):
    """The sample build's report, loaded as a person would: every -1 verdict's evidence is in the page,
    and the filters (set from the address) hide exactly the chains they should."""
    browser = find_browser()
    if browser is None:
        pytest.skip("no chromium on PATH: .ci/run installs Debian's chromium, and it could not be installed here")
    result, _ = sample_build
    page = write_report(result.out, tmp_path / "report.html", cap=1000)  # every flagged chain in the page
    flagged = [e for (e,) in connect(result.out).execute(
        "SELECT DISTINCT evidence FROM verdicts WHERE rating = -1 ORDER BY 1").fetchall()]
    dom = dump_dom(browser, page.as_uri() + "#subset=flagged&labeler=math_steps&rating=-1")
    assert len(flagged) >= 5 and all(html.escape(e[:200], quote=False) in dom for e in flagged)
    chains = re.findall(r'<details class="chain" data-subsets="([^"]*)" data-labelers="([^"]*)" '
                        r'data-ratings="([^"]*)"([^>]*)>', dom)
    expected = [("flagged" in s.split() and "math_steps" in l.split() and "-1" in r.split()) for s, l, r, _ in chains]
    assert len(chains) > sum(expected) > 0 and [" hidden" not in rest for *_, rest in chains] == expected
    assert f'<span id="shown">{sum(expected)}</span>' in dom
    shot = screenshot(browser, page.as_uri() + "#subset=flagged", tmp_path / "report.png")
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
