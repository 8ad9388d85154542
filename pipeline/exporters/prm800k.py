"""PRM800K's JSONL layout (`label.steps[].completions[].rating`), for tools written against OpenAI's
PRM800K release. Ratings are kept as they are (-1/0/+1): the neutral option does not apply.
"""
from __future__ import annotations

from typing import Any

from .base import ExportOptions, Skip


def record(chain: dict[str, Any], options: ExportOptions) -> dict[str, Any]:
    if chain["status"] != "labeled":
        raise Skip(f"status {chain['status']}")
    steps = []
    for step in chain["steps"]:
        if step["rating"] is None:
            break
        steps.append(step)
    errored = any(s["rating"] == -1 for s in steps)
    finish = "found_error" if errored else ("solution" if len(steps) == len(chain["steps"]) else "give_up")
    return {
        "question": {"problem": chain["problem"], "ground_truth_answer": chain["reference"]["answer"]},
        "label": {
            "steps": [
                {"completions": [{"text": s["text"], "rating": s["rating"], "flagged": False}],
                 "human_completion": None, "chosen_completion": 0}
                for s in steps
            ],
            "finish_reason": finish,
        },
        "steplabel": {"chain_id": chain["chain_id"], "decided_by": [s["decided_by"] for s in steps]},
    }
