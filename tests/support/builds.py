"""Helpers for tests that watch a build from outside (kill/resume tests)."""
from __future__ import annotations

from pathlib import Path

from steplabel.pipeline.store import read_manifest


def done_shards(out: Path) -> int:
    """Shards the manifest records as written (0 before the build has written its manifest)."""
    manifest = read_manifest(out)
    return 0 if manifest is None else sum(1 for e in manifest["shards"].values() if e["status"] == "done")
