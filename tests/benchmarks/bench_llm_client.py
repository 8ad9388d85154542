"""LLM layer overhead: requests/s through LLMClient against the loopback server (in a child
process, so it does not share the client's core).

  python tests/benchmarks/bench_llm_client.py [--requests 3000] [--concurrency 64]

Figures (printed as JSON):
- instant: the server answers at once; requests/s the layer sustains (target >= 500/s), with the
  in-memory cache and with the on-disk cache + shared budget ledger a build uses.
- latency: every answer takes 100 ms; with concurrency 64 the ideal is 640/s (target >= 90 %).
- transports (`--compare`): openai's DefaultAioHttpClient against steplabel's lean transport at the
  same concurrency and latency, in alternating rounds of one run (the machine's load hits both),
  with the ratio of their throughputs per round and its median. The lean transport stays only
  while aiohttp reaches less than 90 % of its throughput.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.llm.budget import Ledger  # noqa: E402
from steplabel.pipeline.llm.cache import RequestCache  # noqa: E402
from steplabel.pipeline.llm.client import LLMClient, run_sync  # noqa: E402
from steplabel.pipeline.llm.config import BudgetConfig, EndpointConfig  # noqa: E402
from tests.support.openai_server import SubprocessServer  # noqa: E402


def measure(base_url: str, requests: int, concurrency: int, cache_dir: str | None, tag: str, http: str) -> dict:
    ep = EndpointConfig(base_url=base_url, model="policy", max_concurrency=concurrency, timeout=30, http=http)
    ledger = Ledger(cache_dir, BudgetConfig(max_requests=10**9)) if cache_dir else None
    client = LLMClient(ep, RequestCache(cache_dir), ledger)
    params = {"temperature": 0.7, "max_tokens": 16}

    async def run(prefix: str, n: int) -> list:
        return await asyncio.gather(*(client.sample([{"role": "user", "content": f"{prefix} problem {i}"}],
                                                    params, [0], seed=0) for i in range(n)))

    run_sync(run(f"warm-{tag}", min(500, requests)))  # connections open, code paths warm
    start, cpu = time.perf_counter(), time.process_time()
    results = run_sync(run(f"timed-{tag}", requests))
    seconds = time.perf_counter() - start
    cpu_us = (time.process_time() - cpu) / requests * 1e6  # this process: client, loop, cache, ledger
    errors = sum(1 for r in results if not hasattr(r[0], "text"))
    client.close()
    return {"requests": requests, "seconds": round(seconds, 3), "requests_per_s": round(requests / seconds, 1),
            "client_cpu_us_per_request": round(cpu_us), "cpu_bound_capacity_per_s": round(1e6 / cpu_us),
            "errors": errors, "concurrency": concurrency, "retries": client.stats.retries}


def compare(args: argparse.Namespace) -> dict:
    """Lean transport vs DefaultAioHttpClient, alternating rounds against one server."""
    out: dict = {"cpus": os.cpu_count(), "concurrency": args.concurrency, "latency_s": args.latency,
                 "requests_per_round": args.requests, "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                 "rounds": []}
    with SubprocessServer(latency=args.latency) as srv:
        for r in range(args.rounds):
            row = {}
            for http in (("lean", "aiohttp") if r % 2 == 0 else ("aiohttp", "lean")):
                m = measure(srv.base_url, args.requests, args.concurrency, None, f"{http}-{r}", http)
                assert m["errors"] == 0, m
                row[http] = {"requests_per_s": m["requests_per_s"], "client_cpu_us_per_request": m["client_cpu_us_per_request"]}
            row["aiohttp_over_lean"] = round(row["aiohttp"]["requests_per_s"] / row["lean"]["requests_per_s"], 3)
            out["rounds"].append(row)
    ratios = sorted(r["aiohttp_over_lean"] for r in out["rounds"])
    cpu = sorted(r["aiohttp"]["client_cpu_us_per_request"] / r["lean"]["client_cpu_us_per_request"] for r in out["rounds"])
    out["median_aiohttp_over_lean"] = ratios[len(ratios) // 2]
    out["median_cpu_aiohttp_over_lean"] = round(cpu[len(cpu) // 2], 3)
    out["ideal_per_s"] = args.concurrency / args.latency
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out["verdict"] = ("aiohttp reaches >= 90 % of the lean transport: delete the transport"
                      if out["median_aiohttp_over_lean"] >= 0.9 else "aiohttp below 90 % of the lean transport: keep it")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--http", default="auto", choices=["auto", "lean", "aiohttp", "httpx"])
    ap.add_argument("--compare", action="store_true", help="only the lean vs aiohttp transport comparison")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if args.compare:
        print(json.dumps(compare(args), indent=2))
        return
    out: dict = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                 "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "http": args.http}
    with SubprocessServer() as srv:
        out["instant_memory_cache"] = measure(srv.base_url, args.requests, args.concurrency, None, "mem", args.http)
        with tempfile.TemporaryDirectory() as tmp:
            out["instant_disk_cache_and_ledger"] = measure(srv.base_url, args.requests, args.concurrency, tmp, "disk", args.http)
        out["instant_memory_cache"]["target_per_s"] = 500
    with SubprocessServer(latency=args.latency) as srv:
        with tempfile.TemporaryDirectory() as tmp:
            lat = measure(srv.base_url, args.requests, args.concurrency, tmp, "lat", args.http)
        ideal = args.concurrency / args.latency
        lat.update(latency_s=args.latency, ideal_per_s=ideal, share_of_ideal=round(lat["requests_per_s"] / ideal, 3),
                   max_in_flight_at_server=srv.stats()["max_in_flight"])
        out["latency_disk_cache_and_ledger"] = lat
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
