"""The exporters' registry: a format is one module with one function, plus one line here.

A `record` function turns one chain row into one JSONL record (or raises `Skip(reason)`); a
`write` function writes a whole folder itself. `feeds` says which trainer and version it is for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import chat_steps, hf, math_shepherd, prm800k, trl


@dataclass(frozen=True)
class Format:
    feeds: str
    record: Optional[Callable[..., dict[str, Any]]] = None  # (chain, options) -> JSONL record
    write: Optional[Callable[..., None]] = None  # (out, target, options, report) -> None


EXPORTERS: dict[str, Format] = {
    "trl": Format("TRL <= 1.13: trl.experimental.prm.PRMTrainer (stepwise prompt/completions/labels)", trl.record),
    "math-shepherd": Format("OpenRLHF <= 0.9 train_prm (input with ки per step, label +/-)", math_shepherd.record),
    "chat-steps": Format("RLHFlow-style chat SFT (conversations, a +/- reply per step)", chat_steps.record),
    "prm800k": Format("PRM800K JSONL readers (label.steps[].completions[].rating)", prm800k.record),
    "hf": Format("Hugging Face datasets (data/*.parquet + card)", write=hf.write),
}
