"""A per-row deadline that no labeler code can escape: the labeler runs in a child process that
is watched, and killed, from outside.

Deterministic labelers run in-process in Ray actors, where one row can hang for minutes (a regex
backtracking on model text, a huge power in mpmath, a C extension holding the GIL) and stall the
whole Ray Data job. `LabelerHost` constructs the labeler in a persistent child process (one per
actor) and sends it a batch; the child labels the rows one by one and answers each as it is
done. The budget, `row_timeout`, counts the CPU time the child spends on the row, not the wall
clock, so a row that only ran slow because the machine was loaded gets the label a quiet machine
gives; a row that uses no CPU (blocked) is cut after `WALL_FACTOR` budgets of wall time, time
the child spent waiting for a CPU not counted (a starved row is not a stuck one). A row
over either gets the child's whole process group killed (with the sympy workers it started) and
an abstain from that labeler (rating null, the time spent as its cost) whose evidence starts
with `deadline` and says which bound it hit; the rest of the batch goes to a fresh child. A
child that dies on a row (a crash, or the kernel's OOM killer) is retried once alone in a fresh
child before the row abstains with evidence `died: ...` and the exit status.

The sympy workers a math labeler starts bound each of their calls by their own CPU time (the
child sets `STEPLABEL_DEADLINE_CLOCK=cpu`); their time counts against the row's wall cap.

LLM labelers (judge, rollout) are not hosted: they hold a shared budget ledger, a request cache
and hundreds of requests in flight on one event loop, and a slow answer from an endpoint is a
failure that may pass, which must not be written in as an abstain. Their requests carry their
own deadlines and retries (`pipeline/llm`).
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import import_module
from multiprocessing.connection import Connection
from typing import Any, Optional, Union

from ...verifiers.workers import CLOCK_ENV, WorkerProcess
from ..errors import StopBuild
from .base import Context, Labeler, Labeling, verdict

WALL_FACTOR = 10.0  # a row that uses no CPU (blocked, waiting) is cut after this many budgets of wall time
START_TIMEOUT = 300.0  # a fresh child imports the labeler (and may start a sandbox); slow on a loaded machine
_PARENT_ENV = "STEPLABEL_WATCHDOG_PARENT"
# Children are spawned from this one long-lived thread: the parent-death signal a child sets
# fires when the thread that forked it exits, so a short-lived caller thread must not fork it.
_SPAWNER = ThreadPoolExecutor(1, thread_name_prefix="labeler-host-spawner")


@dataclass
class RowError:
    """The labeler raised on this row (a bug or input it cannot take): the row is quarantined."""

    reason: str


class HostFailure(StopBuild):
    """The labeler's child process cannot be started: an infrastructure failure, not the rows'
    doing, so the build stops cleanly and the rows wait for the next run."""


def class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def load_class(path: str) -> type[Labeler]:
    module, _, name = path.partition(":")
    obj: Any = import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def short_error(exc: BaseException) -> str:
    """`Type: message at file:line` of the innermost frame: a quarantine reason a reader can follow."""
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"[:2000]


@dataclass(frozen=True)
class Hosted:
    """One labeler for a host: its class, the user's options, its per-row budget (CPU seconds)."""

    cls: type[Labeler]
    options: dict[str, Any]
    row_timeout: float


Result = Union[Labeling, RowError]


