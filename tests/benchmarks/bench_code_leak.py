"""10,000 isolated runs in one sandbox, 1,000 of their programs hostile to the next run; nothing may
leak from one run into another, and no process may be left behind.

    python tests/benchmarks/bench_code_leak.py [--runs 10000]

Every tenth run is hostile: it spawns stray processes, or creates the next runs' directory names,
fills /tmp, leaves files and a fifo, takes the permissions of its cwd and /tmp away, or leaves a
SysV shared-memory segment. The program of the run right after each one must pass a check that
its cwd and /tmp are empty and no segment is visible; every other run is a plain correct program.
Counts, before and after: our process tree (every sandbox process descends from us), all host
processes running as the sandbox uid 65534, and files in the host's /tmp. Prints JSON; exits
non-zero on any leak, failure or restart.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from steplabel.verifiers.code import Limits, Sandbox

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.support, when run as a script
from tests.support.sandbox import leftovers  # noqa: E402

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
HOSTILE = [
    "import os\nfor n in range(1, 300):\n    os.makedirs(f'/tmp/run-{n}', exist_ok=True)\n"
    "    os.makedirs(f'run-{n}', exist_ok=True)\n",
    "try:\n    with open('/tmp/fill', 'wb') as f:\n        while True:\n            f.write(b'x' * 2**20)\n"
    "except OSError:\n    pass\n",
    "import os\nopen('/tmp/left', 'w').write('x')\nopen('left', 'w').write('x')\nos.mkfifo('/tmp/fifo')\n",
    "import os\nos.makedirs('deep/er', exist_ok=True)\nos.chmod('deep', 0)\nos.chmod('.', 0)\n"
    "os.chmod('/tmp', 0)\n",
    "import ctypes\nassert ctypes.CDLL(None).shmget(0x5eed, 1 << 20, 0o1666) >= 0\n",
]
CLEAN = ("import os\nassert os.listdir('.') == [] and os.listdir('/tmp') == []\n"
         "assert open('/proc/sysvipc/shm').read().count('\\n') <= 1\n"
         "open('/tmp/ok', 'w').write('x' * 2**20)\n")
PLAIN = "assert sorted([3, 1, 2]) == [1, 2, 3]\n"
HOSTILE_KINDS = STRAYS + HOSTILE


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
    return {"our_tree": len(tree), "uid_65534": sum(1 for _, u in procs.values() if u == 65534),
            "host_tmp_entries": len(os.listdir("/tmp"))}


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
    args = ap.parse_args()
    before = counts()
    sb = Sandbox(limits=Limits(timeout=2.0, tmp_mb=16)).start()
    statuses: dict[str, int] = {}
    stray_runs = clean_checks = clean_failed = 0
    start = time.perf_counter()
    for i in range(args.runs):
        if i % 10 == 0:
            code = HOSTILE_KINDS[(i // 10) % len(HOSTILE_KINDS)]
            stray_runs += 1
        else:
            code = CLEAN if i % 10 == 1 else PLAIN
        (r,) = sb.run(code, [{"name": f"t{i}", "code": "pass"}])  # the code under test is the program
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if code is CLEAN:
            clean_checks += 1
            clean_failed += not r.passed
    done = args.runs
    elapsed = time.perf_counter() - start
    beyond = leftovers(sb)  # what is there beyond bwrap, the server, the zygote, the test process, programs waiting
    during = counts()
    # (the host's /tmp is shared with other programs on this machine: its count may move on its own)
    sb.close()
    after = settle(before)
    figures = {
        "runs": done, "hostile_runs": stray_runs, "clean_checks_after_hostile": clean_checks,
        "clean_checks_failed": clean_failed, "statuses": statuses,
        "seconds": round(elapsed, 1), "runs_per_s": round(done / elapsed, 1),
        "before": before, "while_open_idle": during, "while_open_beyond_idle": beyond, "after_close": after,
        "left_behind": {k: after[k] - before[k] for k in before},
        "restarts": sb.restarts,
    }
    print(json.dumps(figures, indent=2))
    same = after["our_tree"] == before["our_tree"] and not beyond  # uid 65534 and /tmp: other sandboxes on a shared host move them
    sys.exit(0 if same and statuses.get("passed") == done and not clean_failed and sb.restarts == 0 else 1)


if __name__ == "__main__":
    main()
