"""A Hugging Face dataset folder (`data/*.parquet`, the card and its pictures), loadable with
`datasets.load_dataset(folder)` and pushable with `push_to_hub`; every chain as stored."""
from __future__ import annotations

import shutil
from pathlib import Path

from ..atomic import atomic_path
from .base import ExportOptions, ExportReport


def write(out: Path, target: Path, options: ExportOptions, report: ExportReport) -> None:
    import pyarrow.parquet as pq

    (target / "data").mkdir(parents=True, exist_ok=True)
    parts = sorted((out / "data").glob("shard-*.parquet"))
    for stale in set((target / "data").glob("shard-*.parquet")) - {target / "data" / p.name for p in parts}:
        stale.unlink()  # a shard of another build exported here before would mix its rows in
    for part in parts:
        with atomic_path(target / "data" / part.name) as tmp:  # a reader never sees half a shard
            shutil.copyfile(part, tmp)
        report.files.append(f"data/{part.name}")
        rows = pq.read_metadata(part).num_rows
        report.read += rows
        report.written += rows
    for picture in sorted((out / "card").glob("*.png")):  # the card links them by relative path
        (target / "card").mkdir(exist_ok=True)
        shutil.copyfile(picture, target / "card" / picture.name)
        report.files.append(f"card/{picture.name}")
    shutil.copyfile(out / "README.md", target / "README.md")
    report.files.append("README.md")
