"""A stand-in `bwrap` that fails the way a host without user namespaces does."""
from __future__ import annotations

from pathlib import Path

import pytest

from steplabel.verifiers.code import isolation


def failing_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text(f"#!/bin/sh\necho 'bwrap: {message}' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(isolation, "bwrap_binary", lambda: str(fake))
