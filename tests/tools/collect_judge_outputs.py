"""Collect real judge outputs for the judge-consistency set: the project's own judge prompts (chain
and step mode) over the bundled sample's math chains, sent to an OpenAI-compatible endpoint (a
local llama.cpp server with SmolLM2, say), every answer written with what the parser read from it.

    python tests/tools/collect_judge_outputs.py --base-url http://127.0.0.1:8011/v1 \
        --model SmolLM2-135M-Instruct --out judge_outputs.jsonl [--chains 60] [--step-chains 25]

One line per (rating, reason) pair the answer wrote, whether or not the judge labeler would trust
the answer as a whole (a small model's answers mostly fail its other checks; their pairs are still
what the consistency check reads): id, model, mode, temperature, chain and step, the step's text,
the rating and the reason, and the raw answer. `--reread FILE` writes the pairs of an earlier
collection again. Hand labels (`contradicts`: does the rating contradict its own reason) are added
afterwards; see tests/benchmarks/bench_judge_consistency.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.labelers.judge import JudgeLabeler  # noqa: E402
from steplabel.pipeline.labelers.judge_output import MAX_REASON, _candidates, normalize_rating, parse_step  # noqa: E402
from steplabel.pipeline.llm.client import Sample, run_sync  # noqa: E402
from steplabel.pipeline.schema import new_chain  # noqa: E402
from steplabel.pipeline.segment import make_steps  # noqa: E402
from tests.support.scripts import sample_chains  # noqa: E402


def _rows(count: int, offset: int) -> list[dict]:
    chains = sample_chains()[offset: offset + count]
    return [new_chain(chain_id=f"sample-{offset + i}", problem_id=c["problem_id"], problem=c["problem"],
                      reference={"answer": c["answer"]}, text=c["text"], steps=make_steps(c["steps"]))
            for i, c in enumerate(chains)]


def written_pairs(raw: str, mode: str, step: int | None) -> list[tuple[int, int, str]]:
    """(step, rating, reason) as the answer wrote them: a chain answer's step objects, or a step answer."""
    if mode == "step":
        rating, reason, _ = parse_step(raw)
        if rating is None:  # rejected as degenerate: read the object itself
            for obj in _candidates(raw):
                if isinstance(obj, dict) and normalize_rating(obj.get("rating")) is not None:
                    return [(step, normalize_rating(obj["rating"]), str(obj.get("reason", ""))[:MAX_REASON])]
            return []
        return [(step, rating, reason)]
    for obj in _candidates(raw):
        items = obj.get("steps") if isinstance(obj, dict) else None
        if isinstance(items, list):
            found = []
            for pos, item in enumerate(items):
                if isinstance(item, dict) and normalize_rating(item.get("rating")) is not None:
                    try:
                        index = int(item.get("index", pos))
                    except (TypeError, ValueError):
                        continue
                    found.append((index, normalize_rating(item["rating"]), str(item.get("reason", ""))[:MAX_REASON]))
            return found
    return []


def _record(model: str, mode: str, temperature: float, row: dict, step: int, rating: int, reason: str,
            raw: str) -> dict:
    n = len(row["steps"])
    return {"id": f"{model}:{mode}:{row['chain_id']}:{step}", "model": model, "mode": mode,
            "temperature": temperature, "chain_id": row["chain_id"], "step": step,
            "step_text": row["steps"][step]["text"] if 0 <= step < n else None, "rating": rating, "reason": reason,
            "raw": raw[:1500]}


def collect(base_url: str, model: str, mode: str, rows: list[dict], temperature: float, out) -> int:
    endpoint = {"base_url": base_url, "model": model, "supports_n": False, "response_format": "json_object",
                "max_concurrency": 1, "timeout": 600, "max_retries": 2}
    judge = JudgeLabeler(endpoint=endpoint, mode=mode, temperature=temperature, max_tokens=400)
    client = judge.llm.first
    written = 0
    for row in rows:
        for step, prompt in judge.prompts_for(row):
            got = run_sync(client.sample(judge._content(client.endpoint, prompt), judge.params(client.endpoint), [0],
                                         seed=0))[0]
            if not isinstance(got, Sample):
                print(f"{row['chain_id']} step {step}: {got}", file=sys.stderr)
                continue
            pairs = written_pairs(got.text, mode, step)
            for i, rating, reason in pairs:
                out.write(json.dumps(_record(model, mode, temperature, row, i, rating, reason, got.text),
                                     ensure_ascii=False) + "\n")
                written += 1
            if not pairs:
                out.write(json.dumps({"id": f"{model}:{mode}:{row['chain_id']}:{step}:no-pairs", "model": model,
                                      "mode": mode, "chain_id": row["chain_id"], "step": step, "rating": None,
                                      "raw": got.text[:1500]}, ensure_ascii=False) + "\n")
            out.flush()
    judge.close()
    return written


def reread(path: str, out) -> int:
    """The pairs of an earlier collection's raw answers, written again (one per answer and step)."""
    rows = {r["chain_id"]: r for r in _rows(len(sample_chains()), 0)}
    seen, written = set(), 0
    for line in Path(path).read_text().splitlines():
        old = json.loads(line)
        key = (old["mode"], old["chain_id"], old["step"] if old["mode"] == "step" else None)
        if key in seen:
            continue
        seen.add(key)
        for i, rating, reason in written_pairs(old["raw"], old["mode"], old["step"]):
            out.write(json.dumps(_record(old["model"], old["mode"], old.get("temperature", 0.0), rows[old["chain_id"]],
                                         i, rating, reason, old["raw"]), ensure_ascii=False) + "\n")
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    parser.add_argument("--out", required=True)
    parser.add_argument("--chains", type=int, default=60, help="chains judged whole (chain mode)")
    parser.add_argument("--step-chains", type=int, default=25, help="chains judged step by step (step mode)")
    parser.add_argument("--offset", type=int, default=0, help="the first sample chain to judge")
    parser.add_argument("--step-temperature", type=float, default=0.0)
    parser.add_argument("--reread", help="write the pairs of this earlier collection's answers instead")
    args = parser.parse_args()
    with open(args.out, "a") as out:
        if args.reread:
            n = reread(args.reread, out)
        else:
            n = collect(args.base_url, args.model, "step", _rows(args.step_chains, args.offset), args.step_temperature,
                        out)
            n += collect(args.base_url, args.model, "chain", _rows(args.chains, args.offset + args.step_chains), 0.7,
                         out)
    print(f"{n} rated steps written to {args.out}")


if __name__ == "__main__":
    main()
