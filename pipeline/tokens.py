"""One chain as token ids for a process reward model: the layout the export trains on and `score` reads.

The layout is the one TRL's `PRMTrainer.tokenize_row` built (the same from TRL 0.29.1 to 1.13.0,
the last with a PRM trainer), so a model trained on our export sees what a model trained with TRL saw:

    [bos] problem  step_0 sep  step_1 sep  ...  step_k sep

each piece tokenized on its own (`add_special_tokens=False`), the separator's ids appended after
every step, a step's label on the last token of its separator, and the sequence cut at
`max_length`: a step whose separator falls beyond the cut has no label. Positions are known by
construction, never found by searching for the separator, so a step whose text holds the
separator cannot shift a label.

Needs `transformers` (`pip install 'steplabel[train]'`) to load a tokenizer; nothing here imports
torch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

DEFAULT_SEPARATOR = "\n"  # TRL's PRMConfig.step_separator
DEFAULT_MAX_LENGTH = 2048
IGNORE = -100  # the label PyTorch's cross entropy (and DataCollatorForTokenClassification's padding) skip


class TokenizerError(ValueError):
    """The tokenizer cannot be loaded or cannot do what the layout needs; the message is one line."""


@dataclass(frozen=True)
class Layout:
    """How chains become ids: the separator (text and ids), the bos id, the cut."""

    separator: str
    separator_ids: tuple[int, ...]
    bos_id: int | None
    max_length: int

    @classmethod
    def of(cls, tokenizer: Any, separator: str = DEFAULT_SEPARATOR,
           max_length: int = DEFAULT_MAX_LENGTH) -> "Layout":
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2, got {max_length}")
        if not separator:
            raise ValueError("the step separator must not be empty")
        ids = tuple(tokenizer.encode(separator, add_special_tokens=False))
        if not ids:
            raise TokenizerError(f"the tokenizer encodes the separator {separator!r} to no token")
        return cls(separator, ids, tokenizer.bos_token_id, max_length)


@dataclass
class Encoded:
    input_ids: list[int]
    positions: list[int]  # the label position of each step that fits, in step order
    steps: int  # steps given

    @property
    def cut(self) -> int:
        """Steps whose separator fell beyond max_length."""
        return self.steps - len(self.positions)


def encode_pieces(problem_ids: Sequence[int], step_ids: Sequence[Sequence[int]], layout: Layout) -> Encoded:
    """The layout from already tokenized pieces (callers tokenize many texts in one batch)."""
    ids: list[int] = [] if layout.bos_id is None else [layout.bos_id]
    ids += problem_ids
    positions: list[int] = []
    for step in step_ids:
        ids += step
        ids += layout.separator_ids
        if len(ids) > layout.max_length:
            break
        positions.append(len(ids) - 1)
    return Encoded(ids[:layout.max_length], positions, len(step_ids))


def encode_chains(tokenizer: Any, chains: Sequence[tuple[str, Sequence[str]]], layout: Layout) -> list[Encoded]:
    """(problem, step texts) per chain, tokenized in one batch call (the fast tokenizers' own
    threads do the work), then laid out."""
    texts: list[str] = []
    for problem, steps in chains:
        texts.append(problem)
        texts.extend(steps)
    ids = _ids(tokenizer, texts) if texts else []
    out, at = [], 0
    for _, steps in chains:
        out.append(encode_pieces(ids[at], ids[at + 1:at + 1 + len(steps)], layout))
        at += 1 + len(steps)
    return out


def for_workers(tokenizer: Any) -> Any:
    """What workers need to tokenize: the Rust tokenizer alone when it gives the ids the transformers
    call would (no padding or truncation set, special tokens read as the call reads them), so a
    worker neither imports transformers nor builds a BatchEncoding per text; else the tokenizer."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or backend.padding is not None or backend.truncation is not None \
            or backend.encode_special_tokens != bool(getattr(tokenizer, "split_special_tokens", False)):
        return tokenizer
    return backend


def _ids(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    """`tokenizer(texts, add_special_tokens=False)["input_ids"]`, from the Rust tokenizer where it can."""
    from tokenizers import Tokenizer

    tokenizer = for_workers(tokenizer)
    if isinstance(tokenizer, Tokenizer):
        return [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
    return tokenizer(texts, add_special_tokens=False)["input_ids"]


def _looks_local(name: str) -> bool:
    """A name the user meant as a folder: a Hub id is `name` or `owner/name`, nothing more."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name


def load_tokenizer(name: str) -> Any:
    """A tokenizer from a local folder or the Hub (`owner/name`); one line when there is none."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise TokenizerError("tokenizers are loaded with transformers: pip install 'steplabel[train]'") from None
    path = Path(name).expanduser()
    if not path.exists() and _looks_local(name):
        raise TokenizerError(f"tokenizer {name}: no such folder")
    try:
        return AutoTokenizer.from_pretrained(str(path) if path.exists() else name)
    except (OSError, ValueError) as exc:
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        where = "in that folder" if path.exists() else "locally or on the Hub"
        raise TokenizerError(f"tokenizer {name}: none found {where} ({first.strip()})") from None


def describe(tokenizer: Any, name: str) -> dict[str, Any]:
    """What export.json and a trained model's steplabel.json record about the tokenizer."""
    return {"name_or_path": name, "class": type(tokenizer).__name__, "vocab_size": len(tokenizer),
            "bos_token_id": tokenizer.bos_token_id, "pad_token_id": tokenizer.pad_token_id}