class LabelerHost:
    """The actor's side: owns the child, sends batches, enforces the per-row deadline.

    One child hosts the labelers of one stage (those that share work in one process, like the
    code labelers' sandbox and test runs); per row they run in order, each under its own budget.
    `label_batch` gives, per labeler, a `Labeling` or a `RowError` per row, and never hangs."""

    def __init__(self, labelers: list[Hosted], context: Optional[Context]) -> None:
        self.labelers, self.context = labelers, context
        self.name = "+".join(h.cls.name for h in labelers)
        self.domains = {d for h in labelers for d in h.cls.domains}
        self.restarts = 0
        self._child: Optional[WorkerProcess] = None
        self._child = self._start()  # eagerly: a labeler that cannot be built fails the stage here

    # --- the child's life --------------------------------------------------------------------

    def _start(self) -> WorkerProcess:
        # inside, the verifiers' own deadlines count CPU time too (labels must not depend on load)
        env = {_PARENT_ENV: str(os.getpid()), CLOCK_ENV: "cpu", **_import_path()}
        try:
            child = _SPAWNER.submit(WorkerProcess, "steplabel.pipeline.labelers.watchdog", True, env).result()
        except OSError as exc:  # no process could be made (fd or process limits): not the rows' doing
            raise HostFailure(f"labeler {self.name}: cannot start a child process: {exc}") from None
        try:
            child.conn.send(([(class_path(h.cls), h.options) for h in self.labelers], self.context))
            if not child.wait_ready(START_TIMEOUT):
                raise HostFailure(f"labeler {self.name}: child process not ready within {START_TIMEOUT:.0f} s")
        except (OSError, EOFError) as exc:
            child.kill()
            raise HostFailure(f"labeler {self.name}: child process failed to start ({_exit_status(child)}: "
                              f"{type(exc).__name__})") from None
        except HostFailure:
            child.kill()
            raise
        kind, payload = child.hello
        if kind != "ready":
            child.kill()
            raise payload  # the labeler's own construction error (e.g. SandboxUnavailable)
        return child

    def _kill(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child = None

    def close(self) -> None:
        if self._child is not None:
            with contextlib.suppress(OSError):
                self._child.conn.send(None)  # the child closes its labelers and exits
            with contextlib.suppress(subprocess.TimeoutExpired):  # one that does not leave is killed
                self._child.proc.wait(timeout=10)
            self._kill()

    # --- labeling ----------------------------------------------------------------------------

    def label_batch(self, rows: list[dict[str, Any]]) -> list[list[Result]]:
        out: list[list[Any]] = [[None] * len(rows) for _ in self.labelers]
        todo = [i for i, r in enumerate(rows) if r.get("domain") in self.domains]
        for i in set(range(len(rows))) - set(todo):
            for per_row in out:
                per_row[i] = Labeling()
        while todo:
            stuck = self._run(rows, todo, out)
            if stuck is None:
                break
            i, j, evidence, ms = stuck
            if evidence.startswith("died"):  # once more alone, in a fresh child: it may not be the row's doing
                again = self._run(rows, [i], out)
                if again is not None:
                    _, j, second, ms2 = again
                    self._abstain_from(out, rows[i], i, j, f"{evidence}; retried alone: {second}", ms + ms2)
            else:
                self._abstain_from(out, rows[i], i, j, evidence, ms)
            todo = todo[todo.index(i) + 1:]
        return out

    def _run(self, rows: list[dict[str, Any]], todo: list[int], out: list[list[Any]]
             ) -> Optional[tuple[int, int, str, float]]:
        """Send rows `todo`, collect answers in order into `out`. At the first labeler that runs
        over its budget on a row, or whose child dies, the child is killed: (row, labeler, evidence,
        ms spent); None when every row was answered."""
        if self._child is None:
            self.restarts += 1
            self._child = self._start()
        child = self._child
        try:
            child.conn.send([rows[i] for i in todo])
        except OSError:  # died between batches: one fresh child gets the batch
            self._kill()
            self.restarts += 1
            child = self._child = self._start()
            try:
                child.conn.send([rows[i] for i in todo])
            except OSError as exc:
                self._kill()
                raise HostFailure(f"labeler {self.name}: a fresh child took no batch ({type(exc).__name__})") from None
        for pos, i in enumerate(todo):
            for j, hosted in enumerate(self.labelers):
                budget, cap = hosted.row_timeout, hosted.row_timeout * WALL_FACTOR
                start = time.monotonic()
                try:
                    readable, why, used = child.wait_reply(budget, cap)
                    reply = child.conn.recv() if readable else None
                except (EOFError, OSError):
                    self._kill()
                    return i, j, f"died: labeler process died ({_exit_status(child)})", _ms(start)
                if reply is None:
                    self._kill()
                    if why == "cpu":
                        evidence = f"deadline: {budget:g} s of CPU time used on this row; labeler process killed"
                    else:
                        evidence = (f"deadline: no result within {cap:g} s of wall-clock time ({used:.2f} s of "
                                    "CPU; waits for a CPU not counted); labeler process killed")
                    return i, j, evidence, _ms(start)
                if reply[:2] != (pos, j):
                    self._kill()
                    raise HostFailure(f"labeler {self.name}: child answered {reply[:2]} where {(pos, j)} was due")
                _, _, kind, payload = reply
                out[j][i] = payload if kind == "ok" else RowError(payload)
        return None

    def _abstain_from(self, out: list[list[Any]], row: dict[str, Any], i: int, j: int, evidence: str,
                      ms: float) -> None:
        """Labeler j abstains on row i with `evidence`; the labelers after it in the same child
        did not run on the row, and abstain saying so."""
        out[j][i] = _abstain(self.labelers[j].cls, row, evidence, ms)
        tag = evidence.split(":", 1)[0]
        for later in range(j + 1, len(self.labelers)):
            out[later][i] = _abstain(self.labelers[later].cls, row, f"{tag}: not run on this row "
                                     f"({self.labelers[j].cls.name}, before it in one process, did not finish)", 0.0)


def _abstain(cls: type[Labeler], row: dict[str, Any], evidence: str, ms: float) -> Labeling:
    """A labeler's abstain on a row: one verdict with rating null on the last step (nothing is
    known about any step), or the chain's outcome evidence when it has no steps."""
    steps = row.get("steps") or []
    if steps:
        return Labeling(verdicts={len(steps) - 1: verdict(cls, None, evidence, ms=ms)})
    return Labeling(outcome={"correct": None, "evidence": f"[{cls.name}] {evidence}"})


def _ms(start: float) -> float:
    return (time.monotonic() - start) * 1e3


def _exit_status(child: WorkerProcess) -> str:
    try:
        code = child.proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        return "exit status unknown"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _import_path() -> dict[str, str]:
    """PYTHONPATH for the child: it must import what this process can (plugins, test labelers)."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    return {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


# --- the child ------------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """SIGKILL this child when the actor that started it dies (Linux), so a stuck row never
    outlives its build; elsewhere the parent's close or kill is the only way out."""
    parent = int(os.environ.get(_PARENT_ENV, "0"))
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if parent and os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(0)


def serve(fd: int) -> None:
    """`python -m steplabel.pipeline.labelers.watchdog FD`: build the labelers, label batches."""
    _die_with_parent()
    conn = Connection(fd)
    labelers: list[Labeler] = []
    try:
        specs, context = conn.recv()
        try:
            for path, options in specs:
                labelers.append(load_class(path)(context, **options))
        except Exception as exc:  # sent to the parent, which raises it where the stage is built
            conn.send(("init_error", _portable(exc)))
            return
        conn.send(("ready", None))
        while (batch := conn.recv()) is not None:
            for k, row in enumerate(batch):
                for j, labeler in enumerate(labelers):
                    try:
                        reply = (k, j, "ok", labeler.label_batch([row])[0])
                    except Exception as exc:  # the row is quarantined with this reason
                        reply = (k, j, "error", short_error(exc))
                    try:
                        conn.send(reply)
                    except (pickle.PicklingError, TypeError, AttributeError) as exc:
                        conn.send((k, j, "error", f"labeling cannot be sent: {exc}"))
    except (EOFError, OSError):  # the parent is gone: leave quietly
        return
    finally:
        for labeler in labelers:
            labeler.close()


def _portable(exc: Exception) -> Exception:
    """The exception itself when it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any pickling failure: send the text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    serve(int(sys.argv[1]))
