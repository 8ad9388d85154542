"""Where chains come from: local files, Hugging Face datasets, and importers of known formats.

Every source yields chain dicts in the schema's shape. Imported chains carry their text (and
their steps when the format gives them); problems that still need a policy model yield one row
per sample with empty text, for the generation stage to fill. Human labels that came with the
input (PRM800K ratings, ProcessBench first errors, the bundled sample's annotations) are kept as
verdicts of labeler `human`, never used as our labels.
"""
from __future__ import annotations

import glob
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Optional

from .config import InputConfig
from .first_error import ratings_from_first_error
from .llm.config import GenerationConfig
from .schema import new_chain, stable_id
from .segment import make_steps, split_steps

Record = dict[str, Any]
HUMAN = {"labeler": "human", "score": None, "cost": {"ms": 0.0, "tokens": 0}, "cached": False}


class SourceError(ValueError):
    """The input cannot be read at all (missing file, unknown format) — as opposed to a bad row."""


# --- reading records ----------------------------------------------------------------------------

def _files(path: str) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        found = sorted(q for q in p.rglob("*") if q.suffix in (".jsonl", ".json", ".parquet"))
    else:
        found = sorted(Path(q) for q in glob.glob(path)) or ([p] if p.exists() else [])
    if not found:
        raise SourceError(f"no input files at {path}")
    return found


def _read_file(path: Path) -> Iterator[Record]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches():
            yield from batch.to_pylist()
    elif path.suffix == ".json":
        data = json.loads(path.read_text())
        yield from (data if isinstance(data, list) else data.get("data", [data]))
    else:
        with path.open() as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:  # kept as a row to quarantine, not dropped
                        yield {"__error__": f"{path.name}:{n}: invalid JSON ({exc.msg})"}


def read_records(cfg: InputConfig) -> Iterator[Record]:
    """Raw records of the input, local files or a Hugging Face dataset (hub name or local path)."""
    if cfg.kind == "sample":
        root = resources.files("steplabel.pipeline") / "sample"
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".jsonl"):
                yield from _read_file(Path(str(entry)))
        return
    if cfg.path is None:
        raise SourceError(f"input kind {cfg.kind!r} needs a path")
    if cfg.kind != "hf":  # every other kind reads local files; `hf` takes hub names and local dirs
        for path in _files(cfg.path):
            yield from _read_file(path)
        return
    import datasets  # imported lazily: it is slow to import and only hub inputs need it

    ds = datasets.load_dataset(cfg.path, cfg.hf_config, split=cfg.split or "train", revision=cfg.revision)
    yield from ds


# --- helpers ------------------------------------------------------------------------------------

