"""The one atomic writer: whole-or-absent files, no temp file left behind, concurrent writers safe."""
from __future__ import annotations

import threading

import pytest

from steplabel.pipeline.atomic import TEMP_GLOB, atomic_path, write_atomic


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "m.json"
    write_atomic(target, "one")
    write_atomic(target, b"two", fsync=False)
    assert target.read_text() == "two" and [p.name for p in target.parent.iterdir()] == ["m.json"]


def test_a_killed_writers_temporary_matches_the_glob_start_checks_clean(tmp_path):
    target = tmp_path / "shard-00000.parquet"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            assert [p.name for p in tmp_path.glob(TEMP_GLOB)] == [tmp.name]
            raise KeyboardInterrupt
    assert not target.exists() and not list(tmp_path.iterdir())


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "m.json"
    write_atomic(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer died")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_concurrent_writers_of_one_path_each_leave_a_whole_file(tmp_path):
    target = tmp_path / "m.txt"
    payloads = [str(i) * 100_000 for i in range(8)]
    threads = [threading.Thread(target=write_atomic, args=(target, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_text() in payloads and [p.name for p in tmp_path.iterdir()] == ["m.txt"]
