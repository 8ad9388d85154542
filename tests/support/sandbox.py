"""Sandbox helpers for tests: a stand-in `bwrap` that fails, and the sandbox's process tree."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from steplabel.verifiers.code import Limits, Sandbox, isolation



def sandbox_fixture(**limits: Any) -> Callable[..., Any]:
    """A module-scoped fixture (assign it to `sb`): one sandbox with these limits, started once
    for the module's tests and closed after them."""
    @pytest.fixture(scope="module")
    def sb() -> Iterator[Sandbox]:
        box = Sandbox(limits=Limits(**limits)).start()
        yield box
        box.close()

    return sb


def failing_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str, reads: int = 0,
                  after: float = 0.0) -> None:
    """A `bwrap` that reads `reads` bytes of what the host sends, says `message` and fails `after`
    seconds later."""
    fake = tmp_path / "bwrap"
    read = f"head -c {reads} >/dev/null\n" if reads else ""
    wait = f"sleep {after}\n" if after else ""
    fake.write_text(f"#!/bin/sh\n{read}echo 'bwrap: {message}' >&2\n{wait}exit 1\n")
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


def leftovers(sb: Sandbox, wait: float = 30.0) -> list[str]:
    """What is in the sandbox beyond its idle shape once it has torn the last run down (it
    answers first and cleans up while the host reads), waiting with a generous deadline.
    Idle: bwrap and the server (one child each), the zygote, and under it the test process and
    the program processes forked ahead of their runs (at most `PROGRAMS_AHEAD`), each
    single-threaded, asleep and childless. Anything else was left behind by a run."""
    deadline = time.monotonic() + wait
    while True:
        extra = beyond_idle(sb.server_pid)
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.02)


def under_zygote(root: int) -> tuple[int, list[int], dict[int, list[int]]]:
    """(the zygote, its children oldest first (the test process, then programs), every process's
    children) of the sandbox whose outermost process is `root`."""
    children: dict[int, list[tuple[int, int]]] = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(fields[19]), int(p)))  # (start time, pid)
    tree = {parent: [p for _, p in sorted(kids)] for parent, kids in children.items()}
    zygote = root
    while len(tree.get(zygote, [])) == 1:
        zygote = tree[zygote][0]
    return zygote, tree.get(zygote, []), tree


def waiting_programs(sb: Sandbox) -> list[int]:
    """Host pids of the program processes waiting for a run (forked after the test process)."""
    return under_zygote(sb.server_pid)[1][1:]


def beyond_idle(root: int) -> list[str]:
    zygote, below, _ = under_zygote(root)
    if len(below) < 2:
        return [f"the zygote ({zygote}) holds {len(below)} processes: not yet the test process and a program"]
    extra = [f"{len(below)} processes under the zygote (the test process and at most "
             f"{isolation.PROGRAMS_AHEAD} programs waiting)"] if len(below) > 1 + isolation.PROGRAMS_AHEAD else []
    for pid in below:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            threads = int(next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                               if line.startswith("Threads:")))
        except (OSError, StopIteration):
            continue  # (it ended while we looked)
        if state != "S" or threads != 1:
            extra.append(f"{pid}: state {state}, {threads} threads")
        extra += [f"{q}: under {pid}" for q in sorted(descendants(pid) - {pid})]
    return extra


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
