"""The command line over a real build: query formats, eval, export, card, and its error exits."""
from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest

from steplabel.pipeline.cli import main
from steplabel.pipeline.store import read_manifest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(ray_session, tmp_path_factory):
    """The sample's first 6 records built through the command line, with JSON progress on stdout."""
    out, stdout = str(tmp_path_factory.mktemp("cli")), io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["build", "--out", out, "--limit", "6", "--shard-size", "4", "--progress", "json"])
    return out, code, stdout.getvalue()


@pytest.fixture(scope="module")
def out(built):
    return built[0]


def test_progress_json_is_one_object_per_written_shard(built):
    out, code, stdout = built
    events = [json.loads(line) for line in stdout.splitlines()]  # stdout holds nothing else
    manifest = read_manifest(out)
    assert code == 0 and len(events) == manifest["shards_total"] >= 2
    assert sorted(e["shard"] for e in events) == list(range(len(events)))
    assert sum(e["chains"] for e in events) == events[-1]["chains_done"] == manifest["counts"]["rows"]
    last = events[-1]
    assert last["chains_left"] == 0 and last["shards_left"] == 0 and last["eta_s"] == 0
    assert all(e["rows_per_s"] > 0 and e["eta_s"] is not None for e in events)
    assert all(e["llm_tokens"] == e["llm_prompt_tokens"] + e["llm_completion_tokens"] == 0 for e in events)


def test_query_in_every_format(out, capsys):
    sql = "SELECT coalesce(rating, 9) AS rating, count(*) AS n FROM steps GROUP BY 1 ORDER BY 1"
    assert main(["query", out, sql, "--format", "json"]) == 0
    as_json = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["query", out, sql, "--format", "csv"]) == 0
    as_csv = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["rating"], r["n"]) for r in as_json] == [(int(r["rating"]), int(r["n"])) for r in as_csv]
    assert sum(r["n"] for r in as_json) > 0
    assert main(["query", out, sql]) == 0
    assert "rating" in capsys.readouterr().out


def test_a_bad_query_is_an_error_message_not_a_traceback(out, capsys):
    assert main(["query", out, "SELECT nope FROM steps"]) == 2
    assert "query failed" in capsys.readouterr().err


def test_eval_and_export_and_card(out, capsys, tmp_path):
    assert main(["eval", "processbench", out, "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    merged = next(r for r in rows if r["subset"] == "all" and r["labeler"] == "merged")
    assert merged["chains"] > 0 and merged["acc_error_free"] == 1.0
    assert main(["eval", "agreement", out, "--format", "csv"]) == 0
    assert "human,merged" in capsys.readouterr().out
    assert main(["export", out, "--format", "prm800k", "--to", str(tmp_path / "p")]) == 0
    assert "written" in capsys.readouterr().err and (tmp_path / "p" / "prm800k.jsonl").exists()
    assert main(["export", out, "--format", "math-shepherd", "--to", str(tmp_path / "ms"),
                 "--placeholder", "<step>", "--reward-tokens", "good", "bad", "--neutral", "incorrect"]) == 0
    receipt = json.loads((tmp_path / "ms" / "export.json").read_text())
    assert receipt["options"]["placeholder"] == "<step>" and receipt["options"]["neutral"] == "incorrect"
    assert main(["export", out, "--format", "trl", "--to", str(tmp_path / "t.jsonl")]) == 2
    assert "names a folder" in capsys.readouterr().err
    assert main(["card", out]) == 0
    assert main(["report", out, "--to", str(tmp_path / "r.html"), "--cap", "3"]) == 0
    assert "report written" in capsys.readouterr().err and "3 shown of" in (tmp_path / "r.html").read_text()


def test_config_errors_and_missing_builds_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("labelers:\n  - name: outcome\n    optoins: {}\n")
    assert main(["build", str(bad)]) == 2
    assert "labelers.0.optoins: unknown key" in capsys.readouterr().err
    assert main(["query", str(tmp_path), "SELECT 1"]) == 2
    assert "not a steplabel build" in capsys.readouterr().err
