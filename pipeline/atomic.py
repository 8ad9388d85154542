"""The one way a file is replaced: write a temporary sibling, fsync it, rename it onto the target.

A reader (a resumed build, DuckDB, another Ray actor) sees the old file or the new one, never a
part of one, even after a SIGKILL; with `fsync` (the default) also after a machine crash. The
temporary name is unique per process and thread, so concurrent writers of one path never share it,
and matches `TEMP_GLOB`, so a later run can find what a killed writer left.
"""
from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

TEMP_GLOB = ".*.tmp-*"  # every temporary `atomic_path` makes, in the target's folder


@contextmanager
def atomic_path(path: str | Path, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write (by any writer: pyarrow, open, copyfile); on a clean exit it
    replaces `path`, on an exception it is removed and `path` is left as it was.

    `fsync=False` is for files whose loss in a machine crash costs only a redo (cache entries)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}")
    try:
        yield tmp
        if fsync:
            _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        _fsync(path.parent)  # the rename itself is durable once the directory is


def write_atomic(path: str | Path, data: bytes | str, fsync: bool = True) -> None:
    """Replace `path` with `data` (str is written as UTF-8)."""
    with atomic_path(path, fsync) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
