"""Build tests/data/code_stdio_problems.jsonl from the problems in tests/tools/stdio_problems/.

    python tests/tools/build_code_stdio_problems.py [--only ID ...] [--update] [--check]

For every problem: the inputs are the hand-checked samples and the seeded generator's; the
expected outputs are the samples' own and, for generated inputs, the correct program's. Then
every program is judged here, outside the project's sandbox, by a judge of this script's own
(`python -I file.py < input` with CPU and address-space rlimits, CPU seconds from the kernel's
accounting), and the build stops unless each gets the status its author stated:
  - the correct, variant and slow correct programs pass every case; the correct one stays under
    a third of the CPU limit on every case, and agrees with every sample;
  - a planted bug's first case that does not pass gives its stated status;
  - a problem with slow correct programs gets the CPU limit (in tenths of a second) that puts the
    slowest of them at SLOW_TARGET of it on the problem's heavy case (median of three runs, minus
    the interpreter's start-up; the problem's own cpu_limit is only a cap then), and a too-slow
    program is still running at 3x the limit.
The calibration is of the machine that builds: rebuild on another one before trusting the shares.
`--only` builds the named problems and writes nothing, unless `--update` replaces just their rows
in the stored file. `--check` rebuilds in memory and reports whether the stored file has the same
cases and programs (calibration figures aside).
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from stdio_problems import Problem, Program  # noqa: E402

TOPICS = ["basics", "strings", "numbers", "greedy", "structures", "graphs", "dp", "floats", "habits"]
OUT = HERE.parent / "data" / "code_stdio_problems.jsonl"
MEMORY = 1024 << 20  # the sandbox's default address-space limit, so memory hogs fail alike
SLOW_TARGET = 0.4  # a slow correct program's share of its problem's CPU limit, at build time (room for
# the 1.5-2x that the same work costs in CPU seconds from one run to another on a busy machine)
CORRECT_SHARE = 1 / 3
OVER = 3.0


@dataclass
class Run:
    status: str  # passed / failed / error / timeout (for a run with no expected output: ran / ...)
    stdout: str
    cpu: float
    why: str = ""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def execute(path: str, data: str, limit: float) -> tuple[Optional[int], str, float, str]:
    """(exit status or None when killed for time, stdout, CPU seconds, stderr tail)."""
    soft = math.ceil(limit) + 1

    def confine() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        os.setsid()

    before = _children_cpu()
    proc = subprocess.Popen([sys.executable, "-I", "-X", "utf8", path], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=confine)
    try:
        out, err = proc.communicate(data.encode(), timeout=20 * soft + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    cpu = _children_cpu() - before
    code = proc.returncode
    if cpu > limit or code in (-signal.SIGXCPU, -signal.SIGKILL):
        return None, out.decode("utf-8", "replace"), cpu, ""
    return code, out.decode("utf-8", "replace"), cpu, err.decode("utf-8", "replace")[-300:]


def same_output(got: str, want: str, tolerance: Optional[float]) -> bool:
    """Token by token after splitting on whitespace; numbers within `tolerance` (absolute, or
    relative to the expected value) when one is given."""
    a, b = got.split(), want.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x == y:
            continue
        if tolerance is None:
            return False
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not (math.isfinite(fx) and math.isfinite(fy)):
            return False
        if abs(fx - fy) > tolerance * max(1.0, abs(fy)):
            return False
    return True


def judge_case(path: str, data: str, want: str, limit: float, tolerance: Optional[float]) -> Run:
    code, out, cpu, err = execute(path, data, limit)
    if code is None:
        return Run("timeout", out, cpu)
    if code != 0:
        return Run("error", out, cpu, err.strip().splitlines()[-1] if err.strip() else f"exit {code}")
    if not same_output(out, want, tolerance):
        return Run("failed", out, cpu, f"output {out[:60]!r}, expected {want[:60]!r}")
    return Run("passed", out, cpu)


def startup_cpu(tmp: Path) -> float:
    path = tmp / "empty.py"
    path.write_text("pass\n")
    return statistics.median(execute(str(path), "", 5.0)[2] for _ in range(5))


def load_problems(only: list[str]) -> list[tuple[str, Problem]]:
    out = []
    for topic in TOPICS:
        for p in importlib.import_module(f"stdio_problems.{topic}").PROBLEMS:
            if not only or p.id in only:
                out.append((topic, p))
    ids = [p.id for _, p in out]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate problem ids: {sorted(dupes)}")
    return out


class BuildError(Exception):
    pass


def names(programs: list[Program]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for prog in programs:
        seen[prog.kind] = seen.get(prog.kind, 0) + 1
        out.append(prog.kind if seen[prog.kind] == 1 else f"{prog.kind}-{seen[prog.kind]}")
    return out


def expected_outputs(p: Problem, inputs: list[str], path: Path) -> tuple[list[str], float]:
    """The correct program's outputs (the samples' own where given) and its largest CPU time."""
    outputs, most = [], 0.0
    for i, data in enumerate(inputs):
        code, out, cpu, err = execute(str(path), data, p.cpu_limit)
        if code != 0:
            raise BuildError(f"{p.id}: the correct program fails on case {i + 1} ({code}, cpu {cpu:.2f}) {err}")
        most = max(most, cpu)
        if i < len(p.samples):
            if not same_output(out, p.samples[i][1], p.float_tolerance):
                raise BuildError(f"{p.id}: sample {i + 1}: the correct program prints {out!r}, "
                                 f"the sample says {p.samples[i][1]!r}")
            out = p.samples[i][1]
        if not out.strip():
            raise BuildError(f"{p.id}: case {i + 1} has an empty expected output")
        outputs.append(out)
    return outputs, most


def calibrate(p: Problem, heavy: str, paths: list[Path], base_cpu: float) -> tuple[float, list[float]]:
    """The CPU limit that puts the slowest slow correct program at SLOW_TARGET of it on the heavy
    case (median of three runs), and each one's CPU seconds there."""
    cpus = [statistics.median(execute(str(path), heavy, p.cpu_limit)[2] for _ in range(3)) - base_cpu
            for path in paths]
    limit = max(0.2, math.ceil(max(cpus) / SLOW_TARGET * 10) / 10)
    if limit > p.cpu_limit:
        raise BuildError(f"{p.id}: the slow correct programs need {max(cpus):.2f} s on the heavy case, "
                         f"more than {SLOW_TARGET:.0%} of the cap of {p.cpu_limit} s")
    return limit, cpus


