"""README's "Running on a Ray cluster" recipe, run for real on this machine: `pip wheel`, then `ray job submit`
with `--working-dir .` and the wheel in the job's pip runtime env, to a Ray head started here on 127.0.0.1.

The head runs in its own virtual environment (base Python + `ray[default]`, the `cluster` extra's Ray, made
here with pip): steplabel is not installed there, so the build can only run if the wheel shipped with the
job is what installs it, as on a fresh cluster. The job is submitted from this interpreter (steplabel's own
install: plain `ray`). The wheel is built in a copy of the worktree's files, so no `dist/` lands in the repo.
Prints one JSON object: job id, status, seconds from submit to finish, chains counted by DuckDB against the
manifest's counts, the manifest's status and the job's last log lines.

    python tests/benchmarks/ray_job_submit.py [--deadline 900] [--keep]

Only processes this script started are stopped (the `ray start --block` tree by pid, then any process whose
command line names this run's temp folder): `ray stop` cannot be aimed at one head, it stops every Ray here.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb
import psutil
import ray
from ray.job_submission import JobStatus, JobSubmissionClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script

from tests.support.processes import terminate_then_kill  # noqa: E402
# Ray turns `--node-ip-address 127.0.0.1` into the machine's routable address (GCS, agents, the job's
# RAY_ADDRESS); its single-machine switch keeps every address on loopback (and refuses a second node)
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
ENV = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"RAY_AUTH_MODE": "disabled",
                                                                     "RAY_USAGE_STATS_ENABLED": "0", **LOOPBACK}
RAY_CLI = "import sys; from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    """A step that must succeed, with a deadline; its output's tail is the error if not."""
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… exited {done.returncode}: {(done.stdout + done.stderr)[-3000:]}")
    return done


def _cluster_python(folder: Path, timeout: float) -> Path:
    """A venv over the base Python with Ray's `default` extra (dashboard, job server) and no steplabel."""
    base = Path(sys.base_prefix) / "bin" / "python3"
    venv = folder / "cluster"
    _run([str(base), "-m", "venv", "--system-site-packages", str(venv)], timeout=120)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          f"ray[default]=={ray.__version__}"], timeout=timeout)
    probe = subprocess.run([str(python), "-c", "import steplabel"], capture_output=True, env=ENV, timeout=60)
    if probe.returncode == 0:
        raise RuntimeError(f"{python} already imports steplabel: the run would not prove the shipped wheel")
    return python


def _source_copy(folder: Path) -> Path:
    """The files `--working-dir .` would upload from the worktree (tracked and not ignored), copied."""
    listed = _run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                  timeout=60).stdout.split("\0")
    src = folder / "src"
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    return src


def _head(python: Path, folder: Path, gcs: int, dashboard: int) -> subprocess.Popen:
    args = ["start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(gcs),
            "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dashboard), "--include-dashboard", "true",
            "--dashboard-agent-listen-port", str(_free_port()), "--ray-client-server-port", str(_free_port()),
            "--temp-dir", str(folder / "ray"), "--num-cpus", "2", "--object-store-memory", str(256 * 2**20)]
    return subprocess.Popen([str(python), "-c", RAY_CLI, *args], stdout=(folder / "head.log").open("w"),
                            stderr=subprocess.STDOUT, env=ENV, start_new_session=True)


def _wait_job_server(url: str, head: subprocess.Popen, log: Path, deadline: float) -> None:
    last = None
    while head.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/jobs/", timeout=5) as reply:
                if reply.status == 200:
                    return
        except OSError as exc:  # not up yet: asked again until the deadline
            last = exc
        time.sleep(1)
    raise RuntimeError(f"the job server at {url} did not answer ({last}): {log.read_text()[-3000:]}")


def _loopback(host: str) -> bool:
    ip = ipaddress.ip_address(host)
    return ip.is_loopback or bool(getattr(ip, "ipv4_mapped", None) and ip.ipv4_mapped.is_loopback)


def _addresses(head: subprocess.Popen, folder: Path) -> dict[str, list[str]]:
    """Every host:port Ray's logs name, and where this head's processes listen: loopback only, we hope."""
    text = "\n".join(f.read_text(errors="replace") for f in folder.rglob("*.log"))
    named = sorted(set(re.findall(r"\b(\d+\.\d+\.\d+\.\d+):\d+", text)))
    root = psutil.Process(head.pid)
    listen = set()
    for proc in [root, *root.children(recursive=True)]:
        try:
            listen |= {c.laddr.ip for c in proc.net_connections("inet") if c.status == psutil.CONN_LISTEN}
        except psutil.NoSuchProcess:
            continue
    return {"hosts_named_in_ray_logs": named, "hosts_listened_on": sorted(listen)}


