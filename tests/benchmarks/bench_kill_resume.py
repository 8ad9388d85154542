"""Kill -9 the build's driver at random moments, re-run, and compare with an uninterrupted build.

An uninterrupted build first (its wall time bounds the kill moments), then the same config into a
second OUT: started and SIGKILLed (with its whole process group) at `--kills` random moments, then
run to the end. Prints JSON: the kill moments, shards done at each kill, and whether the final rows
equal the uninterrupted ones (labels, status, reasons), with no duplicate chain and no temp file.

    python tests/benchmarks/bench_kill_resume.py [--kills 5] [--repeat 12] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from steplabel.pipeline.store import read_chains, read_manifest

ROOT = Path(__file__).resolve().parents[2]


def _config(folder: Path, out: Path, repeat: int, shard_size: int) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "sample.yaml").read_text())
    config["input"]["repeat"] = repeat
    config["labelers"] = [{"name": "outcome"}, {"name": "math_steps"}]
    config["merge"]["order"] = ["math_steps", "outcome"]
    config["run"].update(out=str(out), shard_size=shard_size)
    path = folder / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _start(config: Path) -> subprocess.Popen:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    return subprocess.Popen([sys.executable, "-m", "steplabel.pipeline.cli", "build", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)


def _rows(out: Path) -> tuple[dict, int]:
    rows = read_chains(out).to_pylist() + read_chains(out, quarantine=True).to_pylist()
    labels = {r["chain_id"]: (r["status"], r["status_reason"], r["first_error"],
                              [(s["rating"], s["decided_by"]) for s in r["steps"]]) for r in rows}
    return labels, len(rows)


def _done(out: Path) -> int:
    manifest = read_manifest(out) if (out / "manifest.json").exists() else None
    return sum(1 for e in ((manifest or {}).get("shards") or {}).values() if e.get("status") == "done")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=12)
    parser.add_argument("--shard-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="steplabel-kill-"))
    clean_cfg = _config(folder, folder / "clean", args.repeat, args.shard_size)
    killed_cfg = _config(folder, folder / "killed", args.repeat, args.shard_size)

    t = time.perf_counter()
    assert _start(clean_cfg).wait() == 0, "the uninterrupted build failed"
    clean_seconds = time.perf_counter() - t

    rng = random.Random(args.seed)
    total = read_manifest(folder / "clean")["shards_total"]
    kills = []
    for i in range(args.kills):
        # a random moment while there is work left: after a random share of the remaining shards
        # (none: during start-up), plus a random part of a shard's time
        done = _done(folder / "killed")
        target = done + rng.randint(0, max(0, (total - done) // (args.kills - i + 1)))
        proc = _start(killed_cfg)
        started = time.perf_counter()
        while _done(folder / "killed") < target and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        finished = proc.poll() is not None
        if not finished:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        manifest = read_manifest(folder / "killed") or {}
        kills.append({"at_seconds": round(time.perf_counter() - started, 2), "finished_before_kill": finished,
                      "shards_done_before": done, "shards_done": _done(folder / "killed"),
                      "status": manifest.get("status")})
    final = _start(killed_cfg)
    code = final.wait()

    clean, n_clean = _rows(folder / "clean")
    killed, n_killed = _rows(folder / "killed")
    manifest = read_manifest(folder / "killed")
    print(json.dumps({
        "kills": kills, "final_exit_code": code, "final_status": manifest["status"],
        "chains": n_clean, "rows_identical": killed == clean, "duplicates": n_killed - len(killed),
        "temp_files_left": len(list((folder / "killed").rglob(".*.tmp-*"))),
        "builds_in_manifest": len(manifest.get("builds", {})),
        "uninterrupted_seconds": round(clean_seconds, 1),
        "cores": os.cpu_count(), "load_average_after": os.getloadavg(), "folder": str(folder),
    }, indent=2))


if __name__ == "__main__":
    main()
