"""Sandbox helpers for tests: a stand-in `bwrap` that fails, and the sandbox's process tree."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from steplabel.verifiers.code import Sandbox, isolation

# bwrap, the server, the zygote, the test process and a program process forked ahead of its run
IDLE_TREE = 5


def failing_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text(f"#!/bin/sh\necho 'bwrap: {message}' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(isolation, "bwrap_binary", lambda: str(fake))


def descendants(pid: int) -> set[int]:
    """Host pids of `pid` and everything under it."""
    children: dict[int, list[int]] = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(p))
    out, todo = set(), [pid]
    while todo:
        q = todo.pop()
        out.add(q)
        todo += children.get(q, [])
    return out


def settled_tree(sb: Sandbox, idle: int = IDLE_TREE, wait: float = 30.0) -> set[int]:
    """The sandbox's host pids once it has torn the last run down (it answers first and cleans
    up while the host reads), waiting with a generous deadline for the idle count."""
    deadline = time.monotonic() + wait
    tree = descendants(sb.server_pid)
    while len(tree) > idle and time.monotonic() < deadline:
        time.sleep(0.02)
        tree = descendants(sb.server_pid)
    return tree


def run_program(sb: Sandbox, program: str, timeout: float = 2.0):
    """Run `program` as the code under test (its own process), with one test that only needs the
    program to have run to its end: passed when it did, else why not."""
    (result,) = sb.run(program, [{"name": "t", "code": "pass"}], timeout=timeout)
    return result
