"""Import speed: records and chains per second through our reader and importer (checked fields,
content ids, duplicate detection, per-file counts), against reading the same JSONL with `datasets`
(the reference loader users have) in the same run. Prints one JSON object.

    python tests/benchmarks/bench_import.py [--data ../shared/data/gsm8k/example_model_solutions.jsonl] [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from steplabel.pipeline.config import InputConfig
from steplabel.pipeline.sources import Intake, iter_chains

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT, help="GSM8K's example_model_solutions.jsonl")
    ap.add_argument("--repeat", type=int, default=5, help="copies of the file (as separate lines)")
    args = ap.parse_args()
    if not args.data.exists():
        raise SystemExit(f"reference data not found at {args.data}")
    tmp = Path(tempfile.mkdtemp(prefix="steplabel-bench-import-"))
    try:
        path = tmp / "input.jsonl"
        text = args.data.read_text()
        path.write_text(text * args.repeat)  # repeated records: the duplicate check quarantines the copies

        start = time.perf_counter()
        intake = Intake()
        chains = sum(1 for _ in iter_chains(InputConfig(kind="gsm8k_solutions", path=str(path)), None, intake))
        ours = time.perf_counter() - start

        import datasets

        datasets.disable_progress_bars()
        start = time.perf_counter()
        ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp / "hf"),
                                   keep_in_memory=True)
        reference_rows = sum(1 for _ in ds)
        reference = time.perf_counter() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({
        "records": intake.records, "chains": chains, "reference_rows": reference_rows,
        "ours_s": round(ours, 2), "ours_records_per_s": round(intake.records / ours),
        "ours_chains_per_s": round(chains / ours),
        "datasets_json_s": round(reference, 2), "datasets_records_per_s": round(reference_rows / reference),
        "ratio_ours_to_datasets_time": round(ours / reference, 2),
        "loadavg": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
