"""Test support: the loopback OpenAI-compatible server and helpers to script it."""

import json
from pathlib import Path
from typing import Any, Optional

SAMPLE_MATH = Path(__file__).resolve().parents[2] / "pipeline" / "sample" / "math.jsonl"


def sample_problems(path: Optional[Path] = None, limit: Optional[int] = None) -> list[dict[str, Any]]:
    """Problems of the bundled math sample (`problem`, `reference.answer`, `chains[{text, first_error, kind}]`)."""
    rows = [json.loads(line) for line in Path(path or SAMPLE_MATH).read_text().splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def scripts_from_sample(problems: list[dict[str, Any]], judge_style: str = "json") -> dict[str, Any]:
    """A server script whose policy writes the sample's chains (chain j for seed+j) and whose judge
    rates each chain by its gold first error (matched by all of the chain's blank-line steps)."""
    policy = {p["problem"]: [c["text"] for c in p["chains"]] for p in problems}
    judge = []
    for p in problems:
        for c in p["chains"]:
            steps = [s.strip() for s in c["text"].split("\n\n") if s.strip()]
            judge.append({"match": [p["problem"], *steps], "first_error": c["first_error"]})
    return {"policy": policy, "judge": judge, "judge_style": judge_style}
