"""Persistent LLM request cache, shared by every process of a build.

Two stores, both safe with many processes (Ray actors) reading and writing at once, both
whole-or-absent per entry after a SIGKILL:

- `sqlite` (default): `<cache_dir>/llm.sqlite` in WAL mode, one short transaction per response.
  ~30 us per write. Needs a local filesystem (WAL uses shared memory): right for one machine.
- `files`: one JSON file per key under `<cache_dir>/llm/`, written tmp + rename. ~150 us per
  write (a file creation), but works on shared network filesystems (a multi-node cluster whose
  cache dir is NFS). Choose it with `STEPLABEL_LLM_CACHE=files`.

Reads look in both, so a cache written by either serves a re-run.

A third store, `ObjectCache`, serves `run.cache: s3://bucket/prefix`: one object per key, written
by a single PUT, so an entry is whole or absent and many writers on many nodes only ever race to
store the same answer. `open_cache` picks the
store from the location. Entries are not fsynced: a
machine crash may lose the last ones, which costs a request, never a wrong answer.

Key = hash of (model, api, messages or prompt, sampling params, seed, sample index). The base URL
is not part of the key: replicas of one model share answers.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Optional

from ..atomic import write_atomic
from ..place import S3Place, is_uri


def cache_key(**parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class _Store:
    """What every request-cache store shares: hit/miss counts around a store's own lookup."""

    hits = 0
    misses = 0

    def _lookup(self, key: str) -> Optional[dict[str, Any]]:
        raise NotImplementedError

    def get(self, key: str) -> Optional[dict[str, Any]]:
        value = self._lookup(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.put_many([(key, value)])

    def put_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        raise NotImplementedError


class RequestCache(_Store):
    """`root=None` keeps entries in memory only (tests, dry runs)."""

    def __init__(self, root: str | os.PathLike | None, backend: Optional[str] = None) -> None:
        self.base = Path(root) if root is not None else None
        self.root = self.base / "llm" if self.base is not None else None  # the `files` store
        self.backend = backend or os.environ.get("STEPLABEL_LLM_CACHE", "sqlite")
        if self.backend not in ("sqlite", "files"):
            raise ValueError(f"unknown LLM cache backend {self.backend!r} (sqlite or files)")
        self._memory: dict[str, dict[str, Any]] = {}
        self._dirs: set[Path] = set()
        self._lock = threading.Lock()
        self._db: Optional[sqlite3.Connection] = None
        self._db_pid = 0

    # --- sqlite -------------------------------------------------------------------------------------

    def _conn(self, create: bool) -> Optional[sqlite3.Connection]:
        assert self.base is not None
        if self._db is not None and self._db_pid == os.getpid():
            return self._db
        path = self.base / "llm.sqlite"
        if not create and not path.exists():
            return None
        self.base.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db, self._db_pid = db, os.getpid()
        return db

    # --- files --------------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def _get_file(self, key: str) -> Optional[dict[str, Any]]:
        if self.root is None or not self.root.exists():
            return None
        try:
            with open(self._path(key), "rb") as f:
                return json.loads(f.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # unreadable or torn by hand: a miss, rewritten later
            return None

    def _put_file(self, key: str, blob: bytes) -> None:
        path = self._path(key)
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        write_atomic(path, blob, fsync=False)  # a lost entry costs a request again, never a wrong answer

    # --- API ----------------------------------------------------------------------------------------

    def _lookup(self, key: str) -> Optional[dict[str, Any]]:
        value: Optional[dict[str, Any]] = None
        if self.base is None:
            value = self._memory.get(key)
        else:
            with self._lock:
                db = self._conn(create=self.backend == "sqlite")
                if db is not None:
                    row = db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
                    if row is not None:
                        try:
                            value = json.loads(row[0])
                        except ValueError:
                            value = None
            if value is None:
                value = self._get_file(key)
        return value

    def put_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        if self.base is None:
            for key, value in items:
                self._memory[key] = value
            return
        if self.backend == "files":
            for key, value in items:
                self._put_file(key, json.dumps(value, ensure_ascii=False).encode())
            return
        with self._lock:
            db = self._conn(create=True)
            assert db is not None
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR REPLACE INTO responses (key, value) VALUES (?, ?)",
                               [(k, json.dumps(v, ensure_ascii=False)) for k, v in items])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def __len__(self) -> int:
        if self.base is None:
            return len(self._memory)
        n = 0
        with self._lock:
            db = self._conn(create=False)
            if db is not None:
                n += db.execute("SELECT count(*) FROM responses").fetchone()[0]
        if self.root is not None and self.root.exists():
            n += sum(1 for _ in self.root.glob("*/*.json"))
        return n

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._db_pid == os.getpid():
                self._db.close()
            self._db = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_db"], state["_lock"] = None, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


class ObjectCache(_Store):
    """The request cache on S3 (or an S3-compatible store): `<prefix>/llm/<key[:2]>/<key>.json`,
    one object per entry, each written by one PUT (never a multipart upload), so it is whole or absent.

    `s3://bucket/prefix?endpoint_override=HOST:PORT&scheme=http&region=R` names it (the query is for
    stores other than AWS); credentials come from the environment, as for every AWS client. The
    client is made on first use in the process that uses it; pickling drops it (Ray ships clients
    to actors). Needs boto3 (`pip install steplabel[s3]`)."""

    def __init__(self, uri: str) -> None:
        self.uri, self.place = uri, S3Place(uri, what="run.cache")

    def _path(self, key: str) -> str:
        return f"llm/{key[:2]}/{key}.json"

    def _lookup(self, key: str) -> Optional[dict[str, Any]]:
        data = self.place.read(self._path(key))
        try:
            return None if data is None else json.loads(data)
        except ValueError:  # written by hand or by another tool: a miss, replaced by the next answer
            return None

    def put_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        for key, value in items:
            self.place.write(self._path(key), json.dumps(value, ensure_ascii=False))

    def __len__(self) -> int:
        return sum(1 for name in self.place.walk("llm") if name.endswith(".json"))

    def probe(self) -> None:
        """Write and delete one object: a start check that the cache is reachable and writable."""
        self.place.probe()

    def close(self) -> None:
        self.place._client = None


def open_cache(location: str | os.PathLike, shared: bool = False) -> "RequestCache | ObjectCache":
    """The request cache at `location`: an object store for a URI; for a folder shared by builds
    (run.cache, maybe on NFS) the `files` store, whose writes are renames; else the default store."""
    if is_uri(location):
        return ObjectCache(str(location))
    return RequestCache(location, backend="files" if shared else None)
