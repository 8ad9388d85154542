"""Persistent LLM request cache: one JSON file per key, written tmp + rename.

Safe with many processes (Ray actors) writing the same directory: a reader sees a whole entry or
none, and two writers of one key both write the same answer, the last rename wins. Entries
survive a killed process (the rename is atomic); they are not fsynced, so a machine crash may
lose the last ones — which costs a request, never a wrong answer.

Key = hash of (model, api, messages or prompt, sampling params, seed, sample index). The base URL
is not part of the key: replicas of one model share answers.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any, Optional


def cache_key(**parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class RequestCache:
    """`root=None` keeps entries in memory only (tests, dry runs)."""

    def __init__(self, root: str | os.PathLike | None) -> None:
        self.root = Path(root) / "llm" if root is not None else None
        self._memory: dict[str, dict[str, Any]] = {}
        self._dirs: set[Path] = set()
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Optional[dict[str, Any]]:
        if self.root is None:
            value = self._memory.get(key)
        else:
            try:
                with open(self._path(key), "rb") as f:
                    value = json.loads(f.read())
            except FileNotFoundError:
                value = None
            except (OSError, ValueError):  # unreadable or torn by hand: a miss, rewritten later
                value = None
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self.root is None:
            self._memory[key] = value
            return
        path = self._path(key)
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        with open(tmp, "wb") as f:
            f.write(json.dumps(value, ensure_ascii=False).encode())
        os.replace(tmp, path)

    def put_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        for key, value in items:
            self.put(key, value)

    def __len__(self) -> int:
        if self.root is None:
            return len(self._memory)
        if not self.root.exists():
            return 0
        return sum(1 for _ in self.root.glob("*/*.json"))
