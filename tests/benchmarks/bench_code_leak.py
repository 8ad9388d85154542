"""10,000 isolated test runs, many of them spawning stray processes; no process may be left behind.

    python tests/benchmarks/bench_code_leak.py [--runs 10000]

Counts, before and after: our process tree (every sandbox process descends from us, since the
fork server is the init of its pid namespace), and all host processes running as the sandbox uid
65534. Prints JSON; exits non-zero on a leak.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from steplabel.verifiers.code import Limits, Sandbox

STRAYS = [
    # a daemonised grandchild in its own session
    "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
    "        time.sleep(600)\n    os._exit(0)\n",
    # a subprocess left running
    "import subprocess\nsubprocess.Popen(['sleep', '600'])\n",
    # a shell background job
    "import os\nos.system('sleep 600 &')\n",
    # a thread that never ends, and a child that ignores SIGTERM
    "import threading, time, os, signal\nthreading.Thread(target=time.sleep, args=(600,), daemon=False).start()\n"
    "if os.fork() == 0:\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    time.sleep(600)\n",
]
PLAIN = "assert sorted([3, 1, 2]) == [1, 2, 3]\n"


def processes() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, uid) for every host process."""
    out = {}
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            uid = int(next(l for l in Path(f"/proc/{p}/status").read_text().splitlines()
                           if l.startswith("Uid:")).split()[1])
        except (OSError, StopIteration):
            continue
        out[int(p)] = (int(stat.rsplit(")", 1)[1].split()[1]), uid)
    return out


def counts() -> dict[str, int]:
    procs = processes()
    tree, todo = set(), [os.getpid()]
    while todo:
        q = todo.pop()
        tree.add(q)
        todo += [c for c, (pp, _) in procs.items() if pp == q]
    return {"our_tree": len(tree), "uid_65534": sum(1 for _, u in procs.values() if u == 65534)}


def settle(target: dict[str, int], wait: float = 5.0) -> dict[str, int]:
    deadline = time.monotonic() + wait
    now = counts()
    while now != target and time.monotonic() < deadline:
        time.sleep(0.05)
        now = counts()
    return now


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=100)
    args = ap.parse_args()
    before = counts()
    sb = Sandbox(limits=Limits(timeout=2.0)).start()
    statuses: dict[str, int] = {}
    stray_runs = 0
    start = time.perf_counter()
    done = 0
    while done < args.runs:
        n = min(args.batch, args.runs - done)
        tests = []
        for i in range(done, done + n):
            code = STRAYS[(i // 10) % len(STRAYS)] if i % 10 == 0 else PLAIN
            stray_runs += code is not PLAIN
            tests.append({"name": f"t{i}", "code": code})
        for r in sb.run("", tests):
            statuses[r.status] = statuses.get(r.status, 0) + 1
        done += n
    elapsed = time.perf_counter() - start
    during = settle({**before, "our_tree": before["our_tree"] + 3, "uid_65534": before["uid_65534"] + 2})
    sb.close()
    after = settle(before)
    figures = {
        "runs": done, "runs_spawning_strays": stray_runs, "statuses": statuses,
        "seconds": round(elapsed, 1), "runs_per_s": round(done / elapsed, 1),
        "before": before, "while_open_idle": during, "after_close": after,
        "left_behind": {k: after[k] - before[k] for k in before},
        "restarts": sb.restarts,
    }
    print(json.dumps(figures, indent=2))
    sys.exit(0 if after == before and statuses.get("passed") == done else 1)


if __name__ == "__main__":
    main()
