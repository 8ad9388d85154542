"""One build per OUT at a time: a lease in numbered generations.

`OUT/.lease/<generation>.json` says who holds OUT: host, pid (and the pid's start time, so a
reused pid is not mistaken for the holder), the token of this holding, and a heartbeat. The
highest generation is the lease. A build takes a free or stale lease by creating the *next*
generation with an exclusive create (a hard link of a whole temp file: it fails if the name exists;
on S3 the same is a PUT with `If-None-Match: *`), so of two builds racing for it exactly one wins,
and nobody ever deletes or overwrites a lease another build may hold.

The holder rewrites its own generation's heartbeat every `ttl / 4` seconds and, before every
write to OUT, checks that no higher generation exists: a holder that was frozen past its ttl and
taken over stops instead of writing beside the new one.

A lease is stale when it was released, when its heartbeat is older than its ttl, or when its
holder ran on this host and that process is gone (a kill -9 frees OUT at once on one machine).
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Optional

from .place import LocalPlace, Place, place
from .preflight import EXIT_BUSY, StartError

LEASE_DIR = ".lease"


def _store_errors() -> tuple[type[BaseException], ...]:
    """What a failed write to OUT raises: OSError locally, botocore's errors on S3."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return (OSError,)
    return (OSError, BotoCoreError, ClientError)


STORE_ERRORS = _store_errors()
DEFAULT_TTL = 60.0


class LeaseHeld(StartError):
    """Another live build holds OUT."""

    exit_code = EXIT_BUSY


class LeaseLost(StartError):
    """This build's lease was taken over (it was frozen past its ttl): it must not write to OUT."""

    exit_code = EXIT_BUSY


