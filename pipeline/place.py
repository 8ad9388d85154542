"""Where a build lives: a local folder, or a prefix on S3 (or an S3-compatible store).

Every write of the build directory goes through one of these, so a file or object is whole or
absent: locally a temporary sibling renamed onto its name (`atomic.py`), on S3 a single PUT of
the final name (never a multipart upload, whose parts a killed writer could leave half-done).
The lease's exclusive create is a hard link locally and a PUT with `If-None-Match: *` on S3.

`s3://bucket/prefix?endpoint_override=HOST:PORT&scheme=http&region=R` names an S3 place (the
query is for stores other than AWS; credentials come from the environment). Readers that take
a pyarrow filesystem (pyarrow, DuckDB through Arrow datasets) get one from `arrow()`.
"""
from __future__ import annotations

import copy
import fnmatch
import functools
import io
import os
import shutil
import threading
import uuid
from pathlib import Path, PurePosixPath
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import atomic_path, write_atomic


def is_uri(location: str | os.PathLike) -> bool:
    return "://" in str(location)


def is_store_error(exc: BaseException) -> bool:
    """boto3's and botocore's errors (no endpoint, no credentials, no bucket): said in one line,
    never as a traceback."""
    return type(exc).__module__.split(".")[0] in ("botocore", "boto3")


class Place:
    """The operations a build needs on its directory; paths are relative, `/`-separated."""

    def read(self, rel: str) -> Optional[bytes]:
        raise NotImplementedError

    def write(self, rel: str, data: bytes | str, fsync: bool = True) -> None:
        raise NotImplementedError

    def create(self, rel: str, data: bytes | str) -> bool:
        """Write `rel` only if it does not exist yet; False if it did (another writer won)."""
        raise NotImplementedError

    def delete(self, rel: str) -> None:
        raise NotImplementedError

    def names(self, folder: str) -> list[str]:
        """The names of the files directly in `folder` (none if it does not exist), sorted."""
        raise NotImplementedError

    def subfolders(self, folder: str) -> list[str]:
        raise NotImplementedError

    def delete_tree(self, folder: str) -> None:
        raise NotImplementedError

    def write_parquet(self, rel: str, table: pa.Table) -> None:
        raise NotImplementedError

    def arrow(self) -> tuple[Any, str]:
        """A pyarrow filesystem and the build's root path in it."""
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        folder, _, name = rel.rpartition("/")
        return name in self.names(folder)

    def read_parquet(self, rel: str, **kwargs: Any) -> pa.Table:
        fs, root = self.arrow()
        return pq.read_table(f"{root}/{rel}", filesystem=fs, **kwargs)


class LocalPlace(Place):
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def __str__(self) -> str:
        return str(self.root)

    def read(self, rel: str) -> Optional[bytes]:
        try:
            return (self.root / rel).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, rel: str, data: bytes | str, fsync: bool = True) -> None:
        write_atomic(self.root / rel, data, fsync)

    def create(self, rel: str, data: bytes | str) -> bool:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}")
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)  # whole before it has its name
        try:
            os.link(tmp, path)  # fails if the name exists: of racing creators exactly one wins
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def delete(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)

    def _entries(self, folder: str, files: bool) -> list[str]:
        try:  # the type from the folder read itself: no second look at entries that may be going
            with os.scandir(self.root / folder) as entries:
                return sorted(e.name for e in entries if (e.is_file() if files else e.is_dir()))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def names(self, folder: str) -> list[str]:
        return self._entries(folder, files=True)

    def subfolders(self, folder: str) -> list[str]:
        return self._entries(folder, files=False)

    def delete_tree(self, folder: str) -> None:
        if (self.root / folder).is_dir():
            shutil.rmtree(self.root / folder)

    def write_parquet(self, rel: str, table: pa.Table) -> None:
        with atomic_path(self.root / rel) as tmp:
            pq.write_table(table, tmp, compression="zstd")

    def arrow(self) -> tuple[Any, str]:
        from pyarrow.fs import LocalFileSystem

        return LocalFileSystem(), str(self.root.resolve())


