"""`steplabel score` on inputs that are not a build, with a tiny random model: ProcessBench JSON found
out by itself, its human labels kept next to the PRM's verdicts, a step beyond the model's length an
abstain that says so, the ids the model reads the export's layout, and bad arguments in one line."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch", reason="scoring needs steplabel[train]")
pytest.importorskip("transformers", reason="scoring needs steplabel[train]")

from steplabel.pipeline.cli import main  # noqa: E402
from steplabel.pipeline.score import PRM, ScoreError, ScoreOptions, score  # noqa: E402
from steplabel.pipeline.store import read_chains  # noqa: E402
from steplabel.pipeline.tokens import encode_chains  # noqa: E402
from tests.support.tiny_prm import make_model, make_tokenizer  # noqa: E402

RECORDS = [
    {"id": "gsm8k-0", "generator": "ours", "problem": "Tom has 3 apples and buys 4 more. How many does he have?",
     "steps": ["Tom starts with 3 apples.", "He buys 4 more, so 3 + 4 = 7.", "The answer is 7."], "label": -1,
     "final_answer_correct": True},
    {"id": "gsm8k-1", "generator": "ours", "problem": "A box holds 6 eggs. How many eggs are in 5 boxes?",
     "steps": ["Each box holds 6 eggs.", "5 boxes hold 5 * 6 = 36 eggs.", "The answer is 36."], "label": 1,
     "final_answer_correct": False},
]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    texts = [r["problem"] for r in RECORDS] + [s for r in RECORDS for s in r["steps"]]
    tokenizer = make_tokenizer(texts * 10, tmp_path_factory.mktemp("tok"), vocab_size=300)
    return make_model(tokenizer, tmp_path_factory.mktemp("models") / "tiny-prm")


@pytest.fixture
def processbench(tmp_path):
    path = tmp_path / "gsm8k.json"
    path.write_text(json.dumps(RECORDS))
    return path


def test_processbench_json_is_scored_next_to_its_human_labels(model, processbench, tmp_path, capsys):
    assert main(["score", str(model), "--input", str(processbench), "--out", str(tmp_path / "scored"),
                 "--threshold", "0.3"]) == 0
    rows = {r["problem_id"]: r for r in read_chains(tmp_path / "scored").to_pylist()}
    assert set(rows) == {"gsm8k-0", "gsm8k-1"}
    for row in rows.values():
        ours = [v for s in row["steps"] for v in s["verdicts"] if v["labeler"] == "tiny-prm"]
        assert len(ours) == 3 and all(v["rating"] == (1 if v["score"] >= 0.3 else -1) for v in ours)
        assert all(v["version"] == ours[0]["version"] != "unknown" for v in ours)
    assert [v["rating"] for s in rows["gsm8k-1"]["steps"] for v in s["verdicts"] if v["labeler"] == "human"] == [1, -1]
    manifest = json.loads((tmp_path / "scored" / "manifest.json").read_text())
    assert manifest["scored"]["kind"] == "processbench" and manifest["scored"]["labeler"] == "tiny-prm"
    capsys.readouterr()
    assert main(["eval", "processbench", str(tmp_path / "scored"), "--format", "json"]) == 0
    report = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(r["labeler"] == "tiny-prm" and r["subset"] == "all" and r["coverage"] == 1.0
               and r["pb_f1"] is not None for r in report)


def test_the_model_reads_the_exports_layout_and_abstains_beyond_its_length(model, processbench, tmp_path):
    prm = PRM(str(model), ScoreOptions(max_length=40))
    chain = (RECORDS[0]["problem"], RECORDS[0]["steps"])
    assert encode_chains(prm.tokenizer, [chain], prm.layout)[0].input_ids[0] == prm.tokenizer.bos_token_id
    result = score(str(model), str(processbench), str(tmp_path / "short"), ScoreOptions(max_length=40))
    verdicts = [v for r in read_chains(result.out).to_pylist() for s in r["steps"] for v in s["verdicts"]
                if v["labeler"] == "tiny-prm"]
    abstains = [v for v in verdicts if v["rating"] is None]
    assert abstains and all("beyond max_length 40" in v["evidence"] for v in abstains)
    assert len(abstains) < len(verdicts)


def test_bad_arguments_are_one_line(model, processbench, tmp_path):
    with pytest.raises(ScoreError, match="taken"):
        score(str(model), str(processbench), str(tmp_path / "a"), ScoreOptions(name="human"))
    with pytest.raises(ScoreError, match="threshold"):
        score(str(model), str(processbench), str(tmp_path / "b"), ScoreOptions(threshold=1.5))
    with pytest.raises(ScoreError, match="no such folder"):
        score(str(tmp_path / "no-model"), str(processbench), str(tmp_path / "c"))
    (tmp_path / "odd.json").write_text(json.dumps([{"question": "?"}]))
    with pytest.raises(ScoreError, match="pass --kind"):
        score(str(model), str(tmp_path / "odd.json"), str(tmp_path / "d"))