def _pid_start(pid: int) -> Optional[str]:
    """When the process started (field 22 of /proc/PID/stat), to tell a reused pid from the holder."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive_here(holder: dict[str, Any]) -> bool:
    pid = int(holder.get("pid", 0))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return holder.get("pid_start") in (None, _pid_start(pid))


def stale_reason(holder: dict[str, Any], now: Optional[float] = None) -> Optional[str]:
    """Why a lease no longer holds OUT, or None while its holder is alive."""
    now = time.time() if now is None else now
    if holder.get("released"):
        return "released"
    age = now - float(holder.get("heartbeat", 0))
    if age > float(holder.get("ttl", DEFAULT_TTL)):
        return f"no heartbeat for {age:.0f} s"
    if holder.get("host") == socket.gethostname() and not _alive_here(holder):
        return f"process {holder.get('pid')} on this host is gone"
    return None


def live_holder(out: str | os.PathLike | Place) -> Optional[dict[str, Any]]:
    """The record of the build holding OUT now, or None (no lease, or a stale one). Read-only."""
    lease = Lease(out)
    generations = lease._generations()
    holder = lease._read(generations[-1]) if generations else None
    return holder if holder is not None and stale_reason(holder) is None else None


class Lease:
    """The lease on one OUT. `acquire()` or raise `LeaseHeld`; `check()` before writing; `release()`."""

    def __init__(self, out: str | os.PathLike | Place, ttl: float = DEFAULT_TTL) -> None:
        self.out = place(out)
        self.folder = Path(self.out.root) / LEASE_DIR if isinstance(self.out, LocalPlace) else None  # local only
        self.ttl = ttl
        self.generation: Optional[int] = None
        self.token = uuid.uuid4().hex
        self.lost: Optional[str] = None
        self._stop = threading.Event()
        self._beat: Optional[threading.Thread] = None
        self._acquired = 0.0
        self._created_out = False

    # --- the store: generation files in OUT/.lease (on S3: objects written with If-None-Match) -------

    def _path(self, generation: int) -> str:
        return f"{LEASE_DIR}/{generation:08d}.json"

    def _generations(self) -> list[int]:
        stems = (name.removesuffix(".json") for name in self.out.names(LEASE_DIR) if name.endswith(".json"))
        return sorted(int(stem) for stem in stems if stem.isdigit())

    def _read(self, generation: int) -> Optional[dict[str, Any]]:
        data = self.out.read(self._path(generation))
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:  # never torn (files are whole when they appear); hand-edited: treat as stale
            return {"heartbeat": 0}

    def _create(self, generation: int, record: dict[str, Any]) -> bool:
        """Create the generation's file whole, only if it does not exist yet."""
        return self.out.create(self._path(generation), json.dumps(record))

    # --- API ----------------------------------------------------------------------------------------

    def _record(self, **extra: Any) -> dict[str, Any]:
        pid = os.getpid()
        return {"token": self.token, "host": socket.gethostname(), "pid": pid, "pid_start": _pid_start(pid),
                "acquired": self._acquired, "heartbeat": time.time(), "ttl": self.ttl, **extra}

    def acquire(self) -> "Lease":
        if self.folder is not None:
            self._created_out = not self.folder.parent.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
        self._acquired = time.time()
        for _ in range(3):  # lost a race: look again (the winner is live, so the next look refuses)
            generations = self._generations()
            current = generations[-1] if generations else 0
            holder = self._read(current) if current else None
            if holder is not None and stale_reason(holder) is None:
                age = time.time() - float(holder.get("heartbeat", 0))
                raise LeaseHeld(
                    f"{self.out} is being built by another run (pid {holder.get('pid')} on "
                    f"{holder.get('host')}, heartbeat {age:.0f} s ago); wait for it to finish, or re-run once "
                    f"its lease is stale ({holder.get('ttl', DEFAULT_TTL):.0f} s without a heartbeat)")
            if self._create(current + 1, self._record()):
                if any(g > current + 1 for g in self._generations()):
                    # our look missed a newer generation (a folder read while files come and go can
                    # show neither the one just created nor the one just removed): that one holds OUT
                    self.out.delete(self._path(current + 1))
                    continue
                self.generation = current + 1
                for old in generations:  # earlier holders are stale: their files only clutter
                    self.out.delete(self._path(old))
                self._remove_old_temps()
                self._start_heartbeat()
                return self
        raise LeaseHeld(f"{self.out}: could not take the lease (other builds keep taking it)")

    def _remove_old_temps(self) -> None:
        """Temp files killed writers left in a local .lease/ (a live writer's are seconds old)."""
        for tmp in self.folder.glob(".*") if self.folder is not None else ():
            try:
                old = time.time() - tmp.stat().st_mtime > self.ttl
            except FileNotFoundError:  # its writer renamed or removed it meanwhile
                continue
            if old:
                tmp.unlink(missing_ok=True)

    def check(self) -> None:
        """Raise LeaseLost if another build took OUT over; call before every write to OUT."""
        if self.lost is None and self.generation is not None:
            newer = [g for g in self._generations() if g > self.generation]
            mine = self._read(self.generation)
            if newer or mine is None or mine.get("token") != self.token:
                self.lost = f"generation {max(newer, default=self.generation)} took {self.out} over"
        if self.lost is not None:
            raise LeaseLost(f"this build lost its lease on {self.out} ({self.lost}); "
                            "it stopped writing, the other build goes on")

    def renew(self) -> None:
        self.check()
        self.out.write(self._path(self.generation), json.dumps(self._record()), fsync=False)

    def _start_heartbeat(self) -> None:
        def beat() -> None:
            while not self._stop.wait(self.ttl / 4):
                try:
                    self.renew()
                except LeaseLost:
                    return
                except STORE_ERRORS as exc:  # a missed beat; the next one may get through before the ttl
                    logging.getLogger(__name__).warning("lease heartbeat on %s failed: %s", self.out, exc)

        self._beat = threading.Thread(target=beat, name="steplabel-lease", daemon=True)
        self._beat.start()

    def release(self, leave_trace: bool = True) -> None:
        """Mark the lease released (the next build takes the next generation at once). With
        `leave_trace=False` (a start that wrote nothing) its file goes, and `.lease/` if it is empty."""
        self._stop.set()
        if self._beat is not None:  # a beat stuck in a write to OUT (a hung network mount) is left behind
            self._beat.join(timeout=self.ttl)
        if self.generation is not None and self.lost is None:
            mine = self._read(self.generation)
            if mine is not None and mine.get("token") == self.token:
                if leave_trace:
                    self.out.write(self._path(self.generation), json.dumps(self._record(released=True)), fsync=False)
                else:
                    self.out.delete(self._path(self.generation))
                    folders = (self.folder, self.folder.parent) if self._created_out else (self.folder,)
                    for folder in folders if self.folder is not None else ():
                        if folder.is_dir() and not any(folder.iterdir()):
                            folder.rmdir()
        self.generation = None
