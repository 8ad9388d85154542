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


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and everything under it, including the children
    each has already reaped (so work done by processes that came and went is counted once)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total
