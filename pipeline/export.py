"""Run an exporter over a build: the chains in, the format's files and `export.json` out.

Every export is a folder holding its files and `export.json`: the build id and config hash it
came from, the options, counts, and what was skipped and why. Without `to` it is
`OUT/exports/<name>-<build id>/<format>/`, so two builds never share a folder (and `datasets`
never serves one build's cached rows for another's). Formats live in `exporters/` (one module
each, one registry line).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

from .exporters import EXPORTERS, Format
from .exporters.base import ExportOptions, ExportReport, Skip
from .atomic import atomic_path, write_atomic
from .store import read_chains, read_manifest

__all__ = ["EXPORTERS", "ExportOptions", "ExportReport", "export", "export_folder"]


def export_folder(out: Path) -> Path:
    """`OUT/exports/<name>-<build id>`: the default home of this build's exports."""
    return out / "exports" / export_name(read_manifest(out) or {})


def export_name(manifest: dict[str, Any]) -> str:
    """`<name>-<build id>` of a build's manifest, safe as a folder name."""
    build_id = (manifest.get("build") or {}).get("build_id") or "unknown-build"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(manifest.get("name") or "steplabel")).strip("-.") or "steplabel"
    return f"{name}-{build_id}"


def _chains(out: Path, batch: int = 2048) -> Iterator[dict[str, Any]]:
    table = read_chains(out)
    for offset in range(0, table.num_rows, batch):
        yield from table.slice(offset, batch).to_pylist()


def _write_jsonl(fmt: Format, out: Path, path: Path, options: ExportOptions, report: ExportReport) -> None:
    with atomic_path(path) as tmp, tmp.open("w") as f:
        for chain in _chains(out):
            report.read += 1
            try:
                record = fmt.record(chain, options)
            except Skip as why:
                report.skip(str(why))
                continue
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            report.written += 1
    report.files.append(path.name)


def export(out: str | Path, fmt: str, to: str | Path | None = None,
           options: Optional[ExportOptions] = None, **option_values: Any) -> ExportReport:
    """Write format `fmt` of the build in `out` into the folder `to`; returns what was written and skipped.

    Options come as an `ExportOptions` or as its fields (`neutral="incorrect"`)."""
    out = Path(out)
    manifest = read_manifest(out)
    if manifest is None:
        raise FileNotFoundError(f"{out} is not a steplabel build")
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown export format {fmt!r}; choose {', '.join(EXPORTERS)}")
    format_, options = EXPORTERS[fmt], options or ExportOptions(**option_values)
    target = Path(to or export_folder(out) / fmt)
    if target.suffix == ".jsonl":
        raise ValueError(f"--to names a folder (the export writes its files and export.json there), not {target}")
    target.mkdir(parents=True, exist_ok=True)
    report = ExportReport(target, options=options)
    if format_.record is not None:
        _write_jsonl(format_, out, target / f"{fmt}.jsonl", options, report)
    else:
        format_.write(out, target, options, report)
    build = manifest.get("build") or {}
    write_atomic(target / "export.json", json.dumps({
        "format": fmt,
        "feeds": format_.feeds,
        "build_id": build.get("build_id"),
        "config_hash": build.get("config_hash"),
        "steplabel_version": build.get("steplabel_version"),
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": vars(options),
        "files": report.files,
        "counts": {"chains_read": report.read, "written": report.written,
                   "skipped": sum(report.skipped.values())},
        "skipped": dict(sorted(report.skipped.items())),
    }, indent=2, ensure_ascii=False) + "\n")
    return report
