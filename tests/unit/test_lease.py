"""The lease on OUT: one holder at a time, a dead or silent holder taken over, exactly one winner."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from steplabel.pipeline.lease import Lease, LeaseHeld, LeaseLost
from steplabel.pipeline.preflight import EXIT_BUSY


def _plant(out, generation: int, **record) -> None:
    """A lease file as another build would have left it."""
    folder = out / ".lease"
    folder.mkdir(parents=True, exist_ok=True)
    base = {"token": "other", "host": socket.gethostname(), "pid": 1, "heartbeat": time.time(), "ttl": 60}
    (folder / f"{generation:08d}.json").write_text(json.dumps({**base, **record}))


def test_second_build_is_refused_until_the_first_releases(tmp_path):
    first = Lease(tmp_path).acquire()
    with pytest.raises(LeaseHeld, match="being built by another run") as err:
        Lease(tmp_path).acquire()
    assert err.value.exit_code == EXIT_BUSY and "\n" not in str(err.value)
    first.check()
    first.release()
    second = Lease(tmp_path).acquire()
    assert second.generation == 2 and [p.name for p in (tmp_path / ".lease").glob("*.json")] == ["00000002.json"]
    second.release()


def test_lease_of_a_killed_process_on_this_host_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _plant(tmp_path, 3, pid=dead.pid)
    lease = Lease(tmp_path).acquire()
    assert lease.generation == 4
    lease.release()


def test_silent_holder_elsewhere_is_taken_over_and_then_stops_writing(tmp_path):
    _plant(tmp_path, 1, host="other-node", heartbeat=time.time() - 600)
    lease = Lease(tmp_path).acquire()
    assert lease.generation == 2
    lease.release()

    frozen = Lease(tmp_path, ttl=0.2).acquire()  # its heartbeat thread is stopped: as if frozen
    frozen._stop.set()
    frozen._beat.join()
    _plant(tmp_path, frozen.generation, **{**json.loads((tmp_path / ".lease" / f"{frozen.generation:08d}.json").read_text()),
                                             "host": "elsewhere", "heartbeat": time.time() - 5})
    taker = Lease(tmp_path).acquire()
    with pytest.raises(LeaseLost, match="lost its lease"):
        frozen.check()
    taker.check()
    taker.release()


def test_racing_takers_of_a_stale_lease_have_exactly_one_winner(tmp_path):
    _plant(tmp_path, 5, host="other-node", heartbeat=0)
    won, refused = [], []
    start = threading.Barrier(8)

    def take() -> None:
        start.wait()
        try:
            won.append(Lease(tmp_path).acquire())
        except LeaseHeld:
            refused.append(1)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 7 and won[0].generation == 6
    won[0].release()


def test_a_start_that_wrote_nothing_leaves_nothing(tmp_path):
    out = tmp_path / "new" / "out"
    out.parent.mkdir()
    Lease(out).acquire().release(leave_trace=False)
    assert not out.exists()


def test_holder_renews_its_heartbeat(tmp_path):
    lease = Lease(tmp_path, ttl=0.2).acquire()
    path = tmp_path / ".lease" / "00000001.json"
    first = json.loads(path.read_text())["heartbeat"]
    deadline = time.monotonic() + 60  # the renewal is an event: waited for, with room for a loaded machine
    while json.loads(path.read_text())["heartbeat"] <= first and time.monotonic() < deadline:
        time.sleep(0.02)
    assert json.loads(path.read_text())["heartbeat"] > first
    lease.release()
    assert json.loads(path.read_text())["released"] is True
