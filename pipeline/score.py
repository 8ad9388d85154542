"""`steplabel score MODEL --input SET --out DIR`: a trained PRM's step scores, as one more labeler.

The model is a token classifier with two labels (what examples/train_prm.py trains; label 1 =
correct). Every step gets a verdict of a labeler named after the model: `score` = P(correct) at the
last token of the step's separator, `rating` +1 at or above the threshold, else -1; a step the
model cannot see (beyond its max length) gets an abstain that says so. The chains are laid out
as they were for training (tokens.py; MODEL/steplabel.json holds the export's separator and max
length), so `steplabel eval processbench DIR` scores the PRM next to the build's own labelers.

SET is a steplabel build (its rows keep their verdicts and merged ratings; the PRM's join them),
Parquet files of our chains table, or ProcessBench JSON / PRM800K JSONL / our JSONL, read by the
build's importers (their human labels come along as `human` verdicts). DIR is written as a build:
data/ and quarantine/ shards, and a manifest naming the model, its version (a hash of its
weights) and the input. Batches run on the GPU when torch finds one, else on the CPU, one
shard at a time: memory holds a shard, whatever the size of SET.
"""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pyarrow as pa

from . import __version__
from .config import InputConfig
from .place import LocalPlace, is_uri, place
from .schema import CHAINS_SCHEMA, rows_to_table
from .store import MANIFEST, read_manifest, shard_name, shard_paths, write_manifest, write_shard
from .tokens import DEFAULT_MAX_LENGTH, DEFAULT_SEPARATOR, Layout, TokenizerError, encode_chains, load_tokenizer

KINDS = ("auto", "build", "parquet", "processbench", "prm800k", "files")
RESERVED = {"human", "source_outcome", "merged"}  # names the evaluation reads as something else


class ScoreError(ValueError):
    """Scoring cannot start (model, input or output); the message is one line."""


@dataclass(frozen=True)
class ScoreOptions:
    threshold: float = 0.5
    batch_size: int = 8
    name: Optional[str] = None  # the labeler's name; default: the model's folder or Hub id
    separator: Optional[str] = None  # default: MODEL/steplabel.json's layout, else a newline
    max_length: Optional[int] = None  # default: the same, else the model's positions (at most 2048)
    device: Optional[str] = None  # default: cuda when torch finds it, else cpu
    kind: str = "auto"
    shard_size: int = 1000  # chains per output shard for inputs that are not a build