def build(topic: str, p: Problem, tmp: Path, base_cpu: float) -> dict:
    inputs = [i for i, _ in p.samples] + p.generate(random.Random(p.id))
    if len(set(inputs)) != len(inputs):
        raise BuildError(f"{p.id}: two cases have the same input")
    correct = tmp / f"{p.id}.correct.py"
    correct.write_text(p.correct)
    outputs, correct_cpu = expected_outputs(p, inputs, correct)
    cases = [{"input": i, "output": o} for i, o in zip(inputs, outputs)]
    named = list(zip(names(p.programs), p.programs))
    for name, prog in named:
        (tmp / f"{p.id}.{name}.py").write_text(prog.source)
    slow = [(name, prog) for name, prog in named if prog.kind == "slow_correct"]
    limit, slow_cpu = p.cpu_limit, []
    if slow:
        if p.heavy_case is None:
            raise BuildError(f"{p.id}: a slow correct program needs the problem's heavy_case")
        limit, slow_cpu = calibrate(p, inputs[p.heavy_case], [tmp / f"{p.id}.{n}.py" for n, _ in slow], base_cpu)
    if correct_cpu - base_cpu > CORRECT_SHARE * limit:
        raise BuildError(f"{p.id}: the correct program takes {correct_cpu - base_cpu:.2f} s (limit {limit})")
    rows = [{"name": "correct", "kind": "correct", "expected": "passed", "first_bad_case": None,
             "program": p.correct, "note": ""}]
    for name, prog in named:
        path = tmp / f"{p.id}.{name}.py"
        bad, run = None, None
        for i, case in enumerate(cases):
            run = judge_case(str(path), case["input"], case["output"], limit, p.float_tolerance)
            if run.status != "passed":
                bad = i
                break
        status = run.status if bad is not None else "passed"
        if status != prog.expected:
            raise BuildError(f"{p.id}/{name}: expected {prog.expected}, the judge says {status} on case "
                             f"{None if bad is None else bad + 1} ({run.why if run else ''})")
        row = {"name": name, "kind": prog.kind, "expected": prog.expected,
               "first_bad_case": None if bad is None else bad + 1, "program": prog.source, "note": prog.note}
        if prog.kind == "slow_correct":
            row["build_cpu_share"] = round(slow_cpu[[n for n, _ in slow].index(name)] / limit, 2)
        if prog.kind == "too_slow":
            code, _, cpu, _ = execute(str(path), cases[bad]["input"], OVER * limit)
            if code is not None:
                raise BuildError(f"{p.id}/{name}: finishes within {OVER}x the limit ({cpu:.2f} s)")
        rows.append(row)
    return {"id": p.id, "topic": topic, "title": p.title, "statement": p.statement, "cpu_limit": limit,
            "float_tolerance": p.float_tolerance, "heavy_case": None if p.heavy_case is None else p.heavy_case + 1,
            "tests": json.dumps({"format": "stdio", "cases": cases, "float_tolerance": p.float_tolerance}),
            "programs": rows}


