"""The cascade's saving: the bundled sample's math chains plus GSM8K's example model solutions, built
with `outcome`, `math_steps`, a `judge` and binary `rollout`s under `priority`, once asking every
labeler about every step (what Math-Shepherd and the Qwen consensus recipe do: the reference) and
once with `merge.cascade`, in the same run against the same scripted server.

    python tests/benchmarks/bench_cascade.py [--data ../shared/data] [--problems 100] [--n] [--judge-failures 0.24]
                                             [--mode binary|exhaustive]

`--mode` is the rollout labeler's, in both builds: `binary` (the default; its bisection with early
stop already spends about a third of the tokens `exhaustive` does) or `exhaustive` (k rollouts from
every prefix, as Math-Shepherd runs them).

The server (tests/support/openai_server.py, tokens are words) plays a world built from the chains:
- the judge rates each chain by its first error (the sample's annotation; for a GSM8K solution none
  when `is_correct`, else a step picked by a hash) and, as real judges do now and then, gives a
  stock sentence for every step (12 % of chains), contradicts itself on one step (6 %) or answers
  for half the steps (6 %): those are abstains the rollouts must fill (`--judge-failures` scales the
  24 %);
- the rollout policy continues a prefix as the chain itself does (so completions are as long as the
  rest of the chain) and reaches the right answer from prefixes before the first error, not after —
  with noise: 8 % of those prefixes never reach it and 5 % of the later ones sometimes do, so the MC
  values are not monotone; 5 % of problems it never solves from the question alone.

Figures: requests and tokens the server answered for each build (and the build's own ledger, which
must agree), per labeler, the ratio, and the judge's share of the full build's tokens: under this
order the judge still reads every chain no deterministic labeler settled, so no cascade can cost
less than that share. The check: the merged ratings (rating, decided_by, score,
first_error, status of every step and chain) are identical, and the cascade costs at most 30 % of
the tokens (the issue's goal). GSM8K data is read at run time from --data, never copied.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.build import init_ray, run_build  # noqa: E402
from steplabel.pipeline.config import BuildConfig  # noqa: E402
from steplabel.pipeline.labelers.rollout import DEFAULT_TEMPLATE  # noqa: E402
from steplabel.pipeline.segment import SegmentStage  # noqa: E402
from steplabel.pipeline.sources import iter_chains  # noqa: E402
from steplabel.pipeline.store import read_chains  # noqa: E402
from tests.support import SAMPLE_MATH  # noqa: E402
from tests.support.openai_server import OpenAIServer  # noqa: E402

GOAL = 0.30
ORDER = ["math_steps", "outcome", "judge", "rollout"]
K = 8


def _share(*parts: Any) -> float:
    """A stable number in [0, 1) for a choice made per chain or prefix."""
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    return int(digest[:12], 16) / 16 ** 12


def _config(name: str, input_: dict[str, Any], base_url: str, out: Path, cascade: bool, supports_n: bool,
            mode: str = "binary") -> BuildConfig:
    endpoint = {"base_url": base_url, "max_retries": 2, "timeout": 60, "backoff_base": 0.05, "max_concurrency": 16,
                "supports_n": supports_n}
    return BuildConfig.model_validate({
        "name": name, "input": input_,
        "segment": {"splitter": "blank_line", "fallback": "newline"},
        "labelers": [{"name": "outcome"}, {"name": "math_steps"},
                     {"name": "judge", "options": {"endpoint": {**endpoint, "model": "judge-model"}}},
                     {"name": "rollout", "options": {"endpoint": {**endpoint, "model": "policy", "api": "completions"},
                                                     "k": K, "mode": mode, "rounds": 4}}],
        "merge": {"policy": "priority", "order": ORDER, "stop_at_first_error": True, "cascade": cascade},
        "run": {"out": str(out), "shard_size": 200, "batch_size": 32},
    })


def _chains(config: BuildConfig) -> list[dict[str, Any]]:
    """The chains as the build reads and splits them (the same importer and splitter)."""
    seg = config.segment
    return SegmentStage(seg.splitter, seg.pattern, seg.fallback)(list(iter_chains(config.input)))


def _first_error(chain: dict[str, Any]) -> int:
    """The world's first error of a chain: the sample's annotation, or for a GSM8K solution none when
    the source says it is correct, else a step picked by a hash (later steps likelier)."""
    human = [i for i, s in enumerate(chain["steps"]) for v in s["verdicts"] if v["labeler"] == "human" and v["rating"] == -1]
    source = [v for s in chain["steps"] for v in s["verdicts"] if v["labeler"] == "source_outcome"]
    if human:
        return human[0]
    if source:
        if source[0]["rating"] == 1:
            return -1
        n = len(chain["steps"])
        return min(n - 1, int(n * (_share(chain["chain_id"], "fe") ** 0.5)))
    has_human = any(v["labeler"] == "human" for s in chain["steps"] for v in s["verdicts"])
    return -1 if has_human else len(chain["steps"]) - 1


def _world(chains: list[dict[str, Any]], failures: float) -> dict[str, Any]:
    """The server script: a judge and a rollout policy for these chains (see the module docstring);
    `failures` is the share of chains the judge answers in a way its checks reject."""
    judge, policy = [], {}
    for c in chains:
        steps = [s["text"] for s in c["steps"]]
        n, fe = len(steps), _first_error(c)
        entry: dict[str, Any] = {"match": [c["problem"], *steps], "first_error": fe}
        luck = _share(c["chain_id"], "judge") / max(failures, 1e-9) * 0.24  # the default mix scaled to `failures`
        if luck < 0.12:
            entry["reason"] = "This step is correct and follows from the previous work."  # stock: all abstain
        elif luck < 0.18 and n > 1:
            ratings = [1 if i < fe or fe < 0 else (-1 if i == fe else 0) for i in range(n)]
            reasons = [f"Checks {s[:30]!r}." for s in steps]
            j = max(0, fe - 1) if fe > 0 else 0
            ratings[j], reasons[j] = 1, "This is a mistake: the numbers do not add up."  # +1 under an error
            entry = {"match": entry["match"], "ratings": ratings, "reasons": reasons}
        elif luck < 0.24:
            entry["style"] = "partial"
        judge.append(entry)

        answer = c["reference"]["answer"]
        right_end, wrong_end = f"\nThe answer is $\\boxed{{{answer}}}$.", "\nThe answer is $\\boxed{-987654321}$."
        problem_key = DEFAULT_TEMPLATE.replace("{problem}", c["problem"]).replace("{prefix}", "")
        if problem_key not in policy:
            solved = _share(c["problem_id"], "solved") >= 0.05
            whole = "\n".join(steps)
            policy[problem_key] = ([whole + right_end] * 3 + [whole + wrong_end] * 5) if solved else [whole + wrong_end] * 8
        for upto in range(n):
            key = DEFAULT_TEMPLATE.replace("{problem}", c["problem"]).replace("{prefix}", "\n\n".join(steps[: upto + 1]))
            if key in policy:
                continue  # two chains of a problem that begin alike: one prompt, one answer
            rest = "\n".join(steps[upto + 1:])
            noise = _share(c["chain_id"], upto, "noise")
            good = (fe < 0 or upto < fe) != (noise < (0.08 if fe < 0 or upto < fe else 0.05))
            rights = 1 + int(4 * _share(c["chain_id"], upto, "rights")) if good else 0
            start = int(8 * _share(c["chain_id"], upto, "rotate"))
            options = [rest + right_end] * rights + [rest + wrong_end] * (8 - rights)
            policy[key] = options[start:] + options[:start]
    return {"judge": judge, "policy": policy}


def _comparable(out: Path) -> dict[str, Any]:
    return {r["chain_id"]: ([(s["rating"], s["decided_by"], s["score"]) for s in r["steps"]], r["first_error"],
                            r["status"]) for r in read_chains(out).to_pylist()}


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared" / "data"))
    parser.add_argument("--problems", type=int, default=100, help="GSM8K problems (four solutions each)")
    parser.add_argument("--n", action="store_true", help="the endpoint batches samples with n (vLLM); default: a "
                        "request per sample, as llama.cpp's server and configs/gsm8k.yaml")
    parser.add_argument("--mode", choices=("binary", "exhaustive"), default="binary",
                        help="the rollout labeler's mode: OmegaPRM-style bisection with early stop (the default), or "
                             "Math-Shepherd's k rollouts from every prefix")
    parser.add_argument("--judge-failures", type=float, default=0.24,
                        help="share of chains the judge answers with a stock sentence (half of them), a "
                             "contradiction (a quarter) or half the steps (a quarter)")
    args = parser.parse_args()
    solutions = Path(args.data) / "gsm8k" / "example_model_solutions.jsonl"
    if not solutions.is_file():
        print(json.dumps({"error": f"{solutions} not found (--data)"}))
        return 2
    inputs = {"sample": {"kind": "files", "path": str(SAMPLE_MATH)},
              "gsm8k": {"kind": "gsm8k_solutions", "path": str(solutions), "limit": args.problems}}
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    init_ray(None)
    figures: dict[str, Any] = {"load_before": _load(), "supports_n": args.n, "k": K, "rollout_mode": args.mode,
                               "order": ORDER,
                               "judge_failures": args.judge_failures}
    identical, totals = True, {"full": {}, "cascade": {}}
    with tempfile.TemporaryDirectory(prefix="bench-cascade-") as tmp:
        chains = {name: _chains(_config(name, spec, "http://127.0.0.1:9/v1", Path(tmp), False, True))
                  for name, spec in inputs.items()}
        world = {"judge": [], "policy": {}}
        for rows in chains.values():
            part = _world(rows, args.judge_failures)
            world["judge"] += part["judge"]
            for key, options in part["policy"].items():
                world["policy"].setdefault(key, options)
        figures["chains"] = {name: len(rows) for name, rows in chains.items()}
        figures["steps"] = {name: sum(len(r["steps"]) for r in rows) for name, rows in chains.items()}
        with OpenAIServer(script=world) as srv:
            for name, spec in inputs.items():
                outs = {}
                for mode in ("full", "cascade"):
                    srv.reset()
                    started = time.perf_counter()
                    out = Path(tmp) / f"{name}-{mode}"
                    result = run_build(_config(name, spec, srv.base_url, out, mode == "cascade", args.n, args.mode))
                    stats = srv.stats()
                    ledger = result.manifest["llm"]["this_run"]
                    run = {"status": result.manifest["status"], "seconds": round(time.perf_counter() - started, 1),
                           "requests": stats["served_total"],
                           "tokens": stats["prompt_tokens_served"] + stats["completion_tokens_served"],
                           "by_model": stats["served_by_model"],
                           "ledger_answered": ledger["total"]["answered"], "ledger_tokens": ledger["total"]["tokens"],
                           "ledger_by_role": {r: {"answered": c["answered"], "tokens": c["tokens"]}
                                              for r, c in ledger.items() if r != "total"}}
                    if mode == "cascade":
                        run["cascade"] = result.manifest.get("cascade")
                    figures[f"{name}_{mode}"] = run
                    outs[mode] = out
                    for key in ("requests", "tokens"):
                        totals[mode][key] = totals[mode].get(key, 0) + run[key]
                same = _comparable(outs["cascade"]) == _comparable(outs["full"])
                figures[f"{name}_identical_merged_ratings"] = same
                identical = identical and same
    ratio = {k: round(totals["cascade"][k] / totals["full"][k], 4) if totals["full"][k] else None
             for k in ("requests", "tokens")}
    agree = all(figures[f"{n}_{m}"]["ledger_answered"] == figures[f"{n}_{m}"]["requests"]
                and figures[f"{n}_{m}"]["ledger_tokens"] == figures[f"{n}_{m}"]["tokens"]
                for n in inputs for m in ("full", "cascade"))
    judge_full = sum(figures[f"{n}_full"]["ledger_by_role"].get("judge", {}).get("tokens", 0) for n in inputs)
    figures["judge_share_of_full_tokens"] = round(judge_full / totals["full"]["tokens"], 4) if totals["full"]["tokens"] else None
    figures.update(total_full=totals["full"], total_cascade=totals["cascade"], cascade_over_full=ratio,
                   identical_merged_ratings=identical, ledger_agrees_with_server=agree, goal_tokens=GOAL,
                   load_after=_load())
    passed = identical and agree and ratio["tokens"] is not None and ratio["tokens"] <= GOAL
    figures["pass"] = passed
    print(json.dumps(figures, indent=1))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