def _weights_version(folder: Path) -> str:
    """A short hash of the weight files: the verdicts' `version`, so two trainings never share one."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin") and p.name != "training_args.bin")
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as f:
            while chunk := f.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()[:12] if files else "unknown"


class PRM:
    """A loaded token-classification PRM that appends its verdicts to chain rows."""

    def __init__(self, model: str, options: ScoreOptions) -> None:
        try:
            import torch
            from transformers import AutoModelForTokenClassification
        except ImportError:
            raise ScoreError("scoring needs torch and transformers: pip install 'steplabel[train]'") from None
        self.torch, self.options = torch, options
        folder = Path(model).expanduser()
        try:
            self.tokenizer = load_tokenizer(model)
        except TokenizerError as exc:
            raise ScoreError(f"model {model}: {exc}") from None
        saved = json.loads((folder / "steplabel.json").read_text()) if (folder / "steplabel.json").is_file() else {}
        layout = saved.get("layout") or {}
        self.device = options.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device.startswith("cuda") and torch.cuda.is_bf16_supported() else torch.float32
        try:
            self.model = AutoModelForTokenClassification.from_pretrained(str(folder) if folder.exists() else model,
                                                                         dtype=dtype)
        except (OSError, ValueError) as exc:
            first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            raise ScoreError(f"model {model}: no token-classification model there ({first.strip()})") from None
        if self.model.config.num_labels != 2:
            raise ScoreError(f"model {model} has {self.model.config.num_labels} labels; a PRM here has 2 "
                             "(0 incorrect, 1 correct), as examples/train_prm.py trains")
        self.model.to(self.device).eval()
        positions = getattr(self.model.config, "max_position_embeddings", None) or DEFAULT_MAX_LENGTH
        self.layout = Layout.of(self.tokenizer, options.separator or layout.get("separator") or DEFAULT_SEPARATOR,
                                options.max_length or layout.get("max_length") or min(positions, DEFAULT_MAX_LENGTH))
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        self.name = options.name or (folder.resolve().name if folder.exists() else model)
        self.version = _weights_version(folder) if folder.exists() else str(
            getattr(self.model.config, "_commit_hash", None) or "hub")
        self.source = str(folder.resolve()) if folder.exists() else model

    def _verdict(self, rating: Optional[int], score: Optional[float], evidence: str, ms: float,
                 tokens: int) -> dict[str, Any]:
        return {"labeler": self.name, "version": self.version, "rating": rating, "score": score,
                "evidence": evidence, "cost": {"ms": ms, "tokens": tokens}, "cached": False}

    def score_rows(self, rows: list[dict[str, Any]]) -> None:
        """Append this model's verdict to every step of every row that is not quarantined (a verdict
        of the same labeler from an earlier scoring is replaced)."""
        torch = self.torch
        todo = [r for r in rows if r["status"] != "quarantined" and r["steps"]]
        encoded = encode_chains(self.tokenizer, [(r["problem"], [s["text"] for s in r["steps"]]) for r in todo],
                                self.layout)
        order = sorted(range(len(todo)), key=lambda i: len(encoded[i].input_ids))  # little padding per batch
        threshold = self.options.threshold
        for start in range(0, len(order), self.options.batch_size):
            batch = order[start:start + self.options.batch_size]
            width = max(len(encoded[i].input_ids) for i in batch)
            ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for j, i in enumerate(batch):
                n = len(encoded[i].input_ids)
                ids[j, :n] = torch.tensor(encoded[i].input_ids)
                mask[j, :n] = 1
            began = time.perf_counter()
            with torch.inference_mode():
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                correct = logits.float().softmax(-1)[..., 1].cpu()
            ms = (time.perf_counter() - began) * 1000 / len(batch)
            for j, i in enumerate(batch):
                enc, row = encoded[i], todo[i]
                for k, step in enumerate(row["steps"]):
                    step["verdicts"] = [v for v in step["verdicts"] if v["labeler"] != self.name]
                    if k < len(enc.positions):
                        p = float(correct[j, enc.positions[k]])
                        step["verdicts"].append(self._verdict(1 if p >= threshold else -1, p,
                                                              f"P(correct) = {p:.4f}, threshold {threshold}",
                                                              ms, len(enc.input_ids)))
                    else:
                        step["verdicts"].append(self._verdict(None, None, f"beyond max_length {self.layout.max_length}"
                                                              " tokens: the model did not see this step", ms, 0))


# --- inputs: shards of chain rows ---------------------------------------------------------------

def _kind(location: str) -> str:
    if (is_uri(location) or Path(location).is_dir()) and read_manifest(location) is not None:
        return "build"
    if location.endswith(".parquet") or (Path(location).is_dir() and any(Path(location).glob("*.parquet"))):
        return "parquet"
    path = Path(location)
    first = _first_record(path) if path.is_file() else None
    if isinstance(first, dict):
        if "steps" in first and "label" in first:
            return "processbench"
        if isinstance(first.get("label"), dict) and "question" in first:
            return "prm800k"
        if "chains" in first or "text" in first or "steps" in first:
            return "files"
    raise ScoreError(f"cannot tell what {location} holds: pass --kind ({', '.join(KINDS[1:])})")


def _first_record(path: Path) -> Any:
    with path.open("rb") as f:
        head = f.read(1 << 20).decode("utf-8", "replace").lstrip("\ufeff").lstrip()
    if head.startswith("["):  # a JSON list (ProcessBench): the first object in it
        try:
            return json.JSONDecoder().raw_decode(head[1:].lstrip())[0]
        except ValueError:
            return None
    try:
        return json.loads(head.splitlines()[0]) if head else None
    except ValueError:
        return None


def _build_shards(location: str) -> Iterator[tuple[int, pa.Table]]:
    where = place(location)
    numbers = sorted({int(Path(f).stem.split("-")[1]) for folder in ("data", "quarantine")
                      for f in shard_paths(where, folder)})
    for n in numbers:
        parts = [where.read_parquet(f"{folder}/{shard_name(n)}", schema=CHAINS_SCHEMA)
                 for folder in ("data", "quarantine") if where.exists(f"{folder}/{shard_name(n)}")]
        yield n, pa.concat_tables(parts)


def _parquet_shards(location: str) -> Iterator[tuple[int, pa.Table]]:
    import pyarrow.parquet as pq

    path = Path(location)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else sorted(Path(path.parent).glob(path.name))
    if not files:
        raise ScoreError(f"{location}: no Parquet files")
    for n, f in enumerate(files):
        yield n, pq.read_table(f, schema=CHAINS_SCHEMA)


def _imported_shards(location: str, kind: str, size: int) -> Iterator[tuple[int, pa.Table]]:
    from .sources import SourceError, iter_chains

    rows: list[dict[str, Any]] = []
    n = 0
    try:
        for row in iter_chains(InputConfig(kind=kind, path=location)):
            rows.append(row)
            if len(rows) == size:
                yield n, rows_to_table([dict(r, shard=n) for r in rows])
                rows, n = [], n + 1
    except SourceError as exc:
        raise ScoreError(str(exc)) from None
    if rows or n == 0:
        yield n, rows_to_table([dict(r, shard=n) for r in rows])


def input_shards(location: str, kind: str = "auto", size: int = 1000) -> tuple[str, Iterator[tuple[int, pa.Table]]]:
    kind = _kind(location) if kind == "auto" else kind
    if kind not in KINDS:
        raise ScoreError(f"unknown input kind {kind!r}; choose {', '.join(KINDS)}")
    if kind == "build":
        if read_manifest(location) is None:
            raise ScoreError(f"{location} is not a steplabel build (no {MANIFEST})")
        return kind, _build_shards(location)
    if kind == "parquet":
        return kind, _parquet_shards(location)
    if not Path(location).exists():
        raise ScoreError(f"{location}: no such file")
    return kind, _imported_shards(location, kind, size)


# --- the command ---------------------------------------------------------------------------------

@dataclass
class ScoreResult:
    out: str
    manifest: dict[str, Any]
    chains: int
    steps: int
    seconds: float


def score(model: str, input: str, out: str, options: Optional[ScoreOptions] = None,
          progress: Optional[Callable[[str], None]] = None) -> ScoreResult:
    """Score every chain of `input` with the PRM in `model`; write the scored rows as a build in `out`."""
    options = options or ScoreOptions()
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    if not 0.0 < options.threshold < 1.0:
        raise ScoreError(f"--threshold must lie between 0 and 1, got {options.threshold}")
    target = place(out)
    if isinstance(target, LocalPlace) and not Path(input).is_file() and \
            Path(input).expanduser().resolve() == target.root.expanduser().resolve():
        raise ScoreError("score writes a new build: give an --out other than the input")
    existing = read_manifest(target)
    if existing is not None and (existing.get("scored") or {}).get("input") != input:
        raise ScoreError(f"{out} holds another build; choose a new --out or delete it")
    kind, shards = input_shards(input, options.kind, options.shard_size)
    source = read_manifest(input) if kind == "build" else None
    prm = PRM(model, options)
    taken = {lab["name"] for lab in ((source or {}).get("build") or {}).get("labelers", [])} | RESERVED
    if prm.name in taken:
        raise ScoreError(f"the labeler name {prm.name!r} is taken in {input}: pass --name")
    old = (source or {}).get("build") or {}
    build = {"build_id": uuid.uuid4().hex[:12], "config_hash": old.get("config_hash", ""),
             "steplabel_version": __version__,
             "labelers": [lab for lab in old.get("labelers", []) if lab["name"] != prm.name]
             + [{"name": prm.name, "version": prm.version}],
             "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    scored = {"model": prm.source, "labeler": prm.name, "version": prm.version, "input": input, "kind": kind,
              "device": prm.device, "options": asdict(options),
              "layout": {"separator": prm.layout.separator, "separator_ids": list(prm.layout.separator_ids),
                         "max_length": prm.layout.max_length},
              "source_build": old.get("build_id")}
    manifest = {"name": f"{(source or {}).get('name') or Path(input).stem}-{prm.name}", "status": "running",
                "build": build, "builds": {build["build_id"]: {k: build[k] for k in ("config_hash", "steplabel_version",
                                                                                  "labelers", "created_at")}},
                "scored": scored, "shards": {}}
    if source and source.get("config"):
        manifest["config"] = source["config"]  # export, report and card read it
    write_manifest(target, manifest)
    chains = steps = 0
    for n, table in shards:
        rows = table.to_pylist()
        prm.score_rows(rows)
        for row in rows:
            row["build"], row["shard"] = build, n
        counts = write_shard(target, n, rows_to_table(rows))
        manifest["shards"][str(n)] = {"status": "done", "file": f"data/{shard_name(n)}",
                                      "build_id": build["build_id"], **counts}
        write_manifest(target, manifest)
        chains += len(rows)
        steps += sum(len(r["steps"]) for r in rows if r["status"] != "quarantined")
        say(f"shard {n}: {len(rows)} chains scored ({chains} so far, "
            f"{chains / (time.perf_counter() - started):.1f} chains/s)")
    written = {int(k) for k in manifest["shards"]}
    for folder in ("data", "quarantine"):  # shards of an earlier, larger scoring into the same --out
        for stale in shard_paths(target, folder):
            if int(Path(stale).stem.split("-")[1]) not in written:
                target.delete(stale)
    manifest["counts"] = {k: sum(e.get(k, 0) for e in manifest["shards"].values())
                          for k in {k for e in manifest["shards"].values() for k, v in e.items() if isinstance(v, int)}}
    manifest["status"] = "done"
    write_manifest(target, manifest)
    return ScoreResult(str(target), manifest, chains, steps, time.perf_counter() - started)

