"""The CPU time of a program process's whole PID namespace, read from /proc by the test process.
Stdlib only (runs in the sandbox).

Why the whole namespace: /proc/<pid>/stat counts a process's own time and that of the children it
has reaped, nothing else. Work offloaded to a helper process (forked and never waited for, a
`setsid` grandchild, threads in a child, many short-lived children) shows only in the helper's
own figures while it lives or lingers as a zombie, and in its reaper's once reaped. Every
process of a program's namespace descends from the program process, its init (orphans re-parent
to it), so the sum over the tree under it is all of the namespace's time, live or gone: a
process that ended is either still a zombie (its own figures) or reaped (in its reaper's). Only
a process whose children reap themselves would lose their time (SIGCHLD ignored), and a program
process cannot set that up (`confine.fix_sigchld`).

The tree is read top-down, a process's children listed before its stat is read and a parent
read before its children: a reap or re-parenting during the read can then hide a process's
time from that reading, never count it twice. A reading that must be right (the closing account
of a test) is repeated until two agree on the tree's shape. A run with no helper costs two
preads a look, on files held open: the program process's children and its stat.

Rounding: stat's four figures are whole ticks, each rounded down, so a helper's figures may
hide up to four ticks. A helper whose threads have not run since an earlier reading (the same
threads, with the same run time and run count in ns from schedstat) hid nothing since; the
others are charged the four ticks where a bound is wanted (`Reading.active_since`).
"""
from __future__ import annotations

import os
from typing import NamedTuple, Optional

CLK_TCK = os.sysconf("SC_CLK_TCK")
PF_EXITING = 0x4  # task flags: exiting (set from the start of exit; zombies keep it)
ROUNDING = 4  # ticks: utime, stime, cutime and cstime are each rounded down to a tick
SETTLE_TRIES = 6


class Stat(NamedTuple):
    """What a look needs of /proc/<pid>/stat: time in ticks (own and reaped children's)."""

    ticks: int
    threads: int
    ended: bool  # a zombie, or exiting
    start: int  # start time in ticks after boot: a pid used again is another process


class Reading(NamedTuple):
    """One top-down look at the tree: its time in ticks, its root's stat, the shape of the rest
    (helper pid: parent, ended), whether every process listed could be read, and each helper's
    run signature (its start and its threads' schedstat)."""

    ticks: int
    root: Stat
    shape: dict[int, tuple[int, bool]]
    whole: bool
    runs: dict[int, tuple]

    def active_since(self, earlier: dict[int, tuple]) -> int:
        """How many helpers ran since a reading whose run signatures were `earlier`."""
        return sum(1 for pid, signature in self.runs.items() if earlier.get(pid) != signature)


def parse_stat(raw: bytes) -> Optional[Stat]:
    try:
        fields = raw.rsplit(b")", 1)[1].split()
        ended = fields[0] in (b"Z", b"X", b"x") or bool(int(fields[6]) & PF_EXITING)
        return Stat(sum(int(x) for x in fields[11:15]), int(fields[17]), ended, int(fields[19]))
    except (IndexError, ValueError):
        return None


def read_file(path: str) -> Optional[bytes]:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 1 << 16)
    except OSError:
        return None
    finally:
        os.close(fd)


def pids_in(raw: Optional[bytes]) -> list[int]:
    return [int(p) for p in raw.split()] if raw else []


