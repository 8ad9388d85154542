"""stdin/stdout cases in the test process: each case runs the program as a script in a fresh
program process, and its stdout is compared here, token by token. Stdlib only (runs in the
sandbox)."""
from __future__ import annotations

import marshal
import os
import time
from typing import Any, Optional

from steplabel_inside import frames, wire
from steplabel_inside.calls import TEST_FILE, failure, program_exception
from steplabel_inside.link import Budget, Incident, describe_status
from steplabel_inside.program import WARDEN


def compare_output(actual: bytes, expected: bytes, tolerance: Optional[float],
                   case_insensitive: bool = False) -> Optional[str]:
    """None when the outputs agree token by token after whitespace normalisation (ASCII
    whitespace, as judges split; letters ignoring case when asked; numbers written with a decimal
    point or an exponent within `tolerance`, absolute or relative to the expected value, when one
    is given: integers always compare exactly); else where they differ."""
    got, want = actual.split(), expected.split()
    if case_insensitive:
        got, want = [g.lower() for g in got], [w.lower() for w in want]
    if got == want:
        return None
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w and not (tolerance is not None and _close(g, w, tolerance)):
            return f"token {i + 1}: expected {_show(w)}, got {_show(g)}"
    if len(got) != len(want):
        extra = f"; first extra token {_show(got[len(want)])}" if len(got) > len(want) else ""
        return f"{len(got)} tokens, expected {len(want)}{extra}"
    return None


def _show(token: bytes) -> str:
    return repr(token[:60].decode("utf-8", "replace"))


def _close(got: bytes, want: bytes, tolerance: float) -> bool:
    if not any(c in token for token in (got, want) for c in b".eE"):
        return False  # two integers: exact, however large
    try:
        g, w = float(got), float(want)
    except ValueError:
        return False
    if g != g or w != w or abs(w) == float("inf"):
        return False
    return abs(g - w) <= tolerance * max(1.0, abs(w))


def run_case(tester: Any, case: dict, tolerance: Optional[float]) -> dict:
    """One stdin/stdout case in a fresh program process; the verdict formed here."""
    try:
        program = tester.program()
    except Incident as exc:
        return {"status": exc.status, "message": exc.message, "infra": exc.infra}
    budget = tester.budget = Budget(tester, program, own=False)
    program.send(WARDEN)
    program.send(marshal.dumps(("io", None, tester.program_limits, tester.prelude, tester.compiled,
                                tester.processor)))
    data = str(case.get("input", "")).encode("utf-8")
    os.set_blocking(program.stdin, False)
    flooded = False
    while program.alive or program.open_streams:
        writable = (program.stdin,) if program.stdin >= 0 else ()
        replies = [] if program.replies.closed or flooded else [program.reply]  # (at its end it reads as ready: no spin)
        ready = tester.wait([*program.open_streams, *replies], writable)
        if program.stdin >= 0 and program.stdin in ready:
            try:
                data = data[os.write(program.stdin, data[:1 << 16]):] if data else data
            except OSError:  # the program closed its stdin or ended
                data = b""
            if not data:
                program.close_stdin()
        program.drain(ready)
        if program.reply in ready and not flooded:
            try:
                program.replies.feed()
            except (OSError, frames.FrameTooLarge):  # more than a report: the program wrote it
                flooded = True
                program.kill("the program wrote more than a report into its reply pipe")
        if program.alive and budget.due():
            why = budget.over()
            if why is not None:
                program.kill(why)
        if not program.alive and program.open_streams and not ready:
            program.drain(list(program.open_streams))
    try:
        program.replies.feed()  # an uncaught exception's report, if the program sent one
        frame = None if flooded else program.replies.pop()
    except (OSError, frames.FrameTooLarge):
        frame = None
    program.close()
    if flooded:
        return {"status": "error", "message": "runtime error: the program wrote into the harness's reply pipe",
                "output": bytes(program.output[:2000]).decode("utf-8", "replace"), "truncated": False}
    output = bytes(program.output)
    shown = {"output": (output[:2000] + bytes(program.errors[-2000:])).decode("utf-8", "replace"),
             "truncated": len(output) > tester.output_cap}
    if shown["truncated"]:
        return {"status": "failed", "message": f"wrong answer: output over {tester.output_cap} bytes", **shown}
    if program.killed_for:
        return {"status": "timeout", "message": program.killed_for, **shown}
    if program.cpu() > tester.cpu_limit:
        return {"status": "timeout", "message": f"CPU time limit of {tester.cpu_limit:g} s exceeded", **shown}
    status = program.exit_status
    if status is None or os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0:
        report = {"status": "error", "message": f"runtime error ({describe_status(status)})"}
        try:
            info = wire.loads(frame).get("e") if frame else None
        except (wire.WireError, AttributeError):
            info = None
        if isinstance(info, dict):
            report = failure(program_exception(info), "error")
            report["message"] = f"runtime error ({describe_status(status)}): {report['message']}"
            report["frames"] = [f for f in report["frames"] if f[0] != TEST_FILE]
        return {**report, **shown}
    why = compare_output(output, str(case.get("output", "")).encode("utf-8"), tolerance,
                         bool(tester.job.get("case_insensitive")))
    if why is not None:
        return {"status": "failed", "message": f"wrong answer: {why}", **shown}
    return {"status": "passed", "message": "", **shown}


def run_io(tester: Any) -> None:
    """stdin/stdout cases, each in a fresh program process; the first failure ends the run."""
    job = tester.job
    cases, tolerance = job["cases"], job.get("float_tolerance")
    for i, case in enumerate(cases):
        start = time.monotonic()
        result = run_case(tester, case, tolerance)
        result.update(name=f"case {i + 1}", duration=round(time.monotonic() - start, 6))
        tester.report(result)
        if result["status"] != "passed":
            for j in range(i + 1, len(cases)):
                tester.report({"name": f"case {j + 1}", "status": "skipped",
                               "message": f"not run: case {i + 1} did not pass"})
            return
