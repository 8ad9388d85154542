"""A worker node lost mid-build: a two-node Ray cluster on this machine (a head and a second node with
its own temp dir, both started here with `ray start`), a build on it, and the second node's raylet
killed with SIGKILL once the first shard is written. Prints JSON: what the build did (exit code,
manifest status, shards), the log lines that say so, and what a re-run on the remaining node gives.

    python tests/benchmarks/bench_node_loss.py [--repeat 12]

Only processes this script started are stopped (by pid, descendants included); `ray stop` is not
used, since it would stop every Ray on the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

from steplabel.pipeline.store import read_chains, read_manifest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script

from tests.support.processes import terminate_then_kill  # noqa: E402
ENV = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_start(args: list[str], log: Path) -> subprocess.Popen:
    # this interpreter's Ray CLI: the node's workers then run the Python that has steplabel
    cli = [sys.executable, "-c", "import sys; from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()"]
    return subprocess.Popen([*cli, "start", "--block", "--node-ip-address", "127.0.0.1", *args],
                            stdout=log.open("w"), stderr=subprocess.STDOUT, env=ENV, start_new_session=True)


def _alive_nodes(address: str) -> int:
    code = ("import ray; ray.init(address=%r, log_to_driver=False); "
            "print(sum(1 for n in ray.nodes() if n['Alive']))" % address)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    return int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else 0


def _tree(proc: subprocess.Popen) -> list[psutil.Process]:
    try:
        root = psutil.Process(proc.pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _stop(procs: list[subprocess.Popen]) -> None:
    """Stop what we started: every process of each `ray start` tree, by pid."""
    terminate_then_kill([p for proc in procs for p in _tree(proc)], grace=15)


def _config(folder: Path, address: str, repeat: int) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "sample.yaml").read_text())
    config["input"]["repeat"] = repeat
    config["labelers"] = [{"name": "outcome", "pool_size": 2}, {"name": "math_steps", "pool_size": 2}]
    config["merge"]["order"] = ["math_steps", "outcome"]
    config["run"].update(out=str(folder / "out"), shard_size=100, address=address)
    path = folder / "build.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _build(config: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "steplabel.pipeline.cli", "build", str(config)],
                            stdout=log.open("w"), stderr=subprocess.STDOUT, env=ENV, start_new_session=True)


def _said(log: Path) -> list[str]:
    keep = ("shard", "stopped", "partial", "rror", "node", "died", "lost", "exit", "chains:")
    return [line.rstrip() for line in log.read_text(errors="replace").splitlines()
            if any(k in line for k in keep)][-25:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=12)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="steplabel-nodes-"))
    port = _free_port()
    address = f"127.0.0.1:{port}"
    started: list[subprocess.Popen] = []
    report: dict = {"address": address}
    try:
        started.append(_ray_start(["--head", "--port", str(port), "--num-cpus", "1", "--include-dashboard", "false",
                                   "--object-store-memory", str(200 * 2**20), "--temp-dir",
                                   str(folder / "ray-head")], folder / "head.log"))
        deadline = time.monotonic() + 180
        while _alive_nodes(address) < 1:
            assert time.monotonic() < deadline, (folder / "head.log").read_text()[-2000:]
            time.sleep(2)
        second = _ray_start(["--address", address, "--num-cpus", "2", "--object-store-memory", str(200 * 2**20),
                             "--temp-dir", str(folder / "ray-second")], folder / "second.log")
        started.append(second)
        while _alive_nodes(address) < 2:
            assert time.monotonic() < deadline, (folder / "second.log").read_text()[-2000:]
            time.sleep(2)

        config = _config(folder, address, args.repeat)
        build = _build(config, folder / "build.log")
        t0 = time.monotonic()
        while not (read_manifest(folder / "out") or {}).get("shards"):
            assert build.poll() is None, (folder / "build.log").read_text()[-3000:]
            assert time.monotonic() - t0 < 600, "no shard within 600 s"
            time.sleep(0.1)
        raylets = [p for p in _tree(second) if p.name() == "raylet"]
        for p in raylets:
            p.send_signal(signal.SIGKILL)
        killed_at = time.monotonic() - t0
        shards_at_kill = len(read_manifest(folder / "out")["shards"])
        try:
            code = build.wait(timeout=900)
        except subprocess.TimeoutExpired:
            os.killpg(build.pid, signal.SIGKILL)
            code = "timeout (killed after 900 s)"
        manifest = read_manifest(folder / "out")
        report["lost_node"] = {
            "raylets_killed": [p.pid for p in raylets], "at_seconds": round(killed_at, 1),
            "shards_done_at_kill": shards_at_kill, "exit_code": code, "status": manifest.get("status"),
            "shards_done": len(manifest["shards"]), "shards_total": manifest["shards_total"],
            "seconds": round(time.monotonic() - t0, 1), "log": _said(folder / "build.log"),
        }
        rerun = _build(config, folder / "rerun.log")
        code = rerun.wait(timeout=900)
        manifest = read_manifest(folder / "out")
        ids = read_chains(folder / "out")["chain_id"].to_pylist()
        ids += read_chains(folder / "out", quarantine=True)["chain_id"].to_pylist()
        report["rerun_on_the_remaining_node"] = {
            "exit_code": code, "status": manifest["status"], "chains": len(ids), "duplicates": len(ids) - len(set(ids)),
            "unaccounted": manifest.get("unaccounted"), "log": _said(folder / "rerun.log")[-6:],
        }
    finally:
        _stop(started)
        report.update(cores=os.cpu_count(), load_average_after=os.getloadavg(), folder=str(folder))
        print(json.dumps(report, indent=2, default=str))
        shutil.rmtree(folder / "ray-head", ignore_errors=True)
        shutil.rmtree(folder / "ray-second", ignore_errors=True)


if __name__ == "__main__":
    main()