def tasks(pid: int, with_children: bool = True) -> Optional[tuple[list[int], tuple]]:
    """(the children of every thread of `pid`: the kernel lists a child under the thread that
    forked it; each thread's schedstat), or None when the process is gone."""
    try:
        tids = sorted(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None
    found: list[int] = []
    runs = []
    for tid in tids:
        if with_children:
            found += pids_in(read_file(f"/proc/{pid}/task/{tid}/children"))
        runs.append((tid, read_file(f"/proc/{pid}/task/{tid}/schedstat")))
    return found, tuple(runs)


def by_parent() -> dict[int, list[int]]:
    """Every process's children, from each one's stat: for kernels without children files."""
    found: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        raw = read_file(f"/proc/{name}/stat") if name.isdigit() else None
        try:
            parent = int(raw.rsplit(b")", 1)[1].split()[1]) if raw else 0
        except (IndexError, ValueError):
            continue
        found.setdefault(parent, []).append(int(name))
    return found


class Tree:
    """The namespace under one program process (`root`): its children and stat files held open,
    and the walk over its helpers when it has any."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.stat_fd = os.open(f"/proc/{root}/stat", os.O_RDONLY)
        try:
            self.children_fd = os.open(f"/proc/{root}/task/{root}/children", os.O_RDONLY)
        except FileNotFoundError:
            self.children_fd = -1  # no children files (CONFIG_PROC_CHILDREN): every look lists /proc
        except OSError:
            os.close(self.stat_fd)
            raise
        self.one_task = True  # as last read: its only thread is its leader, whose children file is open
        self.parents: Optional[dict[int, list[int]]] = None  # this look's, without children files

    def close(self) -> None:
        for fd in (self.stat_fd, self.children_fd):
            if fd >= 0:
                os.close(fd)

    def helper(self, pid: int) -> Optional[tuple[list[int], tuple]]:
        """A helper's children and threads' schedstat (None when gone)."""
        if self.parents is None:
            return tasks(pid)
        found = tasks(pid, with_children=False)
        return None if found is None else (self.parents.get(pid, []), found[1])

    def root_children(self) -> list[int]:
        if self.children_fd < 0:
            self.parents = by_parent()
            return self.parents.get(self.root, [])
        if self.one_task:
            return pids_in(os.pread(self.children_fd, 1 << 16, 0))
        found = tasks(self.root, with_children=True)
        if found is None:
            raise ProcessLookupError(self.root)
        return found[0]

    def root_stat(self) -> Stat:
        stat = parse_stat(os.pread(self.stat_fd, 1024, 0))
        if stat is None:
            raise ProcessLookupError(self.root)
        return stat

    def look(self) -> Reading:
        """One top-down reading (OSError when the root is gone)."""
        kids = self.root_children()
        root = self.root_stat()
        one_task = root.threads == 1 and not root.ended  # (an ended leader's children went to a thread)
        if one_task != self.one_task:  # other threads' children may have been missed
            self.one_task = one_task
            kids = self.root_children()
            root = self.root_stat()
        if not kids:
            return Reading(root.ticks, root, {}, True, {})
        return self.walk(root, kids)

    def walk(self, root: Stat, kids: list[int]) -> Reading:
        ticks, whole = root.ticks, True
        shape: dict[int, tuple[int, bool]] = {}
        runs: dict[int, tuple] = {}
        todo = [(kid, self.root) for kid in kids]
        while todo:
            pid, parent = todo.pop()
            if pid in shape or pid == self.root:
                continue
            found = self.helper(pid)
            stat = parse_stat(read_file(f"/proc/{pid}/stat") or b"")
            if found is None or stat is None:
                whole = False  # reaped while we read: its time may be in a reaper already read
                continue
            shape[pid] = (parent, stat.ended)
            runs[pid] = (stat.start, stat.ticks, found[1])
            ticks += stat.ticks
            todo += [(kid, pid) for kid in found[0]]
        return Reading(ticks, root, shape, whole, runs)

    def settle(self) -> tuple[Reading, int]:
        """A reading that two in a row agree with (the same processes, parents and zombies, every
        one read), and the most ticks any reading saw; after SETTLE_TRIES, the last one."""
        reading = self.look()
        best = reading.ticks
        for _ in range(SETTLE_TRIES - 1):
            if reading.whole and not reading.shape:
                break
            again = self.look()
            best = max(best, again.ticks)
            if reading.whole and again.whole and again.shape == reading.shape:
                return again, best
            reading = again
        return reading, best