def _get(record: Record, dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def human_first_error_verdicts(n_steps: int, first_error: int, version: str) -> dict[int, dict]:
    """Human labels in ProcessBench's convention: steps before the first error +1, it -1, the rest
    unlabeled. A first error outside the chain raises ValueError (the record is quarantined)."""
    ratings = ratings_from_first_error(first_error, n_steps)
    return {i: {**HUMAN, "version": version, "rating": r,
                "evidence": "human first error" if r == -1 else "before the human first error"}
            for i, r in enumerate(ratings) if r is not None}


def _with_human(row: dict, verdicts: dict[int, dict]) -> dict:
    for i, v in verdicts.items():
        row["steps"][i]["verdicts"].append(v)
    return row


def _gsm8k_answer(solution: str) -> Optional[str]:
    m = re.search(r"####\s*(.+?)\s*$", solution.strip()) or re.search(r"(?m)^A:\s*(.+?)\s*$", solution)
    return m.group(1).replace(",", "").strip() if m else None


# --- importers: record -> chain rows ------------------------------------------------------------

class Importer:
    """Turns one raw record into chain rows; `dataset` names the input in provenance."""

    def __init__(self, cfg: InputConfig, generation: Optional[GenerationConfig]) -> None:
        self.cfg, self.generation = cfg, generation
        self.dataset = cfg.name or (cfg.path if cfg.kind != "sample" else "steplabel-sample")

    def source(self, index: int) -> dict:
        return {"dataset": self.dataset, "split": self.cfg.split, "revision": self.cfg.revision, "row_index": index}

    def problem_rows(self, index: int, problem_id: str, problem: str, reference: dict, domain: str) -> list[dict]:
        """Rows for a problem with no chain yet: one per sample when generating, else none."""
        if self.generation is None:
            return []
        gen = self.generation
        return [
            new_chain(
                chain_id=stable_id(self.dataset, problem_id, gen.policy.model, i),
                problem_id=problem_id, domain=domain, problem=problem, reference=reference,
                source=self.source(index),
                generator={"kind": "sampled", "model": gen.policy.model, "sample_index": i},
            )
            for i in range(gen.n)
        ]

    def chain_row(self, index: int, problem_id: str, problem: str, reference: dict, text: str = "",
                  steps: Optional[list[str]] = None, chain_key: Any = 0, domain: str = "math",
                  model: Optional[str] = None, segmenter: str = "", final_answer: Optional[str] = None) -> dict:
        """An imported chain. Given steps are kept as they are (segmenter "given"); a `segmenter`
        named here splits the text now, for formats whose step boundaries are known; otherwise
        the build's configured splitter does it later."""
        if steps is None and segmenter:
            steps = split_steps(text, segmenter) if text.strip() else []
        elif steps is not None:
            segmenter = segmenter or "given"
            text = text or "\n\n".join(steps)
        return new_chain(
            chain_id=stable_id(self.dataset, problem_id, "imported", chain_key),
            problem_id=problem_id, domain=domain, problem=problem, reference=reference,
            source=self.source(index), generator={"kind": "imported", "model": model},
            text=text, steps=make_steps(steps or []), segmenter=segmenter, final_answer=final_answer,
        )

    def __call__(self, index: int, record: Record) -> list[dict]:
        return getattr(self, f"_{self.cfg.kind}")(index, record)

    def _sample(self, index: int, r: Record) -> list[dict]:
        rows = []
        for k, chain in enumerate(r.get("chains") or []):
            row = self.chain_row(index, r["problem_id"], r.get("problem", ""), r.get("reference", {}),
                                 text=chain["text"], chain_key=k, domain=r.get("domain", "math"),
                                 model=f"steplabel-sample:{chain.get('kind', '')}", segmenter="blank_line")
            if chain.get("first_error") is not None and row["steps"]:
                row = _with_human(row, human_first_error_verdicts(len(row["steps"]), int(chain["first_error"]),
                                                                  "steplabel-sample"))
            rows.append(row)
        return rows or self.problem_rows(index, r["problem_id"], r.get("problem", ""), r.get("reference", {}),
                                         r.get("domain", "math"))

    def _files(self, index: int, r: Record) -> list[dict]:
        f = {"problem_id": "problem_id", "problem": "problem", "answer": "answer", "solution": "solution",
             "tests": "tests", "entry_point": "entry_point", "text": "text", "steps": "steps", "domain": "domain",
             **self.cfg.fields}
        if isinstance(r.get("chains"), list):  # our own JSONL shape: a problem with its chains
            return self._sample(index, {"problem_id": f"{self.dataset}#{index}", **r})
        problem_id = _text(_get(r, f["problem_id"])) or f"{self.dataset}#{index}"
        reference = {k: (None if _get(r, f[k]) is None else _text(_get(r, f[k])))
                     for k in ("answer", "solution", "tests", "entry_point")}
        domain = _text(_get(r, f["domain"])) or self.cfg.domain
        problem = _text(_get(r, f["problem"]))
        steps, text = _get(r, f["steps"]), _get(r, f["text"])
        if steps is not None or text is not None:
            return [self.chain_row(index, problem_id, problem, reference, text=_text(text),
                                   steps=[_text(s) for s in steps] if isinstance(steps, list) else None,
                                   chain_key=index, domain=domain)]
        return self.problem_rows(index, problem_id, problem, reference, domain)

    _hf = _files

    def _processbench(self, index: int, r: Record) -> list[dict]:
        row = self.chain_row(index, r["id"], r["problem"], {}, steps=list(r["steps"]), chain_key=r["id"],
                             model=r.get("generator"))
        return [_with_human(row, human_first_error_verdicts(len(row["steps"]), int(r["label"]), "processbench"))]

    def _prm800k(self, index: int, r: Record) -> list[dict]:
        q, label = r["question"], r.get("label") or {}
        texts, verdicts = [], {}
        for i, step in enumerate(label.get("steps") or []):
            chosen = step.get("chosen_completion")
            completions = step.get("completions") or []
            if chosen is None and step.get("human_completion"):
                completion = step["human_completion"]
            elif completions:
                completion = completions[chosen or 0]
            else:
                continue
            texts.append(_text(completion.get("text")))
            if completion.get("rating") is not None:
                verdicts[len(texts) - 1] = {**HUMAN, "version": "prm800k", "rating": int(completion["rating"]),
                                            "evidence": "PRM800K human rating"}
        if not texts:
            texts = list(q.get("pre_generated_steps") or [])
        reference = {"answer": q.get("ground_truth_answer"), "solution": q.get("ground_truth_solution")}
        key = (q["problem"], r.get("timestamp"), index)
        row = self.chain_row(index, stable_id(q["problem"]), q["problem"], reference, steps=texts, chain_key=key,
                             model=(r.get("generation") and f"prm800k-gen{r['generation']}") or "prm800k")
        return [_with_human(row, verdicts)]

    def _gsm8k(self, index: int, r: Record) -> list[dict]:
        return self._reference_solution(index, r["question"], r["answer"], _gsm8k_answer(r["answer"]), "gsm8k")

    def _math(self, index: int, r: Record) -> list[dict]:
        pid = r.get("unique_id") or f"math#{index}"
        return self._reference_solution(index, r["problem"], r["solution"], r.get("answer"), pid)

    def _reference_solution(self, index: int, problem: str, solution: str, answer: Optional[str], tag: str) -> list[dict]:
        """Problems with a worked solution: sampled chains when generating, else the reference
        solution itself as one imported chain (a sanity check: every label should come out +1)."""
        pid = tag if tag != "gsm8k" else f"gsm8k#{index}"
        reference = {"answer": answer, "solution": solution}
        if self.generation is not None:
            return self.problem_rows(index, pid, problem, reference, "math")
        text = re.sub(r"<<[^<>]*>>", "", solution) if tag == "gsm8k" else solution
        text = re.sub(r"\n####\s*(.+)$", r"\nThe answer is \1.", text.strip())
        return [self.chain_row(index, pid, problem, reference, text=text, chain_key="reference",
                               model="reference-solution", segmenter="newline" if tag == "gsm8k" else "")]

    def _gsm8k_solutions(self, index: int, r: Record) -> list[dict]:
        answer = _gsm8k_answer(r["ground_truth"])
        pid = f"gsm8k#{index}"
        rows = []
        for model, entry in r.items():
            if not isinstance(entry, dict) or "solution" not in entry:
                continue
            row = self.chain_row(index, pid, r["question"], {"answer": answer, "solution": r["ground_truth"]},
                                 text=entry["solution"], segmenter="newline", chain_key=model, model=model,
                                 final_answer=_gsm8k_answer(entry["solution"]))
            lines = row["steps"]
            verdict = {**HUMAN, "labeler": "source_outcome", "version": "gsm8k-example-solutions",
                       "rating": 1 if entry.get("is_correct") else -1,
                       "evidence": f"is_correct={entry.get('is_correct')} in the source"}
            rows.append(_with_human(row, {len(lines) - 1: verdict} if lines else {}))
        return rows


def iter_chains(cfg: InputConfig, generation: Optional[GenerationConfig] = None) -> Iterator[dict]:
    """All chain rows of the input in a deterministic order (limit counts input records)."""
    importer = Importer(cfg, generation)
    for rep in range(cfg.repeat):
        for index, record in enumerate(read_records(cfg)):
            if cfg.limit is not None and index >= cfg.limit:
                break
            for row in _import_one(importer, index, record):
                if rep:
                    row["chain_id"] = stable_id(row["chain_id"], "repeat", rep)
                yield row


def _check(row: dict) -> dict:
    """Quarantine rows no labeler can use, with the reason, instead of letting them fail later."""
    if not row["problem"].strip():
        row.update(status="quarantined", status_reason="[import] no problem text")
    return row


def _import_one(importer: Importer, index: int, record: Record) -> list[dict]:
    """One record's rows; a record that cannot be imported becomes one quarantined row with its reason."""
    reason = record.get("__error__") if isinstance(record, dict) else f"record is {type(record).__name__}, not an object"
    if reason is None:
        try:
            return [_check(row) for row in importer(index, record)]
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            reason = f"cannot import record {index}: {type(exc).__name__}: {exc}"
    row = new_chain(chain_id=stable_id(importer.dataset, "bad-record", index), problem_id=f"{importer.dataset}#{index}",
                    source=importer.source(index), status="quarantined", status_reason=f"[import] {reason}",
                    text=json.dumps(record, default=str)[:2000] if isinstance(record, dict) else "")
    return [row]
