"""Shard planning: finished shards are reused by their chains, not their input positions."""
from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc

from steplabel.pipeline.schema import new_chain, rows_to_table
from steplabel.pipeline.store import write_shard
from steplabel.pipeline.workunits import count_shards, plan_shards

LABELERS = [{"name": "outcome", "version": "1"}]


def _chains(ids: list[str]):
    return rows_to_table([new_chain(chain_id=i, problem_id=i, problem="q") for i in ids])


def _tables(plan) -> list:
    """The new shards' chains, shard by shard, in the plan's order."""
    a = plan.assignment
    return [a.filter(pc.equal(a["shard"], shard)) for shard in plan.pending]


def _finish(out: Path, plan, build_id: str = "b1") -> dict:
    """Write the planned shards as a build would, and return the manifest that says so."""
    shards = dict(plan.reused)
    for table in _tables(plan):
        shard = table["shard"][0].as_py()
        rows = [new_chain(chain_id=c, problem_id=c, problem="q", shard=shard) for c in table["chain_id"].to_pylist()]
        shards[str(shard)] = {"status": "done", "build_id": build_id, **write_shard(out, shard, rows_to_table(rows))}
    return {"build": {"build_id": build_id, "labelers": LABELERS}, "shards": shards}


def _ids(plan) -> list[list[str]]:
    return [t["chain_id"].to_pylist() for t in _tables(plan)]


def test_reordered_input_builds_nothing_and_grown_input_builds_only_new_chains(tmp_path):
    ids = [f"c{i:02d}" for i in range(10)]
    first = plan_shards(tmp_path, None, _chains(ids), 4, LABELERS)
    assert _ids(first) == [ids[0:4], ids[4:8], ids[8:10]]  # cut in input order: shards land as the stream passes
    manifest = _finish(tmp_path, first)

    again = plan_shards(tmp_path, manifest, _chains(ids[5:] + ids[:5]), 4, LABELERS)
    assert set(again.reused) == {"0", "1", "2"} and not again.pending and not again.retired

    grown = plan_shards(tmp_path, manifest, _chains(["a0", *ids, "zz"]), 4, LABELERS)
    assert set(grown.reused) == {"0", "1", "2"} and _ids(grown) == [["a0", "zz"]]
    assert not plan_shards(tmp_path, manifest, _chains(list(reversed(ids))), 4, LABELERS).pending
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


def test_a_problems_run_of_samples_stays_in_one_shard_and_shards_follow_the_input(tmp_path):
    """A record's n samples arrive together; cut before a run that would not fit whole, each run is
    in one shard (one request with n). Samples of one problem scattered over the input are not
    gathered: every shard would then wait for the end of the input stream."""
    rows = [new_chain(chain_id=f"{h:02x}{p}", problem_id=f"p{p}", problem="q")
            for p in range(5) for h in (0xf0 - 37 * p, 0x10 + 11 * p, 0x80 + p)]  # 3 samples, ids interleaved
    plan = plan_shards(tmp_path, None, rows_to_table(rows), 4, LABELERS)
    problem_of = {r["chain_id"]: r["problem_id"] for r in rows}
    shards = [[problem_of[c] for c in t["chain_id"].to_pylist()] for t in _tables(plan)]
    assert shards == [["p0"] * 3, ["p1"] * 3, ["p2"] * 3, ["p3"] * 3, ["p4"] * 3]
    assert count_shards([r["problem_id"] for r in rows], 4) == len(plan.pending) == 5  # what `steplabel check` says
    scattered = [rows[i] for sample in range(3) for i in range(sample, len(rows), 3)]  # p0 p1 .. p4 p0 p1 ..
    plan = plan_shards(tmp_path, None, rows_to_table(scattered), 4, LABELERS)
    assert sum(_ids(plan), []) == [r["chain_id"] for r in scattered]  # in input order, 4 at a time
    assert list(plan.pending.values()) == [4, 4, 4, 3]
    big = [new_chain(chain_id=f"{i:02x}", problem_id="p", problem="q") for i in range(6)]
    assert list(plan_shards(tmp_path, None, rows_to_table(big), 4, LABELERS).pending.values()) == [4, 2]
