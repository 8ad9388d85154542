"""From a build to a scored PRM, offline, on a CPU: the sample build exported as tokens with a
tokenizer trained here on its own text; the labels at the separators equal the build's ratings;
examples/train_prm.py (run as a user runs it) trains a tiny random Llama token classifier a few
steps on it — `datasets.load_dataset("parquet")` straight into `Trainer` — with a falling loss;
`steplabel score` rates the sample with it and `steplabel eval processbench` reports its F1 next
to the build's own labelers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("torch", reason="training needs steplabel[train]")
pytest.importorskip("transformers", reason="training needs steplabel[train]")

from steplabel.pipeline.cli import main  # noqa: E402
from steplabel.pipeline.store import read_chains  # noqa: E402
from tests.support.tiny_prm import make_model, make_tokenizer  # noqa: E402

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample(sample_build_once):
    return sample_build_once[0].out


@pytest.fixture(scope="module")
def tokenizer(sample, tmp_path_factory):
    chains = read_chains(sample).to_pylist()
    texts = [c["problem"] for c in chains] + [s["text"] for c in chains for s in c["steps"]]
    return make_tokenizer(texts, tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="module")
def exported(sample, tokenizer, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tokens")
    assert main(["export", str(sample), "--format", "tokens", "--tokenizer", str(tokenizer), "--to", str(folder)]) == 0
    return folder


def test_labels_at_the_separators_are_the_builds_ratings(sample, tokenizer, exported):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer)
    chains = {c["chain_id"]: c for c in read_chains(sample).to_pylist()}
    rows = [r for f in sorted((exported / "data").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    receipt = json.loads((exported / "export.json").read_text())
    assert len(rows) == receipt["counts"]["written"] > 40 and receipt["counts"]["chains_read"] == len(chains)
    assert receipt["counts"]["written"] + receipt["counts"]["skipped"] == len(chains)
    negatives = 0
    for row in rows:
        chain = chains[row["chain_id"]]
        ratings = []
        for s in chain["steps"]:
            if s["rating"] is None:
                break
            ratings.append(s["rating"])
        assert [row["labels"][p] for p in row["step_positions"]] == [int(r >= 0) for r in ratings]
        assert [row["input_ids"][p] for p in row["step_positions"]] == tok.encode("\n", add_special_tokens=False) * len(ratings)
        assert sum(label != -100 for label in row["labels"]) == len(ratings)
        assert tok.decode(row["input_ids"][1:]) == chain["problem"] + "".join(
            s["text"] + "\n" for s in chain["steps"][:len(ratings)])
        negatives += ratings.count(-1)
    assert negatives > 0 and row["build_id"] == chain["build"]["build_id"]


def test_a_tiny_prm_trains_on_the_export_and_is_scored_on_the_sample(sample, tokenizer, exported, tmp_path, capsys):
    base = make_model(tokenizer, tmp_path / "base")
    prm = tmp_path / "tiny-prm"
    run = subprocess.run([sys.executable, str(REPO / "examples" / "train_prm.py"), str(exported), "--model", str(base),
                          "--out", str(prm), "--max-steps", "8", "--batch-size", "8", "--learning-rate", "1e-3",
                          "--log-every", "1"],
                         capture_output=True, text=True, timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    losses = summary["losses"]
    assert summary["steps"] == 8 and len(losses) == 8
    assert sum(losses[-3:]) / 3 < losses[0], losses  # it learns
    assert (prm / "model.safetensors").exists() and json.loads((prm / "steplabel.json").read_text())["layout"][
        "separator"] == "\n"

    scored = tmp_path / "scored"
    assert main(["score", str(prm), "--input", str(sample), "--out", str(scored)]) == 0
    rows = read_chains(scored).to_pylist()
    assert len(rows) == len(read_chains(sample))
    verdicts = [v for r in rows for s in r["steps"] for v in s["verdicts"] if v["labeler"] == "tiny-prm"]
    assert len(verdicts) == sum(len(r["steps"]) for r in rows)
    assert all(0.0 <= v["score"] <= 1.0 and v["rating"] == (1 if v["score"] >= 0.5 else -1) for v in verdicts)
    assert {v["labeler"] for r in rows for s in r["steps"] for v in s["verdicts"]} >= {"human", "outcome", "tiny-prm"}

    capsys.readouterr()
    assert main(["eval", "processbench", str(scored), "--format", "json"]) == 0
    report = {(r["subset"], r["labeler"]): r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    prm = report[("all", "tiny-prm")]
    assert prm["pb_f1"] is not None and prm["f1"] is not None and prm["coverage"] == 1.0  # ProcessBench's F1, ours
    assert ("all", "merged") in report and ("all", "outcome") in report
