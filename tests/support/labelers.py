"""Labelers that exist only in tests: they misbehave on purpose, on rows whose problem text says
how (`[block]` sleeps forever, `[spin]` spins holding the GIL, `[die]` exits the process,
`[raise]` raises, `[slow:S]` computes for S seconds of CPU time); every other row gets +1 on its
last step. Registered by a test with `monkeypatch.setitem(REGISTRY, ...)`."""
from __future__ import annotations

import os
import re
import threading
import time
from typing import Any

from steplabel.pipeline.labelers.base import Labeler, Labeling, Options, verdict


def fine(labeler: Labeler, chain: dict[str, Any]) -> Labeling:
    """What the test labelers say of a row they do not act up on: +1 on its last step."""
    last = len(chain["steps"]) - 1
    return Labeling(verdicts={last: verdict(labeler, 1, "fine")}) if last >= 0 else Labeling()


class MisbehavingLabeler(Labeler):
    name = "misbehaving"
    version = "0"
    domains = ("math",)

    def label(self, chain: dict[str, Any]) -> Labeling:
        problem = chain.get("problem") or ""
        if "[block]" in problem:
            threading.Event().wait()
        if "[spin]" in problem:
            while True:
                pass
        if "[die]" in problem:
            os._exit(3)
        if "[raise]" in problem:
            raise ValueError("asked to raise")
        slow = re.search(r"\[slow:([0-9.]+)\]", problem)
        if slow:
            end = time.process_time() + float(slow.group(1))
            while time.process_time() < end:
                pass
        return fine(self, chain)


class InProcessLabeler(Labeler):
    """A test labeler that runs in its actor's own process (no watched child, no row deadline):
    what it does to that process, the build sees."""

    version = "0"
    domains = ("math",)
    row_timeout = None


class _KillOptions(Options):
    flag: str  # a file: the first kill creates it, so each build loses its actor once


class ActorKiller(InProcessLabeler):
    """Runs in its actor's own process (no watched child) and ends that process on the first row
    whose problem says `[kill-actor]`, as a lost node or an OOM kill would; every other row, and
    that row once the flag exists, gets +1 on its last step."""

    name = "actor_killer"
    options_model = _KillOptions

    def label(self, chain: dict[str, Any]) -> Labeling:
        if "[kill-actor]" in (chain.get("problem") or "") and not os.path.exists(self.opts.flag):
            with open(self.opts.flag, "x"):
                pass
            os._exit(9)
        return fine(self, chain)


class _GateOptions(Options):
    gate: str  # a file: rows whose problem says `[gate]` wait until it exists


class GateLabeler(InProcessLabeler):
    """In-process (its actor's own process): a row whose problem says `[gate]` creates
    `<gate>.waiting` and waits until the gate file exists, so a test can hold a build for as long
    as it needs and know when it is held; every other row gets +1 on its last step at once."""

    name = "gate"
    options_model = _GateOptions

    def label(self, chain: dict[str, Any]) -> Labeling:
        if "[gate]" in (chain.get("problem") or ""):
            with open(self.opts.gate + ".waiting", "w"):
                pass
            while not os.path.exists(self.opts.gate):
                time.sleep(0.05)
        return fine(self, chain)