def _stop(head: subprocess.Popen | None, folder: Path) -> list[str]:
    """Stop this run's Ray: the `ray start` tree by pid, and anything else that names our temp folder.

    Children first, while `ray start --block` still reaps them; it goes last. Returns what needed SIGKILL."""
    procs: list[psutil.Process] = []
    if head is not None:
        try:
            procs = psutil.Process(head.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
    known = {p.pid for p in procs} | {head.pid if head else -1}
    procs += [p for p in psutil.process_iter(["pid", "cmdline"])
              if p.info["pid"] not in known and str(folder) in " ".join(p.info["cmdline"] or [])]
    killed = terminate_then_kill(procs, grace=20)
    if head is not None:
        head.terminate()
        try:
            head.wait(timeout=20)
        except subprocess.TimeoutExpired:
            killed.append(f"ray start {head.pid}")
            head.kill()
            head.wait()
    return killed


def _check(out: Path) -> dict:
    """The build's own record against what a reader sees: manifest status, and DuckDB's count of data rows."""
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest.get("counts", {})
    files = sorted((out / "data").glob("shard-*.parquet"))
    sql = f"SELECT count(*) FROM read_parquet('{out}/data/shard-*.parquet')"
    chains = duckdb.connect().execute(sql).fetchone()[0] if files else 0
    expected = counts.get("rows", 0) - counts.get("quarantined", 0)  # quarantined rows live in quarantine/
    return {"manifest_status": manifest.get("status"), "manifest_counts": counts, "shard_files": len(files),
            "chains": chains, "chains_match_manifest": chains == expected and expected > 0}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadline", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, output)")
    args = parser.parse_args()
    deadline = time.monotonic() + args.deadline
    folder = Path(tempfile.mkdtemp(prefix="sljob-", dir="/tmp"))  # short: Ray's socket paths must fit
    report: dict = {"ray": ray.__version__, "folder": str(folder)}
    head = None
    ok = False
    try:
        t0 = time.monotonic()
        python = _cluster_python(folder, timeout=max(60.0, deadline - time.monotonic()))
        report["cluster_env_seconds"] = round(time.monotonic() - t0, 1)
        src = _source_copy(folder)
        _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", ".", "-w", "dist"], timeout=300, cwd=src)
        (wheel,) = (src / "dist").glob("steplabel-*.whl")
        report["wheel"] = wheel.name

        gcs, dashboard = _free_port(), _free_port()
        url = f"http://127.0.0.1:{dashboard}"
        head = _head(python, folder, gcs, dashboard)
        _wait_job_server(url, head, folder / "head.log", min(deadline, time.monotonic() + 180))

        job_id = f"steplabel-{folder.name}"
        runtime_env = {"pip": [f"${{RAY_RUNTIME_ENV_CREATE_WORKING_DIR}}/dist/{wheel.name}"]}
        out = folder / "out"
        submit = [sys.executable, "-c", RAY_CLI, "job", "submit", "--address", url, "--submission-id", job_id,
                  "--working-dir", ".", "--runtime-env-json", json.dumps(runtime_env),
                  "--", "steplabel", "build", "configs/sample.yaml", "--out", str(out)]
        report.update(job_id=job_id, command=" ".join(submit[3:]))
        t1 = time.monotonic()
        try:
            done = subprocess.run(submit, cwd=src, capture_output=True, text=True, env=ENV,
                                  timeout=max(1.0, deadline - time.monotonic()))
            report["submit_exit_code"] = done.returncode
            report["submit_output_tail"] = (done.stdout + done.stderr).splitlines()[-5:]
        except subprocess.TimeoutExpired:
            report["submit_exit_code"] = f"deadline ({args.deadline:.0f} s for the run) passed"
        report["seconds_submit_to_finish"] = round(time.monotonic() - t1, 1)

        client = JobSubmissionClient(url)
        status = client.get_job_status(job_id)
        if not status.is_terminal():
            client.stop_job(job_id)
        info = client.get_job_info(job_id)
        report["status"] = status.value
        report["job_message"] = info.message
        if info.start_time and info.end_time:
            report["job_seconds_on_cluster"] = round((info.end_time - info.start_time) / 1000, 1)
        logs = client.get_job_logs(job_id).splitlines()
        (folder / "job.log").write_text("\n".join(logs))
        report["cluster_line"] = next((line.strip() for line in logs if "  cluster: " in line), None)
        report["log_tail"] = logs[-10:]
        report.update(_addresses(head, folder))
        # the job's pip env (a clone of the head's venv) is where steplabel came from: the head's venv has none
        envs = folder / "ray" / "session_latest" / "runtime_resources" / "pip"
        report["wheel_installed_in_job_env"] = any(envs.glob("*/virtualenv/lib/python*/site-packages/steplabel-*"))
        if (out / "manifest.json").exists():
            report.update(_check(out))
        ok = (status == JobStatus.SUCCEEDED and report.get("manifest_status") == "done"
              and report.get("chains_match_manifest") is True and report["wheel_installed_in_job_env"]
              and all(map(_loopback, report["hosts_named_in_ray_logs"] + report["hosts_listened_on"])))
    except Exception as exc:  # reported in the JSON with what the head said; the exit code says it failed
        report["error"] = f"{type(exc).__name__}: {exc}"
        head_log = folder / "head.log"
        if head_log.exists():
            report["head_log_tail"] = head_log.read_text(errors="replace").splitlines()[-15:]
    finally:
        report["killed_after_20s_of_sigterm"] = _stop(head, folder)
        report.update(ok=ok, cores=os.cpu_count(), load_average_after=os.getloadavg())
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        print(json.dumps(report, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
