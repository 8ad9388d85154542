"""Train a process reward model on a steplabel tokens export with `transformers` alone.

    steplabel export out/my-build --format tokens --tokenizer Qwen/Qwen2.5-0.5B --to exports/tokens
    python examples/train_prm.py exports/tokens --model Qwen/Qwen2.5-0.5B --out prm/
    steplabel score prm/ --input processbench.json --out scored/ && steplabel eval processbench scored/

A token classifier with two labels (0 incorrect, 1 correct) on top of the base model, trained
where the export put a label (each step's separator) and nowhere else (-100). The export is read
as it is: `datasets` loads its Parquet, `DataCollatorForTokenClassification` pads `input_ids` and
`labels`, the Trainer drops the columns the model does not take. No packing: each chain is its own
sequence. An export made with `--soft` holds scores (floats): they are trained with a soft cross
entropy, and padded as floats (the stock collator casts labels to integers).

The model's tokenizer must be the export's (same vocabulary, same separator ids): a mismatch is
refused. The trained model is saved with its tokenizer and `steplabel.json` (the export's layout),
which `steplabel score` reads, so it scores chains in the layout it was trained on.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def soft_collator(tokenizer):
    """DataCollatorForTokenClassification, with the labels kept as floats (scores)."""
    import torch
    from transformers import DataCollatorForTokenClassification

    pad = DataCollatorForTokenClassification(tokenizer)

    def collate(features):
        labels = [f.pop("labels") for f in features]
        batch = pad(features)
        width = batch["input_ids"].shape[1]
        batch["labels"] = torch.tensor([list(l) + [-100.0] * (width - len(l)) for l in labels])
        return batch

    return collate


def soft_loss(outputs, labels, num_items_in_batch=None):
    """Cross entropy against P(correct) = the label, at labeled positions only."""
    import torch

    mask = labels != -100
    logp = torch.log_softmax(outputs.logits[mask].float(), dim=-1)
    target = labels[mask].float()
    loss = -(target * logp[:, 1] + (1 - target) * logp[:, 0]).sum()
    return loss / (num_items_in_batch if num_items_in_batch is not None else mask.sum().clamp(min=1))


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("export", type=Path, help="a tokens export folder (with export.json and data/*.parquet)")
    p.add_argument("--model", required=True, help="the base model: a Hub id or a folder, with the export's tokenizer")
    p.add_argument("--out", required=True, type=Path, help="where the trained model is saved")
    p.add_argument("--learning-rate", type=float, default=1e-5)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=-1, help="stop after this many steps (default: the epochs)")
    p.add_argument("--batch-size", type=int, default=4, help="chains per device and step")
    p.add_argument("--max-length", type=int, help="leave out longer chains (the export already cut at its own)")
    p.add_argument("--log-every", type=int, default=10, help="steps between loss lines")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    import torch
    from datasets import load_dataset
    from transformers import (AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification,
                              Trainer, TrainingArguments)

    receipt = json.loads((args.export / "export.json").read_text())
    layout = receipt["layout"]
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    if tokenizer.encode(layout["separator"], add_special_tokens=False) != layout["separator_ids"] \
            or len(tokenizer) != receipt["tokenizer"]["vocab_size"]:
        sys.exit(f"{args.model}'s tokenizer is not the export's ({receipt['tokenizer']['name_or_path']}): "
                 "export again with --tokenizer set to the model")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # padding is masked out; any id will do

    data = load_dataset("parquet", data_files=str(args.export / "data" / "*.parquet"), split="train")
    if args.max_length:
        data = data.filter(lambda row: len(row["input_ids"]) <= args.max_length)
    soft = data.features["labels"].feature.dtype.startswith("float")

    model = AutoModelForTokenClassification.from_pretrained(
        args.model, num_labels=2, id2label={0: "incorrect", 1: "correct"}, label2id={"incorrect": 0, "correct": 1})
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    training = TrainingArguments(
        output_dir=str(args.out), learning_rate=args.learning_rate, num_train_epochs=args.epochs,
        max_steps=args.max_steps, per_device_train_batch_size=args.batch_size, logging_steps=args.log_every,
        save_strategy="no", report_to="none", seed=args.seed, bf16=bf16, dataloader_num_workers=0)
    trainer = Trainer(model=model, args=training, train_dataset=data, processing_class=tokenizer,
                      data_collator=soft_collator(tokenizer) if soft else DataCollatorForTokenClassification(tokenizer),
                      compute_loss_func=soft_loss if soft else None)
    trainer.train()

    trainer.save_model(str(args.out))
    tokenizer.save_pretrained(str(args.out))
    losses = [round(h["loss"], 4) for h in trainer.state.log_history if "loss" in h]
    (args.out / "steplabel.json").write_text(json.dumps({
        "head": "token classification: label 1 = correct, 0 = incorrect, at each step's separator",
        "layout": layout, "soft": soft,
        "trained_on": {k: receipt.get(k) for k in ("build_id", "config_hash")} | {"export": str(args.export)},
        "steps": trainer.state.global_step, "losses": losses,
    }, indent=2) + "\n")
    print(json.dumps({"model": str(args.out), "rows": len(data), "steps": trainer.state.global_step,
                      "losses": losses}))


if __name__ == "__main__":
    main(sys.argv[1:])
