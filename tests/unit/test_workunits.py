"""Shard planning: finished shards are reused by their chains, not their input positions."""
from __future__ import annotations

from pathlib import Path

from steplabel.pipeline.schema import new_chain, rows_to_table
from steplabel.pipeline.store import write_shard
from steplabel.pipeline.workunits import count_shards, plan_shards

LABELERS = [{"name": "outcome", "version": "1"}]


def _chains(ids: list[str]):
    return rows_to_table([new_chain(chain_id=i, problem_id=i, problem="q") for i in ids])


def _finish(out: Path, plan, build_id: str = "b1") -> dict:
    """Write the planned shards as a build would, and return the manifest that says so."""
    shards = dict(plan.reused)
    for table in plan.tables:
        shard = table["shard"][0].as_py()
        shards[str(shard)] = {"status": "done", "build_id": build_id, **write_shard(out, shard, table)}
    return {"build": {"build_id": build_id, "labelers": LABELERS}, "shards": shards}


def _ids(plan) -> list[list[str]]:
    return [t["chain_id"].to_pylist() for t in plan.tables]


def test_reordered_input_builds_nothing_and_grown_input_builds_only_new_chains(tmp_path):
    ids = [f"c{i:02d}" for i in range(10)]
    first = plan_shards(tmp_path, None, _chains(list(reversed(ids))), 4, LABELERS)
    assert _ids(first) == [ids[0:4], ids[4:8], ids[8:10]]  # cut in chain-id order, whatever the input order
    manifest = _finish(tmp_path, first)

    again = plan_shards(tmp_path, manifest, _chains(ids[5:] + ids[:5]), 4, LABELERS)
    assert set(again.reused) == {"0", "1", "2"} and not again.tables and not again.retired

    grown = plan_shards(tmp_path, manifest, _chains(["a0", *ids, "zz"]), 4, LABELERS)
    assert set(grown.reused) == {"0", "1", "2"} and _ids(grown) == [["a0", "zz"]]
    assert grown.pending == {3: 2} and grown.total == 4


def test_shard_with_a_chain_gone_from_the_input_is_built_again(tmp_path):
    ids = [f"c{i:02d}" for i in range(8)]
    manifest = _finish(tmp_path, plan_shards(tmp_path, None, _chains(ids), 4, LABELERS))
    edited = ids[:5] + ["c05-edited"] + ids[6:]  # an edited chain has a new content id
    plan = plan_shards(tmp_path, manifest, _chains(edited), 4, LABELERS)
    assert set(plan.reused) == {"0"} and "no longer" in plan.retired["1"]
    assert _ids(plan) == [["c04", "c05-edited", "c06", "c07"]] and plan.pending == {1: 4}


def test_other_labeler_versions_or_missing_files_are_built_again(tmp_path):
    ids = [f"c{i:02d}" for i in range(8)]
    manifest = _finish(tmp_path, plan_shards(tmp_path, None, _chains(ids), 4, LABELERS))
    newer = [{"name": "outcome", "version": "2"}]
    assert set(plan_shards(tmp_path, manifest, _chains(ids), 4, newer).retired) == {"0", "1"}
    (tmp_path / "data" / "shard-00001.parquet").unlink()
    plan = plan_shards(tmp_path, manifest, _chains(ids), 4, LABELERS)
    assert set(plan.reused) == {"0"} and plan.retired == {"1": "files missing or unreadable"}


def test_a_problems_samples_stay_in_one_shard_whatever_their_chain_ids(tmp_path):
    """Chain ids are hashes: sorted by them alone, a problem's n samples scatter over shards and
    each goes out as its own request. Sorted by problem first, and cut before a problem that would
    not fit whole, each problem is in one shard (one request with n)."""
    rows = [new_chain(chain_id=f"{h:02x}{p}", problem_id=f"p{p}", problem="q")
            for p in range(5) for h in (0xf0 - 37 * p, 0x10 + 11 * p, 0x80 + p)]  # 3 samples, ids interleaved
    plan = plan_shards(tmp_path, None, rows_to_table(rows[::-1]), 4, LABELERS)
    for table in plan.tables:
        assert table.num_rows <= 4
    problems = [set(t["problem_id"].to_pylist()) for t in plan.tables]
    assert sorted(p for ps in problems for p in ps) == [f"p{p}" for p in range(5)]  # each problem in one shard
    assert count_shards([r["problem_id"] for r in rows], 4) == len(plan.tables) == 5  # what `steplabel check` says
    big = [new_chain(chain_id=f"{i:02x}", problem_id="p", problem="q") for i in range(6)]
    assert [t.num_rows for t in plan_shards(tmp_path, None, rows_to_table(big), 4, LABELERS).tables] == [4, 2]
