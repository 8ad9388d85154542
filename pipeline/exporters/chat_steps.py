"""Step-by-step conversations as RLHFlow trains its PRMs (RLHFlow/RLHF-Reward-Modeling `math/`, data
like `RLHFlow/Mistral-PRM-Data`, trained as chat SFT, e.g. with axolotl): `conversations` alternate
one user turn per step (the first also carries the problem) and an assistant turn `+` or `-`.
The reward tokens are the Math-Shepherd options' `positive_token` / `negative_token`.
"""
from __future__ import annotations

from typing import Any

from .base import ExportOptions, labeled_steps


def record(chain: dict[str, Any], options: ExportOptions) -> dict[str, Any]:
    conversation = []
    for i, (step, ok) in enumerate(labeled_steps(chain, options)):
        content = f"{chain['problem']} {step['text']}" if i == 0 else step["text"]
        conversation.append({"role": "user", "content": content})
        conversation.append({"role": "assistant", "content": options.positive_token if ok else options.negative_token})
    return {"conversations": conversation, "chain_id": chain["chain_id"]}
