"""How close to their deadline pathological math answers come back: in the main thread, in a
thread pool and in a Ray actor (where signal.alarm-based timeouts cannot work). Per input, the
seconds answers_equal and check_step took with a 1 s deadline; passes when every call returned
within its deadline + SLACK. The behaviour (an answer, never a hang) is tested in
tests/integration/test_math_deadlines.py; this is the speed figure, so run it on a quiet machine
and report the load beside it.

    python tests/benchmarks/bench_math_deadlines.py [--deadline 1.0] [--slack 0.25]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.support, when run as a script

from steplabel.verifiers.math import answers_equal, check_step  # noqa: E402
from steplabel.verifiers.math.deadline import shared_pool  # noqa: E402
from tests.support.hostile_answers import PATHOLOGICAL  # noqa: E402


def _timed(pairs: dict, deadline: float) -> dict:
    out = {}
    for name, (a, b) in pairs.items():
        t = time.monotonic()
        answers_equal(a, b, timeout=deadline)
        t_eq = time.monotonic() - t
        t = time.monotonic()
        check_step(f"\\({a} = {b}\\)", timeout=deadline)
        out[name] = {"answers_equal_s": round(t_eq, 3), "check_step_s": round(time.monotonic() - t, 3)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deadline", type=float, default=1.0)
    ap.add_argument("--slack", type=float, default=0.25)
    args = ap.parse_args()
    shared_pool().warm()
    result = {"load": os.getloadavg(), "deadline_s": args.deadline, "slack_s": args.slack}
    result["main_thread"] = _timed(PATHOLOGICAL, args.deadline)
    with ThreadPoolExecutor(4) as ex:
        futures = {n: ex.submit(_timed, {n: (a + " ", b + " ")}, args.deadline) for n, (a, b) in PATHOLOGICAL.items()}
        result["threads"] = {n: f.result()[n] for n, f in futures.items()}
    import ray

    from steplabel.pipeline.build import local_ray_env

    local_ray_env()  # workers at this process's priority, as in a build
    ray.init(num_cpus=2, object_store_memory=256 * 2**20, include_dashboard=False, log_to_driver=False,
             configure_logging=False)

    @ray.remote(num_cpus=0)
    class Checker:
        def __init__(self) -> None:
            shared_pool().warm()

        def run(self, pairs: dict, deadline: float) -> dict:
            return _timed(pairs, deadline)

    result["ray_actor"] = ray.get(Checker.remote().run.remote(PATHOLOGICAL, args.deadline))
    ray.shutdown()
    worst = max(t for where in ("main_thread", "threads", "ray_actor") for times in result[where].values()
                for t in times.values())
    result["worst_s"] = worst
    result["pass"] = worst <= args.deadline + args.slack
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
