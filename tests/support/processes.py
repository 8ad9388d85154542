"""Stopping the processes a benchmark started (its own Ray nodes), by pid, never by name."""
from __future__ import annotations

import psutil


def terminate_then_kill(procs: list[psutil.Process], grace: float) -> list[str]:
    """SIGTERM each, wait up to `grace` seconds, SIGKILL what is left; returns those killed."""
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(procs, timeout=grace)
    killed = []
    for p in alive:
        try:
            killed.append(f"{p.name()} {p.pid} {p.status()}")
            p.kill()
        except psutil.NoSuchProcess:
            continue
    return killed
