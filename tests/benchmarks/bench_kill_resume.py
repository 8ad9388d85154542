"""Kill -9 the build's driver at random moments, re-run, and compare with an uninterrupted build.

An uninterrupted build first (its wall time bounds the kill moments), then the same config into a
second OUT: started and SIGKILLed (with its whole process group) at `--kills` random moments, then
run to the end. Prints JSON: the kill moments, shards done at each kill, and whether the final rows
equal the uninterrupted ones (labels, status, reasons), with no duplicate chain and no temp file.
With `--s3` the killed build's OUT is on an S3-compatible server this script starts on 127.0.0.1
(moto): no part or half object may be left there either.

    python tests/benchmarks/bench_kill_resume.py [--kills 5] [--repeat 12] [--seed 0] [--s3]
"""
from __future__ import annotations

import argparse
import contextlib
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script from anywhere

from steplabel.pipeline.place import place  # noqa: E402
from steplabel.pipeline.store import read_chains, read_manifest  # noqa: E402


def _config(folder: Path, out: Path | str, repeat: int, shard_size: int, name: str) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "sample.yaml").read_text())
    config["input"]["repeat"] = repeat
    config["labelers"] = [{"name": "outcome"}, {"name": "math_steps"}]
    config["merge"]["order"] = ["math_steps", "outcome"]
    config["run"].update(out=str(out), shard_size=shard_size)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _start(config: Path) -> subprocess.Popen:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    return subprocess.Popen([sys.executable, "-m", "steplabel.pipeline.cli", "build", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)


def _rows(out: Path | str) -> tuple[dict, int]:
    rows = read_chains(out).to_pylist() + read_chains(out, quarantine=True).to_pylist()
    labels = {r["chain_id"]: (r["status"], r["status_reason"], r["first_error"],
                              [(s["rating"], s["decided_by"]) for s in r["steps"]]) for r in rows}
    return labels, len(rows)


def _done(out: Path | str) -> int:
    manifest = read_manifest(out)
    return sum(1 for e in ((manifest or {}).get("shards") or {}).values() if e.get("status") == "done")


def _leftovers(out: Path | str) -> int:
    """Temp files (local) and part files (anywhere) a finished build must not leave."""
    where = place(out)
    parts = sum(len(where.names(f"parts/{sub}")) for sub in where.subfolders("parts"))
    return parts + (len(list(Path(out).rglob(".*.tmp-*"))) if isinstance(out, Path) else 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=12)
    parser.add_argument("--shard-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--s3", action="store_true", help="the killed build's OUT on a loopback S3 server")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        killed: Path | str = Path(tempfile.mkdtemp(prefix="steplabel-kill-")) / "killed"
        if args.s3:
            from tests.support.s3 import MotoS3

            s3 = stack.enter_context(MotoS3())
            killed = s3.uri(s3.bucket("steplabel-kill"), "killed")
        run(args, killed)


def run(args: argparse.Namespace, killed_out: Path | str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="steplabel-kill-"))
    clean_cfg = _config(folder, folder / "clean", args.repeat, args.shard_size, "clean")
    killed_cfg = _config(folder, killed_out, args.repeat, args.shard_size, "killed")

    t = time.perf_counter()
    assert _start(clean_cfg).wait() == 0, "the uninterrupted build failed"
    clean_seconds = time.perf_counter() - t

    rng = random.Random(args.seed)
    total = read_manifest(folder / "clean")["shards_total"]
    kills = []
    for i in range(args.kills):
        # a random moment while there is work left: after a random share of the remaining shards
        # (none: during start-up), plus a random part of a shard's time
        done = _done(killed_out)
        target = done + rng.randint(0, max(0, (total - done) // (args.kills - i + 1)))
        proc = _start(killed_cfg)
        started = time.perf_counter()
        while _done(killed_out) < target and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        finished = proc.poll() is not None
        if not finished:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        manifest = read_manifest(killed_out) or {}
        kills.append({"at_seconds": round(time.perf_counter() - started, 2), "finished_before_kill": finished,
                      "shards_done_before": done, "shards_done": _done(killed_out),
                      "status": manifest.get("status")})
    final = _start(killed_cfg)
    code = final.wait()

    clean, n_clean = _rows(folder / "clean")
    killed, n_killed = _rows(killed_out)
    manifest = read_manifest(killed_out)
    print(json.dumps({
        "kills": kills, "final_exit_code": code, "final_status": manifest["status"],
        "chains": n_clean, "rows_identical": killed == clean, "duplicates": n_killed - len(killed),
        "temp_files_left": _leftovers(killed_out), "out": str(place(killed_out)),
        "builds_in_manifest": len(manifest.get("builds", {})),
        "uninterrupted_seconds": round(clean_seconds, 1),
        "cores": os.cpu_count(), "load_average_after": os.getloadavg(), "folder": str(folder),
    }, indent=2))


if __name__ == "__main__":
    main()
