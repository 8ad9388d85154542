"""Start checks: everything a build needs is checked before anything is written.

A scheduled build should fail in its first seconds, in one line, with an exit code a scheduler
can act on — not after a minute of work, with a traceback, leaving a manifest behind that refuses
the corrected re-run. The codes (also in README.md):

    0  done: every input record is written to data/ or quarantine/
    2  config or arguments (a bad config, an endpoint refusing its URL, key or model, --out not
       writable, OUT holds another build)
    3  stopped by a budget: re-run the same command to resume
    4  input (a path that does not exist or cannot be read, an empty input without --allow-empty)
    5  partial: some shards or records are missing from the output (see the manifest)
    6  busy: another build holds OUT (its lease, OUT/.lease/); try again later
    130, 143  interrupted by SIGINT or SIGTERM (interrupt.py): re-run the same command to resume
"""
from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Optional

from .atomic import TEMP_GLOB
from .place import is_uri

EXIT_DONE, EXIT_CONFIG, EXIT_STOPPED, EXIT_INPUT, EXIT_PARTIAL, EXIT_BUSY = 0, 2, 3, 4, 5, 6


class StartError(RuntimeError):
    """The build cannot start; `exit_code` tells a scheduler which kind of problem it is."""

    exit_code = EXIT_CONFIG


class InputError(StartError):
    """The input cannot be read at all, or holds no record."""

    exit_code = EXIT_INPUT


def check_out(out: str | Path) -> None:
    """`--out` can be created and written, probed with a real file (permission bits lie to root).
    Folders the probe had to create are removed again: a start that fails later leaves nothing.
    An `s3://` OUT is probed with one object written and deleted."""
    if is_uri(out):
        _probe_store(str(out))
        return
    out = Path(out)
    missing = next((p for p in reversed([out, *out.parents]) if not p.exists()), None)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StartError(f"cannot write the build directory {out}: {exc.strerror or exc}") from None
    finally:
        if missing is not None and missing.is_dir():
            shutil.rmtree(missing)


def _probe_store(uri: str) -> None:
    from .place import S3Place, is_store_error

    try:
        S3Place(uri).probe()
    except (ValueError, ImportError) as exc:
        raise StartError(str(exc)) from None
    except Exception as exc:  # boto3/botocore errors (no endpoint, no credentials, no bucket): one line
        if not is_store_error(exc):
            raise
        raise StartError(f"cannot write the build directory {uri}: {exc}") from None


def remove_stale_temps(out: str | Path) -> list[Path]:
    """Temp files a killed run left between writing and renaming (`.shard-*.tmp-*` and the
    manifest's): they are never whole, and nothing else would remove them. (On S3 a write is one
    PUT: nothing is left half-written.)"""
    if is_uri(out):
        return []
    out = Path(out)
    stale = [p for folder in (out, out / "data", out / "quarantine") if folder.is_dir()
             for p in folder.glob(TEMP_GLOB) if p.is_file()]
    for p in stale:
        p.unlink()
    return stale