def comparable(row: dict) -> dict:
    """A row without what calibration measures on the building machine."""
    return {**{k: v for k, v in row.items() if k not in ("cpu_limit", "programs")},
            "programs": [{k: v for k, v in q.items() if k != "build_cpu_share"} for q in row.get("programs", [])]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--update", action="store_true", help="with --only: replace those rows in the stored file")
    ap.add_argument("--check", action="store_true", help="compare with the stored file, write nothing")
    args = ap.parse_args()
    problems = load_problems(args.only)
    built, errors = [], []
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = startup_cpu(tmp)
        for topic, p in problems:
            try:
                built.append(build(topic, p, tmp, base))
            except BuildError as exc:
                errors.append(str(exc))
                print("ERROR", exc, file=sys.stderr, flush=True)
                continue
            shares = [q["build_cpu_share"] for q in built[-1]["programs"] if "build_cpu_share" in q]
            print(f"ok {p.id}: {len(json.loads(built[-1]['tests'])['cases'])} cases, "
                  f"{len(built[-1]['programs'])} programs" + (f", slow share {shares}" if shares else ""),
                  file=sys.stderr, flush=True)
    print(f"{len(built)} problems built, {len(errors)} errors, {time.monotonic() - t0:.0f} s; "
          f"load {os.getloadavg()}", file=sys.stderr)
    if errors:
        return 1
    if args.check:
        stored = {r["id"]: r for r in map(json.loads, OUT.read_text().splitlines())}
        differ = [r["id"] for r in built if comparable(r) != comparable(stored.get(r["id"], {}))]
        print(json.dumps({"checked": len(built), "differ": differ}))
        return 1 if differ else 0
    if args.only and not args.update:
        print("--only builds nothing to disk; checked:", [r["id"] for r in built])
        return 0
    if args.only:
        fresh = {r["id"]: r for r in built}
        order = [p.id for _, p in load_problems([])]
        stored = {r["id"]: r for r in map(json.loads, OUT.read_text().splitlines())}
        built = [fresh.get(i) or stored[i] for i in order if i in fresh or i in stored]
    OUT.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in built))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
