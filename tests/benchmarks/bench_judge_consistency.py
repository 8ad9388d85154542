"""The judge-consistency check measured on held-out judge outputs with hand labels.

    python tests/benchmarks/bench_judge_consistency.py

Data (tests/benchmarks/data/, our own collection; none of it was used to write or tune the check —
its development cases are in tests/unit/test_judge_consistency.py):
- `judge_consistency_smollm2.jsonl`: real outputs of SmolLM2-135M-Instruct (llama.cpp server) to the
  project's judge prompts, chain and step mode, over the bundled sample's math chains
  (tests/tools/collect_judge_outputs.py), one line per rated step;
- `judge_consistency_handwritten.jsonl`: outputs written by hand in the styles of larger judges
  (GPT-4o's polished sentences, Qwen's terse ones, DeepSeek-R1 thinking aloud, Llama's "the
  student ...", prose, LaTeX, informal English, hedges).
Each line has `rating`, `reason` and the hand label `contradicts`: read as a whole, the reason says
the opposite of the rating (an error announced under +1, correctness under -1).

Figures per source, overall and over distinct (rating, reason) pairs (the small model repeats its
favourite sentences): contradictions caught (true positives), missed, consistent ratings wrongly
abstained (false positives), precision and recall of `contradiction()`. For the SmolLM2
outputs also what the stock-reason check abstains (the same sentence one answer gave to different
steps), by itself and together with the contradictions: how many of the small model's ratings
survive. Exit 1 if the contradiction check's precision falls under `PRECISION_FLOOR`.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.labelers.judge_consistency import contradiction, stock_reasons  # noqa: E402
from steplabel.pipeline.labelers.judge_output import DERIVED_REASONS  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
FILES = ("judge_consistency_smollm2.jsonl", "judge_consistency_handwritten.jsonl")
PRECISION_FLOOR = 0.9


def _scores(items: list[dict[str, Any]]) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    wrongly = []
    for it in items:
        flagged = contradiction(it["rating"], it["reason"]) is not None
        if flagged and it["contradicts"]:
            tp += 1
        elif flagged:
            fp += 1
            wrongly.append({"rating": it["rating"], "reason": it["reason"][:120]})
        elif it["contradicts"]:
            fn += 1
        else:
            tn += 1
    return {"ratings": len(items), "contradictions": tp + fn, "caught": tp, "missed": fn,
            "consistent_wrongly_abstained": fp, "consistent_kept": tn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None, "wrongly_abstained": wrongly}


def _stock(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The stock-reason check over each answer's (chain mode) or each chain's (step mode) reasons."""
    groups: dict[tuple, dict[int, dict[str, Any]]] = defaultdict(dict)
    for it in items:
        if it["reason"] not in DERIVED_REASONS and it["step_text"] is not None:  # the labeler drops other indices
            groups[(it["mode"], it["chain_id"])][it["step"]] = it
    stock = contradicted = either = 0
    for steps in groups.values():
        found = stock_reasons({s: it["reason"] for s, it in steps.items()},
                              {s: it["step_text"] for s, it in steps.items()})
        for s, it in steps.items():
            c = contradiction(it["rating"], it["reason"]) is not None
            stock += s in found
            contradicted += c
            either += c or s in found
    rated = sum(len(steps) for steps in groups.values())
    return {"ratings_with_reasons": rated, "stock_abstained": stock, "contradiction_abstained": contradicted,
            "abstained_by_either": either, "ratings_kept": rated - either}


def main() -> int:
    sources: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name in FILES:
        for line in (DATA / name).read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                sources[item["source"].split(":")[0]].append(item)
    every = [it for items in sources.values() for it in items]
    distinct = list({(it["rating"], it["reason"]): it for it in every}.values())  # a small model repeats itself
    figures = {"outputs": {s: len(items) for s, items in sources.items()},
               **{s: _scores(items) for s, items in sorted(sources.items())},
               "all": _scores(every), "all_distinct_pairs": _scores(distinct)}
    figures["all_distinct_pairs"].pop("wrongly_abstained")
    if "smollm2" in sources:
        figures["smollm2_stock"] = _stock(sources["smollm2"])
    figures["all"].pop("wrongly_abstained")
    precision = figures["all"]["precision"]
    figures["pass"] = precision is not None and precision >= PRECISION_FLOOR
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    return 0 if figures["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