class S3Place(Place):
    """A prefix in an S3 bucket. The boto3 client is made on first use in the process that uses
    it; pickling drops it (Ray ships places to workers). Needs boto3 (`pip install steplabel[s3]`)."""

    def __init__(self, uri: str, what: str = "run.out") -> None:
        parsed = urlsplit(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"{what} {uri!r}: a URI must be s3://bucket/prefix")
        query = dict(parse_qsl(parsed.query))
        unknown = sorted(set(query) - {"endpoint_override", "scheme", "region"})
        if unknown:
            raise ValueError(f"{what} {uri!r}: unknown query parameters {unknown}")
        self.uri, self.bucket, self.prefix = uri, parsed.netloc, parsed.path.strip("/")
        self.scheme, self.endpoint_override = query.get("scheme", "https"), query.get("endpoint_override")
        self.endpoint = f"{self.scheme}://{self.endpoint_override}" if self.endpoint_override else None
        self.region = query.get("region")
        self._client: Any = None

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def at(self, prefix: str) -> "S3Place":
        """The same bucket and endpoint under another prefix."""
        other = copy.copy(self)
        other.prefix, other._client = prefix.strip("/"), None
        return other

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_client": None}

    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client("s3", endpoint_url=self.endpoint, region_name=self.region,
                                        config=Config(connect_timeout=10, read_timeout=60,
                                                      retries={"max_attempts": 5, "mode": "standard"}))
        return self._client

    def key(self, rel: str) -> str:
        return "/".join(p for p in (self.prefix, rel.strip("/")) if p)

    def read(self, rel: str) -> Optional[bytes]:
        s3 = self.client()
        try:
            return s3.get_object(Bucket=self.bucket, Key=self.key(rel))["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None

    def write(self, rel: str, data: bytes | str, fsync: bool = True) -> None:
        body = data.encode() if isinstance(data, str) else data
        self.client().put_object(Bucket=self.bucket, Key=self.key(rel), Body=body)

    def create(self, rel: str, data: bytes | str) -> bool:
        body = data.encode() if isinstance(data, str) else data
        s3 = self.client()
        try:
            s3.put_object(Bucket=self.bucket, Key=self.key(rel), Body=body, IfNoneMatch="*")
            return True
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise

    def delete(self, rel: str) -> None:
        self.client().delete_object(Bucket=self.bucket, Key=self.key(rel))

    def _list(self, folder: str) -> tuple[list[str], list[str]]:
        prefix = self.key(folder) + "/" if folder.strip("/") or self.prefix else ""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix,
                                                                         Delimiter="/")
        files, folders = [], []
        for page in pages:
            files += [o["Key"][len(prefix):] for o in page.get("Contents", ())]
            folders += [p["Prefix"][len(prefix):].rstrip("/") for p in page.get("CommonPrefixes", ())]
        return sorted(files), sorted(folders)

    def names(self, folder: str) -> list[str]:
        return self._list(folder)[0]

    def subfolders(self, folder: str) -> list[str]:
        return self._list(folder)[1]

    def walk(self, folder: str = "") -> list[str]:
        """Every object under `folder` (recursively), relative to this place's prefix."""
        base = self.key(folder)
        prefix = base + "/" if base else ""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        root = self.key("")
        cut = len(root) + 1 if root else 0
        return sorted(o["Key"][cut:] for page in pages for o in page.get("Contents", ()))

    def delete_tree(self, folder: str) -> None:
        prefix = self.key(folder) + "/"
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            keys = [{"Key": o["Key"]} for o in page.get("Contents", ())]
            if keys:
                self.client().delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})

    def write_parquet(self, rel: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        self.write(rel, buffer.getvalue())

    def arrow(self) -> tuple[Any, str]:
        from pyarrow.fs import S3FileSystem

        # deadlines on every request, as the boto3 client has: a hung endpoint fails the read, never the build
        options: dict[str, Any] = {"scheme": self.scheme, "connect_timeout": 10, "request_timeout": 60}
        if self.endpoint_override:
            options["endpoint_override"] = self.endpoint_override
        if self.region:
            options["region"] = self.region
        return S3FileSystem(**options), "/".join(p for p in (self.bucket, self.prefix) if p)

    def probe(self) -> None:
        """Write and delete one object: a start check that OUT is reachable and writable."""
        self.write(".probe", b"")
        self.delete(".probe")


def place(location: str | os.PathLike | Place) -> Place:
    if isinstance(location, Place):
        return location
    return _s3_place(str(location)) if is_uri(location) else LocalPlace(location)


@functools.lru_cache(maxsize=64)
def _s3_place(uri: str) -> S3Place:
    """One S3Place (and so one client) per URI and process: workers write many parts."""
    return S3Place(uri)


class RemoteFile:
    """One object of an input on S3, with the few file operations the input readers use."""

    def __init__(self, where: S3Place, rel: str) -> None:
        self.where, self.rel = where, rel
        self.suffix = PurePosixPath(rel).suffix

    def __str__(self) -> str:  # the name provenance records (no endpoint query)
        return f"s3://{self.where.bucket}/{self.where.key(self.rel)}"

    def open(self, mode: str = "rb") -> Any:
        """A buffered, seekable reader that streams the object (lines for JSONL, ranges for Parquet)."""
        fs, root = self.where.arrow()
        return io.BufferedReader(fs.open_input_file(f"{root}/{self.rel}"), buffer_size=1 << 20)

    def read_bytes(self) -> bytes:
        data = self.where.read(self.rel)
        if data is None:
            raise FileNotFoundError(str(self))
        return data

    def is_file(self) -> bool:
        return True

    def state(self) -> dict[str, Any]:
        """Size and ETag, to see the object replaced while a build runs."""
        s3 = self.where.client()
        try:
            head = s3.head_object(Bucket=self.where.bucket, Key=self.where.key(self.rel))
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(str(self)) from None
            raise
        return {"bytes": head["ContentLength"], "etag": head.get("ETag")}


def remote_files(uri: str, suffixes: tuple[str, ...]) -> list[RemoteFile]:
    """The input objects an `s3://` path names: one object, a glob of them (`*`, `?`, `[...]` in the
    last part), or every object with one of `suffixes` under a prefix."""
    where = S3Place(uri, what="input.path")
    folder, _, last = where.prefix.rpartition("/")
    parent = where.at(folder)
    if any(c in last for c in "*?["):
        return [RemoteFile(parent, n) for n in parent.names("") if fnmatch.fnmatchcase(n, last)]
    if last in parent.names(""):
        return [RemoteFile(parent, last)]
    return [RemoteFile(where, rel) for rel in where.walk() if PurePosixPath(rel).suffix in suffixes]
