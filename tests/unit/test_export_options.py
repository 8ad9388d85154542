"""Export options on a hand-written build folder (real Parquet, no Ray): neutral mapping, the
per-build default folder, and an HF export that never mixes in another build's shards."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from steplabel.pipeline.export import export, export_folder
from steplabel.pipeline.store import write_shard
from tests.support.builds import chain, write_build


def _build(out, build_id: str, ratings_per_chain: list[list], name: str = "my build") -> None:
    write_build(out, [chain(f"{build_id}-{k}", r, build_id) for k, r in enumerate(ratings_per_chain)], build_id, name)


def _labels(folder) -> list[list[bool]]:
    return [json.loads(line)["labels"] for line in (folder / "trl.jsonl").read_text().splitlines()]


def test_neutral_steps_map_as_asked(tmp_path):
    _build(tmp_path, "b1", [[1, 0, -1], [0, 1], [None, 1]])
    as_correct = export(tmp_path, "trl", tmp_path / "c")
    as_incorrect = export(tmp_path, "trl", tmp_path / "i", neutral="incorrect")
    assert _labels(tmp_path / "c") == [[True, True, False], [True, True]]
    assert _labels(tmp_path / "i") == [[True, False, False], [False, True]]
    assert (as_correct.options.neutral, as_incorrect.options.neutral) == ("correct", "incorrect")
    assert json.loads((tmp_path / "i" / "export.json").read_text())["options"]["neutral"] == "incorrect"
    assert as_correct.skipped == {"first step unlabeled": 1}
    with pytest.raises(ValueError, match="neutral must be one of"):
        export(tmp_path, "trl", tmp_path / "x", neutral="positive")


def test_default_folder_is_named_by_the_build(tmp_path):
    _build(tmp_path, "0123abcd", [[1]])
    assert export_folder(tmp_path) == tmp_path / "exports" / "my-build-0123abcd"
    assert export(tmp_path, "trl").path == tmp_path / "exports" / "my-build-0123abcd" / "trl"
    assert export(tmp_path, "hf").path == tmp_path / "exports" / "my-build-0123abcd" / "hf"


def test_hf_export_over_another_builds_folder_keeps_only_its_own_shards(tmp_path):
    big, small = tmp_path / "big", tmp_path / "small"
    big.mkdir(), small.mkdir()
    _build(big, "big", [[1], [1]])
    write_shard(big, 1, pq.read_table(big / "data" / "shard-00000.parquet"))  # a second shard
    _build(small, "small", [[1]])
    target = tmp_path / "hf"
    export(big, "hf", target)
    export(small, "hf", target)
    ids = {r["build"]["build_id"] for f in (target / "data").glob("*.parquet") for r in pq.read_table(f).to_pylist()}
    assert ids == {"small"} and "steplabel build small" in (target / "README.md").read_text()
