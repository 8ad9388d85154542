"""The command line over a real build: query formats, eval, export, card, and its error exits."""
from __future__ import annotations

import csv
import io
import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.cli import main
from steplabel.pipeline.config import load_config

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def out(ray_session, tmp_path_factory):
    config = load_config().with_overrides(out=str(tmp_path_factory.mktemp("cli")), limit=6)
    return str(run_build(config).out)


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


def test_config_errors_and_missing_builds_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("labelers:\n  - name: outcome\n    optoins: {}\n")
    assert main(["build", str(bad)]) == 2
    assert "labelers.0.optoins: unknown key" in capsys.readouterr().err
    assert main(["query", str(tmp_path), "SELECT 1"]) == 2
    assert "not a steplabel build" in capsys.readouterr().err
