"""Collect real judge outputs for the judge-consistency set: the project's own judge prompts (chain
and step mode) over the bundled sample's math chains, sent to an OpenAI-compatible endpoint (a
local llama.cpp server with SmolLM2, say), every answer written with what the parser read from it.

    python tests/tools/collect_judge_outputs.py --base-url http://127.0.0.1:8011/v1 \
        --model SmolLM2-135M-Instruct --out judge_outputs.jsonl [--chains 60] [--step-chains 25]

One line per (answer, step) the parser rated: id, model, mode, temperature, chain and step, the
step's text, the rating and the reason as parsed, and the raw answer. Hand labels
(`contradicts`: does the rating contradict its own reason) are added afterwards; see
tests/benchmarks/bench_judge_consistency.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.labelers.judge import JudgeLabeler  # noqa: E402
from steplabel.pipeline.labelers.judge_output import parse_chain, parse_step  # noqa: E402
from steplabel.pipeline.llm.client import Sample, run_sync  # noqa: E402
from steplabel.pipeline.schema import new_chain  # noqa: E402
from steplabel.pipeline.segment import make_steps  # noqa: E402
from tests.support.scripts import sample_chains  # noqa: E402


def _rows(count: int, offset: int) -> list[dict]:
    chains = sample_chains()[offset: offset + count]
    return [new_chain(chain_id=f"sample-{offset + i}", problem_id=c["problem_id"], problem=c["problem"],
                      reference={"answer": c["answer"]}, text=c["text"], steps=make_steps(c["steps"]))
            for i, c in enumerate(chains)]


def collect(base_url: str, model: str, mode: str, rows: list[dict], temperature: float, out) -> int:
    endpoint = {"base_url": base_url, "model": model, "supports_n": False, "response_format": "json_object",
                "max_concurrency": 1, "timeout": 600, "max_retries": 2}
    judge = JudgeLabeler(endpoint=endpoint, mode=mode, temperature=temperature, max_tokens=400)
    client = judge.llm.first
    written = 0
    for row in rows:
        n = len(row["steps"])
        for step, prompt in judge.prompts_for(row):
            got = run_sync(client.sample(judge._content(client.endpoint, prompt), judge.params(client.endpoint), [0],
                                         seed=0))[0]
            if not isinstance(got, Sample):
                print(f"{row['chain_id']} step {step}: {got}", file=sys.stderr)
                continue
            if step is None:
                ratings, problem = parse_chain(got.text, n)
            else:
                rating, reason, problem = parse_step(got.text)
                ratings = {step: (rating, reason)} if rating is not None else {}
            for i, (rating, reason) in sorted(ratings.items()):
                record = {"id": f"{model}:{mode}:{row['chain_id']}:{i}", "model": model, "mode": mode,
                          "temperature": temperature, "chain_id": row["chain_id"], "step": i,
                          "step_text": row["steps"][i]["text"], "rating": rating, "reason": reason,
                          "raw": got.text[:1500]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
                written += 1
            if not ratings:
                out.write(json.dumps({"id": f"{model}:{mode}:{row['chain_id']}:{step}:unparsed", "model": model,
                                      "mode": mode, "chain_id": row["chain_id"], "step": step, "rating": None,
                                      "problem": problem, "raw": got.text[:1500]}, ensure_ascii=False) + "\n")
    judge.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--chains", type=int, default=60, help="chains judged whole (chain mode)")
    parser.add_argument("--step-chains", type=int, default=25, help="chains judged step by step (step mode)")
    args = parser.parse_args()
    with open(args.out, "a") as out:
        n = collect(args.base_url, args.model, "step", _rows(args.step_chains, 0), 0.0, out)
        n += collect(args.base_url, args.model, "chain", _rows(args.chains, args.step_chains), 0.7, out)
    print(f"{n} rated steps written to {args.out}")


if __name__ == "__main__":
    main()
