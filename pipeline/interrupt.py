"""SIGINT (Ctrl-C) and SIGTERM (what schedulers send) stop a build where it is, cleanly.

The signal becomes an `Interrupted` exception in the main thread, so the build's own cleanup runs
on the way out (the manifest says `stopped`, Ray is shut down, the lease released, temporary files
removed) and the command exits 128 + the signal's number (130, 143) with one line. A second signal
while that cleanup runs exits at once: everything the build writes is whole or absent, so the
next run resumes either way.
"""
from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Any, Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A build stopped by a signal; `exit_code` is the shell's 128 + signal number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _handler(signum: int, _frame: Any) -> None:
    if _state["caught"] is not None:  # a second signal: the user insists
        sys.stderr.write(f"{signal.Signals(signum).name} again: exiting now; a re-run cleans up and resumes\n")
        sys.stderr.flush()
        os._exit(128 + _state["caught"])
    _state["caught"] = signum
    raise Interrupted(signum)


_state: dict[str, Any] = {"caught": None}


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM raise `Interrupted` (main thread only; elsewhere a no-op)."""
    try:
        previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    except ValueError:  # not the main thread: signals cannot be caught here
        yield
        return
    _state["caught"] = None
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _state["caught"] = None


@contextmanager
def keep_handlers() -> Iterator[None]:
    """Restore SIGINT's and SIGTERM's handlers after the block: `ray.init` installs its own SIGTERM
    handler in the driver (`sys.exit(15)`), which would skip the build's cleanup."""
    try:
        saved = {s: signal.getsignal(s) for s in SIGNALS}
    except ValueError:
        saved = {}
    try:
        yield
    finally:
        for s, h in saved.items():
            try:
                if h is not None:
                    signal.signal(s, h)
            except ValueError:
                pass
