"""A tokenizer and a token-classification model made here, offline: a byte-level BPE trained with
the `tokenizers` library on the texts given (nothing from a hub), and a two-layer Llama with random
weights. Small enough to train a few steps on a CPU inside the test suite."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable


def make_tokenizer(texts: Iterable[str], folder: Path, vocab_size: int = 512) -> Path:
    """A byte-level BPE tokenizer trained on `texts`, saved as a transformers tokenizer folder."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=1, special_tokens=["<pad>", "<s>", "</s>"])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<pad>", bos_token="<s>", eos_token="</s>")
    tokenizer.save_pretrained(folder)
    return folder


def make_model(tokenizer_folder: Path, folder: Path, seed: int = 0) -> Path:
    """A tiny randomly initialised Llama for token classification (2 labels), saved with its tokenizer."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForTokenClassification

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_folder)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=2048, num_labels=2,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    LlamaForTokenClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