def check_nodes(timeout_s: float = 120.0, runtime_env: Optional[dict[str, Any]] = None,
                out: Optional[Path] = None) -> int:
    """One tiny task on every alive node imports steplabel there, and, given `out`, looks for a
    file the driver just wrote in it: workers write the shards there, so OUT must be one folder
    every node sees at the same path. A node that fails either fails the start in one line instead
    of the first stage after a minute of work. Returns the number of nodes checked. `runtime_env`
    is passed to the probe tasks (tests give one whose Python lacks steplabel, or Ray).

    A node whose Python cannot start a Ray worker at all never runs the probe: its raylet writes
    the worker's error to its stderr, which Ray forwards to subscribers; the check listens for it
    and names the node and the error as soon as it arrives, instead of waiting out `timeout_s`."""
    import ray
    from ray.exceptions import RayError
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    def probe(marker: Optional[str]) -> bool:  # shipped by value: a node without steplabel can still run it
        import os

        import steplabel.pipeline.sources  # noqa: F401  the modules a build's stages import

        return marker is None or os.path.exists(marker)

    remote = ray.remote(num_cpus=0, max_retries=0)(probe)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    marker = None
    if out is not None:  # removed again below, whatever the probes say
        marker = Path(out) / f".node-probe-{uuid.uuid4().hex[:12]}"
        marker.write_text("steplabel: is OUT shared by every node?\n")
    problems: dict[str, str] = {}
    unshared: list[str] = []
    try:
        with RayletErrors() as raylets:  # listening before any probe can make a worker start
            pending = {}
            for node in nodes:
                options: dict[str, Any] = {
                    "scheduling_strategy": NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)}
                if runtime_env is not None:
                    options["runtime_env"] = runtime_env
                ref = remote.options(**options).remote(None if marker is None else str(marker))
                pending[ref] = (node.get("NodeManagerAddress", node["NodeID"]), node["NodeID"][:8])
            deadline = time.monotonic() + timeout_s
            while pending and time.monotonic() < deadline:
                ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=0.5)
                for ref in ready:
                    address, node_id = pending.pop(ref)
                    where = f"node {address} ({node_id})"
                    try:
                        if not ray.get(ref):
                            unshared.append(where)
                    except RayError as exc:
                        cause = getattr(exc, "cause", None) or exc
                        problems[where] = f"cannot import steplabel: {type(cause).__name__}: {_last_line(cause)}"
                for ref, (address, node_id) in list(pending.items()):
                    error = raylets.error_on(address)
                    if error is not None:
                        problems[f"node {address} ({node_id})"] = f"cannot start a Ray worker: {error}"
                        ray.cancel(ref, force=True)
                        del pending[ref]
            for ref, (address, node_id) in pending.items():
                problems[f"node {address} ({node_id})"] = (
                    f"no Ray worker answered in {timeout_s:.0f} s" +
                    (f" (its raylet said: {raylets.last_line(address)})" if raylets.last_line(address) else ""))
                ray.cancel(ref, force=True)
    finally:
        if marker is not None:
            marker.unlink(missing_ok=True)
    if unshared and not problems:
        raise StartError(f"{out} is not visible on {len(unshared)} of {len(nodes)} cluster nodes "
                         f"({', '.join(unshared)}): workers write the shards, so on a cluster OUT must be a "
                         "folder every node mounts at the same path")
    if problems:
        raise StartError(f"steplabel cannot run on {len(problems)} of {len(nodes)} cluster nodes "
                         f"(install it on every node, see README): "
                         + "; ".join(f"{where} {why}" for where, why in problems.items()))
    return len(nodes)


def _last_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else type(exc).__name__


class RayletErrors:
    """The stderr lines every raylet writes, per node address, from the moment of entering.

    A worker process that dies while starting (its Python lacks Ray, or breaks on import) writes
    its traceback to its raylet's stderr; Ray publishes those lines to subscribers through the GCS
    (what `log_to_driver` prints as "(raylet)"). This listens with a subscriber of its own, so it
    neither needs nor disturbs the driver's log printing. Where Ray offers no subscriber (another
    Ray version), it hears nothing and the check falls back to its timeout."""

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._subscriber: Any = None
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> "RayletErrors":
        try:
            import ray
            from ray._raylet import GcsLogSubscriber, WorkerID

            address = ray._private.worker.global_worker.gcs_client.address
            self._subscriber = GcsLogSubscriber(worker_id=WorkerID.from_random().binary(), address=address)
            self._subscriber.subscribe()
        except Exception:  # a private API: without it the check still works, only slower to diagnose
            self._subscriber = None
            return self
        self._thread = threading.Thread(target=self._listen, name="raylet-errors", daemon=True)
        self._thread.start()
        return self

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._subscriber.poll(timeout=0.5)
            except Exception:
                return
            if data and data.get("pid") == "raylet" and data.get("is_err") and data.get("lines"):
                with self._lock:
                    self.lines.setdefault(data.get("ip", ""), []).extend(data["lines"])

    def last_line(self, address: str) -> Optional[str]:
        with self._lock:
            lines = [line.strip() for line in self.lines.get(address, []) if line.strip()]
        return lines[-1] if lines else None

    def error_on(self, address: str) -> Optional[str]:
        """The last line of a Python error the node's raylet reported (a worker that could not start)."""
        with self._lock:
            lines = [line.rstrip() for line in self.lines.get(address, []) if line.strip()]
        for i, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last)"):
                tail = [t for t in lines[i + 1:] if not t.startswith((" ", "\t"))]
                if tail:
                    return tail[0].strip()
        return None

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._subscriber is not None:
            try:
                self._subscriber.close()
            except Exception:
                pass
