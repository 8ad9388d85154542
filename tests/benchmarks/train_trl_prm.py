"""Our `trl` export feeds TRL's PRM trainer: 5 steps of `trl.experimental.prm.PRMTrainer` (TRL 0.29;
TRL's wheels carry it up to 1.13.0) on a tiny randomly initialised Llama token classifier, with a
byte-level BPE tokenizer trained here on the export's own text (nothing from a hub). Prints the
losses as JSON. Not part of the test suite: it needs torch and trl 0.29, which steplabel does not.

    pip install torch==2.13.0 'trl==0.29.*'     # a CPU torch
    python tests/benchmarks/train_trl_prm.py [OUT]   # OUT: a build (default: build the bundled sample, ~2 min)
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing is fetched: model and tokenizer are made here
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from steplabel.pipeline.export import export  # noqa: E402


def sample_build(root: Path) -> Path:
    """The bundled sample with its annotations in the merge order (as tests/integration/test_build.py's
    `human_build`): every chain has a rated prefix, so the export has both labels to learn."""
    from steplabel.pipeline.build import run_build
    from steplabel.pipeline.config import load_config

    config = load_config().with_overrides(out=str(root / "sample"))
    config.merge.order = ["outcome", "human"]
    return run_build(config).out


def tokenizer_from(texts: list[str]):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=512, min_frequency=1, special_tokens=["<pad>", "<s>", "</s>"])
    return PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<pad>", bos_token="<s>", eos_token="</s>")


def main(argv: list[str]) -> None:
    import torch
    import trl
    from datasets import load_dataset
    from transformers import LlamaConfig, LlamaForTokenClassification
    from trl.experimental.prm import PRMConfig, PRMTrainer

    torch.manual_seed(0)
    work = Path(tempfile.mkdtemp(prefix="steplabel-trl-"))
    out = Path(argv[0]) if argv else sample_build(work)
    report = export(out, "trl", work / "trl")
    data = load_dataset("json", data_files=str(work / "trl" / "trl.jsonl"), split="train")
    tokenizer = tokenizer_from([r["prompt"] + "\n" + "\n".join(r["completions"]) for r in data])
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=1024, num_labels=2,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    model = LlamaForTokenClassification(config)
    args = PRMConfig(output_dir=str(work / "run"), max_steps=5, per_device_train_batch_size=8, learning_rate=1e-3,
                     logging_steps=1, save_strategy="no", report_to="none", bf16=False, use_cpu=True,
                     gradient_checkpointing=False, max_length=512, seed=0, dataloader_num_workers=0)
    trainer = PRMTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer)
    started = time.perf_counter()
    trainer.train()
    losses = [round(h["loss"], 4) for h in trainer.state.log_history if "loss" in h]
    print(json.dumps({
        "build": str(out), "trl": trl.__version__, "torch": torch.__version__,
        "records": len(data), "skipped": report.skipped,
        "labels_true": sum(sum(r["labels"]) for r in data), "labels": sum(len(r["labels"]) for r in data),
        "model_parameters": sum(p.numel() for p in model.parameters()), "vocab": len(tokenizer),
        "steps": trainer.state.global_step, "losses": losses, "seconds": round(time.perf_counter() - started, 2),
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
