"""Sandbox helpers for tests: a stand-in `bwrap` that fails, and the sandbox's process tree."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from steplabel.verifiers.code import Limits, Sandbox, isolation

# bwrap, the server, the zygote, the test process and a program process forked ahead of its run
IDLE_TREE = 5


def sandbox_fixture(**limits: Any) -> Callable[..., Any]:
    """A module-scoped fixture (assign it to `sb`): one sandbox with these limits, started once
    for the module's tests and closed after them."""
    @pytest.fixture(scope="module")
    def sb() -> Iterator[Sandbox]:
        box = Sandbox(limits=Limits(**limits)).start()
        yield box
        box.close()

    return sb


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


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of `pid` and everything under it, with the children each has
    already reaped: work done by processes that came and went is counted once, by their reaper."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / hz
