"""Math-Shepherd's layout, as OpenRLHF's process-reward dataset reads it (`openrlhf.cli.train_prm`
with `--input_key input --label_key label --placeholder_token ки --reward_tokens + -`; OpenRLHF up
to 0.9.5: `train_prm` was removed on 2026-03-19, from 0.9.6 on).

`input` is the problem followed by every step, each step ending in the placeholder; `label` holds
one reward token per placeholder, in order. OpenRLHF puts label k at the k-th placeholder token of
the tokenized input, so a step whose own text contains the placeholder would shift every label
after it: such a chain is skipped with its reason.
"""
from __future__ import annotations

from typing import Any

from .base import ExportOptions, Skip, labeled_steps


def record(chain: dict[str, Any], options: ExportOptions) -> dict[str, Any]:
    steps = labeled_steps(chain, options)
    tag = options.placeholder
    if tag in chain["problem"] or any(tag in s["text"] for s, _ in steps):
        raise Skip("text contains the placeholder")
    body = "\n".join(f"{s['text']} {tag}" for s, _ in steps)
    return {
        "input": f"{chain['problem']} {body}",
        "label": [options.positive_token if ok else options.negative_token for _, ok in steps],
        "problem": chain["problem"],  # where the problem ends in `input` (steplabel's importer reads it back)
        "chain_id": chain["chain_id"],
    }
