"""How long a build that cannot succeed takes to say so: the time from `steplabel build` (the console
script, a fresh interpreter: imports included) to its exit, for a wrong endpoint URL (nothing
listens: connection refused), a URL that is no OpenAI-compatible server (404), a model the server
does not serve, a wrong key, and a config with errors. Each must exit 2 within --target seconds
(10, the figure issue 20 names); the behaviour itself is tested in
tests/integration/test_endpoint_start_check.py.

    python tests/benchmarks/bench_start_failures.py [--repeat 3] [--target 10]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.support, when run as a script

from tests.support.fixed_server import FixedAnswer  # noqa: E402
from tests.support.openai_server import OpenAIServer  # noqa: E402


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


def _config(folder: Path, name: str, endpoint: dict) -> Path:
    (folder / "in.jsonl").write_text(json.dumps({"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2"}))
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "name": name, "input": {"kind": "files", "path": str(folder / "in.jsonl")},
        "labelers": [{"name": "outcome"}, {"name": "judge", "options": {"endpoint": endpoint}}],
        "merge": {"order": ["judge", "outcome"]}, "run": {"out": str(folder / f"out-{name}")}}))
    return path


def _time_exit(path: Path, env: dict) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run([shutil.which("steplabel") or "steplabel", "build", str(path)], capture_output=True,
                          text=True, env=env, timeout=600)
    last = [line for line in done.stderr.splitlines() if line.strip()][-1:]
    return time.perf_counter() - start, done.returncode, last[0] if last else ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--target", type=float, default=10.0)
    args = ap.parse_args()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "JUDGE_KEY": "sk-wrong"}
    folder = Path(tempfile.mkdtemp(prefix="bench-start-"))
    results = {}
    try:
        with FixedAnswer(404) as web, OpenAIServer(models=["judge-model"], api_key="sk-right") as srv:
            cases = {
                "wrong_url_refused": _config(folder, "refused", {"base_url": _refused_url(), "model": "j"}),
                "wrong_url_404": _config(folder, "web", {"base_url": web.url + "/v1", "model": "j"}),
                "wrong_key_401": _config(folder, "key", {"base_url": srv.base_url, "model": "judge-model",
                                                         "api_key_env": "JUDGE_KEY"}),
                "wrong_model_404": _config(folder, "model", {"base_url": srv.base_url, "model": "judge-modle",
                                                             "api_key_env": "JUDGE_KEY"}),
                "broken_config": folder / "broken.yaml",
            }
            (folder / "broken.yaml").write_text("merge: {order: [outcom]}\nrun: {shard_size: 0}\n")
            for name, path in cases.items():
                case_env = {**env, "JUDGE_KEY": "sk-right"} if name == "wrong_model_404" else env
                runs = [_time_exit(path, case_env) for _ in range(args.repeat)]
                seconds = [r[0] for r in runs]
                results[name] = {"exit_codes": sorted({r[1] for r in runs}), "median_s": round(statistics.median(seconds), 2),
                                 "max_s": round(max(seconds), 2), "said": runs[-1][2][:240]}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ok = all(r["exit_codes"] == [2] and r["max_s"] <= args.target for r in results.values())
    print(json.dumps({"load": os.getloadavg(), "target_s": args.target, "cases": results, "pass": ok}, indent=2))


if __name__ == "__main__":
    main()
