"""The tokens export at scale: chains/s, and the driver's peak RSS at 10,000 and 100,000 chains.

Builds of GSM8K's example model solutions (../shared/data; imported by the build's own importer,
one step per line, rated +1 with the last step -1 where the source says the answer is wrong) are
written as real shards of 1,000 chains, then exported with `export_tokens` (Ray actors over the
shards) in a fresh driver process per size, which reports its own peak RSS. The tokenizer is a
byte-level BPE of 32,000 tokens trained here with `tokenizers` on the same text (no hub), or any
tokenizer folder given with --tokenizer.

Reference, same run, same tokenizer and options: TRL's `PRMTrainer.tokenize_row` (0.29.1; the
same in 1.13.0, the last TRL with a PRM trainer) mapped with `datasets` (2 processes) over our `trl` export of the
same build, as PRMTrainer did; loading is outside its timing. The first rows of both are
compared id for id. Skipped (and said) when trl 0.29 is not installed.

    pip install -e '.[train]' && pip install --no-deps 'trl==0.29.1'   # trl only for the reference
    python tests/benchmarks/bench_tokens_export.py [--sizes 10000,100000] [--tokenizer DIR]

Pass: the driver's peak RSS at the largest size is no more than 5 % above that at the smallest.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"
SHARD = 1000


def write_gsm8k_build(data: Path, chains: int, out: Path) -> Path:
    """`chains` chains of the GSM8K solutions as a finished build in `out` (real shards and manifest)."""
    from steplabel.pipeline.config import InputConfig, load_config
    from steplabel.pipeline.schema import rows_to_table
    from steplabel.pipeline.sources import iter_chains
    from steplabel.pipeline.store import shard_name, write_manifest, write_shard

    per_copy = 4 * sum(1 for _ in data.open())
    source = iter_chains(InputConfig(kind="gsm8k_solutions", path=str(data), repeat=math.ceil(chains / per_copy)))
    shards, batch = {}, []

    def flush() -> None:
        n = len(shards)
        counts = write_shard(out, n, rows_to_table([dict(r, shard=n) for r in batch]))
        shards[str(n)] = {"status": "done", "file": f"data/{shard_name(n)}", **counts}
        batch.clear()

    for i, row in zip(range(chains), source):
        wrong = any(v["rating"] == -1 for s in row["steps"] for v in s["verdicts"])
        for k, step in enumerate(row["steps"]):
            step["rating"] = -1 if wrong and k == len(row["steps"]) - 1 else 1
            step["decided_by"] = "source_outcome"
        row["build"] = {"build_id": f"bench{chains}"}
        batch.append(row)
        if len(batch) == SHARD:
            flush()
    if batch:
        flush()
    write_manifest(out, {"name": "bench-tokens", "status": "done", "shards": shards,
                         "config": load_config().model_dump(mode="json"),
                         "build": {"build_id": f"bench{chains}", "config_hash": "bench"}})
    return out


def make_tokenizer(data: Path, folder: Path) -> Path:
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    def texts():
        for line in data.open():
            record = json.loads(line)
            yield record["question"]
            yield record["ground_truth"]
            yield from (e["solution"] for e in record.values() if isinstance(e, dict) and "solution" in e)

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts(), vocab_size=32000, min_frequency=2, special_tokens=["<pad>", "<s>", "</s>"])
    PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<pad>", bos_token="<s>",
                            eos_token="</s>").save_pretrained(folder)
    return folder


def child(build: str, tokenizer: str, to: str) -> None:
    """One export in this (fresh) process: the driver whose peak RSS is measured."""
    from steplabel.pipeline.build import init_ray
    from steplabel.pipeline.export_tokens import TokenOptions, export_tokens

    started = time.perf_counter()
    init_ray(None)  # outside the timing, as the reference's imports are: its pool's processes are inside, as our actors
    ray_start = time.perf_counter() - started
    report = export_tokens(build, TokenOptions(tokenizer), to=to)
    print(json.dumps({"seconds": report.seconds, "ray_start_s": round(ray_start, 1),
                      "counts": {k: v for k, v in report.counts.items() if k != "skipped"},
                      "driver_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def reference(build: Path, tokenizer: str, work: Path, check: Path) -> dict:
    """TRL's tokenize_row over our trl export with datasets.map; the first rows compared with ours."""
    try:
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
        from trl.experimental.prm import PRMTrainer
    except ImportError:
        return {"skipped": "trl 0.29 is not installed (pip install --no-deps 'trl==0.29.1')"}
    import pyarrow.parquet as pq
    from datasets import disable_progress_bars, features, load_dataset
    from transformers import AutoTokenizer

    from steplabel.pipeline.export import export

    disable_progress_bars()
    export(build, "trl", work / "trl")
    data = load_dataset("json", data_files=str(work / "trl" / "trl.jsonl"), split="train")
    tok = AutoTokenizer.from_pretrained(tokenizer)
    kwargs = {"tokenizer": tok, "step_separator": "\n", "max_length": 2048, "max_completion_length": None,
              "train_on_last_step_only": False, "is_eval": False}
    started = time.perf_counter()
    int64s = features.Sequence(features.Value("int64"))  # as PRMTrainer: else map casts the labels to bool
    mapped = data.map(PRMTrainer.tokenize_row, fn_kwargs=kwargs, num_proc=2, remove_columns=data.column_names,
                      features=features.Features({"labels": int64s, "input_ids": int64s}))
    seconds = time.perf_counter() - started
    ours = pq.read_table(check).to_pylist()
    by_id = {r["chain_id"]: i for i, r in enumerate(data.select_columns(["chain_id"]).to_list())}
    same = sum(mapped[by_id[r["chain_id"]]]["input_ids"] == r["input_ids"]
               and mapped[by_id[r["chain_id"]]]["labels"] == r["labels"] for r in ours)
    return {"seconds": round(seconds, 2), "chains_per_s": round(len(data) / seconds, 1), "rows": len(data),
            "first_shard_rows_identical": f"{same}/{len(ours)}"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--tokenizer", help="a tokenizer folder (default: a 32k BPE trained here on the data)")
    parser.add_argument("--data", type=Path, default=DATA, help="GSM8K's example_model_solutions.jsonl")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("BUILD", "TOKENIZER", "TO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    if not args.data.exists():
        raise SystemExit(f"reference data not found at {args.data}")
    work = Path(tempfile.mkdtemp(prefix="steplabel-bench-tokens-"))
    tokenizer = args.tokenizer or str(make_tokenizer(args.data, work / "tokenizer"))
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        build = write_gsm8k_build(args.data, size, work / f"build-{size}")
        written = time.perf_counter() - started
        run = subprocess.run([sys.executable, __file__, "--child", str(build), tokenizer, str(work / f"tokens-{size}")],
                             capture_output=True, text=True, check=False)
        if run.returncode:
            raise SystemExit(run.stderr[-3000:])
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        figures["chains_per_s"] = round(figures["counts"]["chains_read"] / figures["seconds"], 1)
        figures["build_written_s"] = round(written, 1)
        results[size] = figures
        print(json.dumps({"size": size, **figures}), flush=True)
    small, large = results[min(results)], results[max(results)]
    summary = {
        "tokenizer": tokenizer, "load": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
        "chains_per_s": {size: r["chains_per_s"] for size, r in results.items()},
        "driver_peak_rss_mb": {size: round(r["driver_peak_rss_mb"], 1) for size, r in results.items()},
        "pass": large["driver_peak_rss_mb"] <= small["driver_peak_rss_mb"] * 1.05,
    }
    if not args.no_reference:
        largest = max(results)
        summary["reference_trl_tokenize_row"] = reference(work / f"build-{largest}", tokenizer, work,
                                                          work / f"tokens-{largest}" / "data" / "shard-00000.parquet")
        ref = summary["reference_trl_tokenize_row"]
        if "chains_per_s" in ref:
            summary["ratio_vs_reference"] = round(results[largest]["chains_per_s"] / ref["chains_per_s"], 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
