"""stdin/stdout verdicts through the real sandbox, on a quiet machine and beside CPU spinners.

    python tests/benchmarks/bench_code_stdio.py [--spinners 2] [--only ID ...]

Every program of tests/data/code_stdio_problems.jsonl (problems of our own writing: correct
programs, variants, slow correct ones calibrated to a share of the CPU limit, planted bugs) goes
through `run_tests` with its problem's CPU limit per case. The verdict is the status of the first
case that did not pass and that case's number (or passed); it must equal the one the data states,
which the data's builder got from a judge of its own. Slow correct programs are also run alone on
their problem's heavy case to measure the share of the limit they use in the sandbox (their own
CPU seconds, reported by a line appended to the program, and the whole sandbox tree's). The build
calibrated the slow ones on its machine; each is timed again here just before it is judged, outside
the sandbox by the builder's own judge, and its limit grows by how much slower this machine runs it
today (`Pace`; the factors are in the figures).

With --spinners N the whole set runs a second time beside N CPU-bound processes (`yes` into
/dev/null, started here and killed by pid at the end): CPU-second limits should make every
verdict identical. Prints JSON figures per pass; exit status 0 only when every verdict of every
pass is right and the passes agree.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script

from steplabel.verifiers.code import Sandbox, run_tests  # noqa: E402
from tests.support.sandbox import tree_cpu  # noqa: E402
from tests.support.stdio_set import expected, load_problems, verdict  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "tools"))
from build_code_stdio_problems import execute, startup_cpu  # noqa: E402  (the data builder's own judge)


class Pace:
    """How much more CPU time this machine needs now than the one that built the data: the
    builder put each slow correct program at a share of its problem's limit (`build_cpu_share`).
    The same program is timed again here, outside the sandbox by the builder's own judge, just
    before the sandbox judges it, and its limit grows by the factor (never shrinks): the program
    stays as near its limit as the build put it, whatever the machine's speed is today (a VM's
    CPU can run twice as slow from one hour to the next). Every other program keeps its limit."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.base = startup_cpu(workdir)
        self.factors: dict[str, float] = {}

    def limit(self, prob: dict, prog: dict) -> float:
        share, heavy = prog.get("build_cpu_share"), prob.get("heavy_case")
        if prog["kind"] != "slow_correct" or not share or not heavy:
            return prob["cpu_limit"]
        path = self.workdir / f"{prob['id']}.{prog['name']}.py"
        path.write_text(prog["program"])
        case = json.loads(prob["tests"])["cases"][heavy - 1]
        cpu = execute(str(path), case["input"], 3 * prob["cpu_limit"])[2] - self.base
        factor = max(1.0, cpu / (share * prob["cpu_limit"]))
        self.factors[f"{prob['id']}/{prog['name']}"] = round(factor, 2)
        return round(prob["cpu_limit"] * factor, 2)


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_pass(problems: list[dict], label: str, pace: Pace) -> tuple[dict, dict]:
    """Judge every program once in a fresh sandbox; (figures, {(problem, program): verdict})."""
    sb = Sandbox().start()
    verdicts: dict[tuple[str, str], tuple] = {}
    wrong, statuses, kinds_right, kinds_all = [], Counter(), Counter(), Counter()
    cpu_by_kind: dict[str, list[float]] = {}
    backstops, infra, cases_run = 0, 0, 0
    load0, w0, c0, s0 = os.getloadavg(), time.monotonic(), self_cpu(), tree_cpu(sb.server_pid)
    for n, prob in enumerate(problems, 1):
        for prog in prob["programs"]:
            limit = pace.limit(prob, prog)
            before = tree_cpu(sb.server_pid)
            report = run_tests(sb, prog["program"], prob["tests"], timeout=limit)
            cpu = tree_cpu(sb.server_pid) - before
            got = verdict(report)
            verdicts[(prob["id"], prog["name"])] = got[:2]
            ran = sum(1 for r in report.results if r.status != "skipped")
            cases_run += ran
            cpu_by_kind.setdefault(prog["kind"], []).append(cpu / max(1, ran))
            statuses[got[0]] += 1
            kinds_all[prog["kind"]] += 1
            backstops += sum(1 for r in report.results if "wall-clock backstop" in r.message)
            infra += sum(1 for r in report.results if r.infra)
            if got[:2] == expected(prog):
                kinds_right[prog["kind"]] += 1
            else:
                wrong.append({"problem": prob["id"], "program": prog["name"], "kind": prog["kind"],
                              "expected": list(expected(prog)), "got": list(got[:2]), "message": got[2][:300]})
                print(f"[{label}] WRONG {prob['id']}/{prog['name']}: expected {expected(prog)}, got {got}",
                      file=sys.stderr, flush=True)
        if n % 10 == 0:
            print(f"[{label}] {n}/{len(problems)} problems, {len(wrong)} wrong, load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr, flush=True)
    shares = slow_shares(sb, problems)
    figures = {
        "problems": len(problems),
        "programs": sum(kinds_all.values()),
        "verdicts_right": sum(kinds_right.values()),
        "wrong_verdicts": wrong,
        "verdicts_by_status": dict(sorted(statuses.items())),
        "right_by_kind": {k: f"{kinds_right[k]}/{n}" for k, n in sorted(kinds_all.items())},
        "cases_run": cases_run,
        "sandbox_cpu_s": round(tree_cpu(sb.server_pid) - s0, 1),
        "harness_cpu_s": round(self_cpu() - c0, 1),
        "cpu_ms_per_case_by_kind": {k: round(1000 * statistics.mean(v), 1) for k, v in sorted(cpu_by_kind.items())},
        "wall_s": round(time.monotonic() - w0, 1),
        "load_avg_1m_start_end": [round(load0[0], 1), round(os.getloadavg()[0], 1)],
        "wall_clock_backstop_timeouts": backstops,
        "sandbox_infra_failures": infra,
        "sandbox_restarts": sb.restarts,
        "slow_correct_share_of_limit": shares,
        "slow_correct_limit_factor_today": dict(pace.factors),
    }
    pace.factors.clear()
    sb.close()
    return figures, verdicts


# Appended to a slow correct program when its share is measured: its own CPU seconds, on stderr
# (which the comparison ignores), as the limit counts them: the program's process, all threads.
REPORT_CPU = "\nimport sys as _s, time as _t\n_s.stderr.write(f'\\n@cpu {_t.process_time()}\\n')\n"


def slow_shares(sb: Sandbox, problems: list[dict]) -> dict:
    """Each slow correct program alone on its problem's heavy case: its own CPU seconds over the
    CPU limit, and the whole sandbox tree's (tester, server, program) over the same limit."""
    own, tree, build = {}, {}, {}
    for prob in problems:
        heavy = prob.get("heavy_case")
        for prog in prob["programs"]:
            if prog["kind"] != "slow_correct" or heavy is None:
                continue
            case = json.loads(prob["tests"])["cases"][heavy - 1]
            before = tree_cpu(sb.server_pid)
            (result,) = sb.run_io(prog["program"] + REPORT_CPU, [case], timeout=prob["cpu_limit"],
                                  float_tolerance=prob["float_tolerance"])
            after = tree_cpu(sb.server_pid)
            build[prob["id"]] = prog.get("build_cpu_share")
            if not result.passed:
                own[prob["id"]] = tree[prob["id"]] = f"{result.status}: {result.message[:80]}"
                continue
            cpu = [float(line.split()[1]) for line in result.output.splitlines() if line.startswith("@cpu ")]
            own[prob["id"]] = round(cpu[-1] / prob["cpu_limit"], 2) if cpu else "no report"
            tree[prob["id"]] = round((after - before) / prob["cpu_limit"], 2)

    def spread(values: dict) -> Optional[list]:
        numeric = [v for v in values.values() if isinstance(v, float)]
        return [min(numeric), statistics.median(numeric), max(numeric)] if numeric else None
    return {"program_cpu": own, "program_cpu_min_median_max": spread(own),
            "sandbox_tree_cpu_min_median_max": spread(tree), "at_build": build}


def start_spinners(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(n)]


def stop(spinners: list[subprocess.Popen]) -> None:
    for p in spinners:
        p.kill()  # by pid: only the processes this benchmark started
        p.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spinners", type=int, default=0, help="run the set again beside N CPU spinners")
    ap.add_argument("--only", nargs="*", default=[], help="problem ids")
    args = ap.parse_args()
    problems = [p for p in load_problems() if not args.only or p["id"] in args.only]
    out: dict = {"python": sys.version.split()[0], "cores": os.cpu_count()}
    with Sandbox() as sb:
        out["isolation"] = sb.isolation_tag
    workdir = Path(tempfile.mkdtemp(prefix="stdio-pace-"))
    pace = Pace(workdir)
    out["interpreter_startup_cpu_s"] = round(pace.base, 3)
    quiet, quiet_verdicts = run_pass(problems, "quiet", pace)
    out["quiet"] = quiet
    ok = not quiet["wrong_verdicts"]
    if args.spinners:
        spinners = start_spinners(args.spinners)
        try:
            loaded, loaded_verdicts = run_pass(problems, f"{args.spinners} spinners", pace)
            loaded["spinners"] = args.spinners
            loaded["spinner_cpu_s"] = round(sum(tree_cpu(p.pid) for p in spinners), 1)
        finally:
            stop(spinners)
        differ = [{"problem": k[0], "program": k[1], "quiet": list(v), "spinners": list(loaded_verdicts.get(k, ()))}
                  for k, v in quiet_verdicts.items() if loaded_verdicts.get(k) != v]
        loaded["differ_from_quiet"] = differ
        out["with_spinners"] = loaded
        out["identical_with_spinners"] = not differ
        ok = ok and not loaded["wrong_verdicts"] and not differ
    out["ok"] = ok
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(out, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
