"""Workers' part files and the commit that joins them into a shard file."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from steplabel.pipeline.schema import rows_to_table
from steplabel.pipeline.shardwriter import PARTS, IncompleteShard, commit_shard, part_folder, remove_parts, write_parts
from steplabel.pipeline.stages import STOPPED
from steplabel.pipeline.store import read_chains, shard_name


def _row(chain_id: str, shard: int, status: str = "labeled", reason: str | None = None) -> dict:
    return {"chain_id": chain_id, "problem_id": "p", "problem": "1+1?", "text": "2", "shard": shard,
            "status": status, "status_reason": reason, "steps": []}


def test_parts_per_shard_commit_into_one_whole_shard(tmp_path):
    first = write_parts(str(tmp_path), rows_to_table([_row("a", 0), _row("b", 1), _row("c", 0)]))
    second = write_parts(str(tmp_path), rows_to_table([_row("d", 0), _row("e", 0, "quarantined", "bad")]))
    records = first.to_pylist() + second.to_pylist()
    assert [(r["shard"], r["rows"]) for r in records] == [(0, 2), (1, 1), (0, 2)]
    assert not (tmp_path / "data").exists()  # nothing is a shard before its commit
    shard0 = [r["part"] for r in records if r["shard"] == 0]
    with pytest.raises(IncompleteShard, match="4 distinct chains in its parts, 5 planned"):
        commit_shard(str(tmp_path), 0, shard0, 5)
    assert not (tmp_path / "data").exists()
    counts = commit_shard(str(tmp_path), 0, shard0 + shard0[:1], 4)  # a part twice: its chains count once
    assert counts == {"rows": 4, "labeled": 3, "quarantined": 1}
    assert pq.read_table(tmp_path / "data" / shard_name(0))["chain_id"].to_pylist() == ["a", "c", "d"]
    assert read_chains(tmp_path, quarantine=True)["chain_id"].to_pylist() == ["e"]
    assert remove_parts(tmp_path, 0) == [part_folder(0)]
    assert (tmp_path / part_folder(1)).is_dir()
    remove_parts(tmp_path)
    assert not (tmp_path / PARTS).exists()


def test_a_retried_batch_rewrites_its_part_and_a_stopped_shard_gets_none(tmp_path):
    batch = rows_to_table([_row("a", 0), _row("b", 0), _row("c", 1, STOPPED, "RequestsFailed: x")])
    once, again = write_parts(str(tmp_path), batch).to_pylist(), write_parts(str(tmp_path), batch).to_pylist()
    assert once == again
    assert len(list((tmp_path / part_folder(0)).iterdir())) == 1
    assert once[1] == {"shard": 1, "rows": 1, "part": None, "stopped": "RequestsFailed: x"}
    assert not (tmp_path / part_folder(1)).exists()
