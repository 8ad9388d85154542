"""Where chains come from: local files, Hugging Face datasets, and importers of known formats.

Every source yields chain dicts in the schema's shape. Imported chains carry their text (and
their steps when the format gives them); problems that still need a policy model yield one row
per sample with empty text, for the generation stage to fill. Human labels that came with the
input (PRM800K ratings, ProcessBench first errors, Math-Shepherd's +/-, the bundled sample's
annotations) are kept as verdicts of labeler `human`, never used as our labels.

Reading never raises past a record: a line that cannot be decoded or parsed, or a record whose
fields do not fit, becomes one quarantined row naming its file and line (or record index) and the
reason. `Intake` counts every record read per file, so the build can check at the end that each
one was written somewhere.

A chain id is a hash of what the chain is (domain, problem, reference, its text or steps, the
generator model, the sample index), never of where it was read: the same input under another path
or in another order gives the same ids. An exact duplicate is kept once and the others are
quarantined as duplicates of it.

A new input format is one importer function `(ctx, index, record) -> rows` plus one line in
`IMPORTERS`; one that takes `input.options` carries their pydantic model as `options_model`
(`importers.common.code_importer`), and reads them checked as `ctx.options`.
"""
from __future__ import annotations

import codecs
import glob
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from .config import InputConfig
from .fields import HUMAN, MappingError, kind_of as _kind, object_field as _object, reference as _reference
from .fields import text_field as _text, with_verdicts as _with_human
from .first_error import ratings_from_first_error
from .importers import apps, codecontests, livecodebench
from .llm.config import GenerationConfig
from .place import is_uri
from .schema import new_chain, stable_id
from .segment import make_steps, split_steps

Record = dict[str, Any]
KEPT_CHARS = 2000  # of an unreadable record's text, kept in its quarantined row


INPUT_SUFFIXES = (".jsonl", ".json", ".parquet")


class SourceError(ValueError):
    """The input cannot be read at all (missing or unreadable file, unknown dataset) — as opposed to a bad record."""


# --- reading records ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One record as read, or why it could not be read, with where it was."""

    file: str  # the input file as found (or hub dataset:split)
    index: int  # record index within the file, from 0
    line: Optional[int] = None  # JSONL line number, from 1
    record: Any = None
    error: Optional[str] = None
    raw: str = ""  # the text that could not be read (kept, shortened, in the quarantined row)
    blank: bool = False  # a whitespace-only JSONL line: no record, counted as skipped

    @property
    def where(self) -> str:
        return _where(self.file, self.line, self.index)


def _where(file: str, line: Optional[int], index: int) -> str:
    name = file.rsplit("/", 1)[-1] or file
    return f"{name}:{line}" if line is not None else f"{name} record {index}"


_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _encodable(record: Any) -> bool:
    """False when a string holds a lone UTF-16 surrogate (`"\\ud800"` is valid JSON, not valid UTF-8)."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _NonFinite:
    """Stands where the JSON text had `NaN`, `Infinity` or `-Infinity` (Python's json reads them;
    they are not JSON numbers): a record holding one is quarantined, never read as "nan" or "inf"."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name


_NON_FINITE_TEXT = re.compile(r"NaN|Infinity")  # only then can a marker be in the value: walk it
NON_FINITE_REASON = "a non-finite number ({}) is not a JSON number"


def non_finite(value: Any) -> Optional[str]:
    """The name of a `_NonFinite` constant anywhere in a parsed value, or None."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _NonFinite):
            return v.name
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return None


def _parse(text: str) -> tuple[Any, Optional[str]]:
    """JSON text → (value, None) or (None, why not). Non-finite constants stay `_NonFinite` markers."""
    try:
        value = json.loads(text, parse_constant=_NonFinite)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
    except RecursionError:
        return None, "JSON nested too deeply to read"
    except ValueError as exc:  # an integer of more than 4,300 digits
        return None, f"JSON value cannot be read ({str(exc).split(':')[0]})"
    if _LONE_SURROGATE.search(text) and not _encodable(value):
        return None, "a string holds a lone UTF-16 surrogate (not valid Unicode)"
    return value, None


def _not_utf8(data: bytes, exc: UnicodeDecodeError, at: str) -> str:
    return f"not UTF-8 (byte 0x{data[exc.start]:02x} at {at} {exc.start + 1})"


def _read_jsonl(path: Path, file: str) -> Iterator[Entry]:
    index = 0
    with path.open("rb") as f:
        for n, data in enumerate(f, 1):
            if n == 1 and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8):]
            data = data.rstrip(b"\r\n")
            if not data.strip():
                yield Entry(file, index, n, blank=True)
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Entry(file, index, n, error=_not_utf8(data, exc, "column"),
                            raw=data.decode("utf-8", "replace")[:KEPT_CHARS])
            else:
                value, error = _parse(text)
                bad = non_finite(value) if error is None and _NON_FINITE_TEXT.search(text) else None
                if bad is not None:
                    value, error = None, NON_FINITE_REASON.format(bad)
                yield Entry(file, index, n, record=value, error=error, raw=text[:KEPT_CHARS] if error else "")
            index += 1


def _read_json(path: Path, file: str) -> Iterator[Entry]:
    """A .json file is one document: if it cannot be read, that is one quarantined entry for the file."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Entry(file, 0, error=_not_utf8(data, exc, "offset") + "; no record of the file was read",
                    raw=data[:KEPT_CHARS].decode("utf-8", "replace"))
        return
    value, error = _parse(text)
    if error is not None:
        yield Entry(file, 0, error=f"{error}; a .json file is read whole, so no record of it was read",
                    raw=text[:KEPT_CHARS])
        return
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]
    for i, record in enumerate(value if isinstance(value, list) else [value]):
        bad = non_finite(record) if _NON_FINITE_TEXT.search(text) else None
        if bad is not None:
            yield Entry(file, i, error=NON_FINITE_REASON.format(bad), raw=_dump(record)[:KEPT_CHARS])
        else:
            yield Entry(file, i, record=record)


def _read_parquet(path: Path, file: str) -> Iterator[Entry]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    index = 0
    try:
        with path.open("rb") as handle:  # a local file or an object on S3 (place.RemoteFile)
            for batch in pq.ParquetFile(handle).iter_batches():
                for record in batch.to_pylist():
                    yield Entry(file, index, record=record)
                    index += 1
    except (pa.ArrowException, OSError) as exc:
        yield Entry(file, index, error=f"Parquet unreadable from record {index} on ({exc})")


def _read_file(path: Path, file: Optional[str] = None) -> Iterator[Entry]:
    file = file or str(path)
    if path.suffix == ".parquet":
        return _read_parquet(path, file)
    if path.suffix == ".json":
        return _read_json(path, file)
    return _read_jsonl(path, file)


def input_files(cfg: InputConfig) -> list[Path]:
    """The local files an input reads, each checked to exist and be readable (a start check)."""
    if cfg.path is None and cfg.kind != "sample":
        raise SourceError(f"input kind {cfg.kind!r} needs a path")
    if cfg.kind in ("sample", "hf"):
        return []  # packaged with steplabel / resolved by `datasets` when the input is read
    if is_uri(cfg.path):
        return _remote_input(cfg.path)
    p = Path(cfg.path)
    if p.is_dir():
        found = sorted(q for q in p.rglob("*") if q.suffix in INPUT_SUFFIXES and q.is_file())
    else:
        found = sorted(Path(q) for q in glob.glob(cfg.path) if Path(q).is_file()) or ([p] if p.exists() else [])
    if not found:
        raise SourceError(f"no input files at {cfg.path}")
    for f in found:
        if not f.is_file():
            raise SourceError(f"input {f} is not a file")
        try:
            with f.open("rb"):
                pass
        except OSError as exc:
            raise SourceError(f"cannot read input {f}: {exc.strerror or exc}") from None
    return found


def _remote_input(uri: str) -> list[Any]:
    """An input on S3 (`s3://bucket/path`, a glob, or a prefix; endpoint query as for run.out)."""
    from .place import is_store_error, remote_files

    try:
        found = remote_files(uri, INPUT_SUFFIXES)
    except ValueError as exc:
        raise SourceError(str(exc)) from None
    except Exception as exc:  # boto3/botocore: no endpoint, no credentials, no bucket
        if not is_store_error(exc):
            raise
        raise SourceError(f"cannot list input {uri}: {exc}") from None
    if not found:
        raise SourceError(f"no input files at {uri}")
    return found


def read_entries(cfg: InputConfig) -> Iterator[Entry]:
    """Every record of the input (local files or a Hugging Face dataset), in a deterministic order."""
    if cfg.kind == "sample":
        root = resources.files("steplabel.pipeline") / "sample"
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".jsonl"):
                yield from _read_file(Path(str(entry)), f"sample/{entry.name}")
        return
    if cfg.kind != "hf":
        for path in input_files(cfg):
            yield from _read_file(path)
        return
    import datasets  # imported lazily: it is slow to import and only hub inputs need it

    split = cfg.split or "train"
    try:
        ds = datasets.load_dataset(cfg.path, cfg.hf_config, split=split, revision=cfg.revision)
    except (OSError, ValueError) as exc:  # not found, no such split, unreadable files
        raise SourceError(f"cannot load dataset {cfg.path} (split {split}): {str(exc).splitlines()[0]}") from None
    import pyarrow as pa

    index = 0
    try:
        for record in ds:
            yield Entry(f"{cfg.path}:{split}", index, record=record)
            index += 1
    except (OSError, ValueError, pa.ArrowException) as exc:  # a corrupt data file of the dataset
        yield Entry(f"{cfg.path}:{split}", index, error=f"dataset unreadable from record {index} on ({exc})")


# --- checked fields -----------------------------------------------------------------------------

def _steps(value: Any, name: str) -> Optional[list[str]]:
    if value is None:
        return None
    if not isinstance(value, list):
        raise MappingError(f"field {name!r} is {_kind(value)}, not a list of step texts")
    return [_text(s, f"{name}[{i}]", required=True) for i, s in enumerate(value)]  # type: ignore[misc]


def first_error_index(value: Any, n_steps: int, name: str) -> int:
    """A first-error index in ProcessBench's convention (-1 = no error), checked against the steps."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(f"field {name!r} is {_kind(value)}, not a step index")
    if not -1 <= value < n_steps:
        raise MappingError(f"field {name!r} = {value} is out of range for {n_steps} steps (-1 = no error)")
    return value


def _rating(value: Any, name: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or value not in (-1, 0, 1):
        raise MappingError(f"field {name!r} = {value!r} is not a rating (-1, 0, 1)")
    return int(value)


def _domain(value: Any, name: str, ctx: "Context") -> str:
    domain = _text(value, name) or ctx.cfg.domain
    if domain not in ("math", "code"):
        raise MappingError(f"field {name!r} = {domain!r} is not a domain (math, code)")
    return domain


def _get(record: Record, dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def human_first_error_verdicts(n_steps: int, first_error: int, version: str) -> dict[int, dict]:
    """Human labels in ProcessBench's convention: steps before the first error +1, it -1, the rest
    unlabeled. A first error outside the chain raises ValueError (the record is quarantined)."""
    ratings = ratings_from_first_error(first_error, n_steps)
    return {i: {**HUMAN, "version": version, "rating": r,
                "evidence": "human first error" if r == -1 else "before the human first error"}
            for i, r in enumerate(ratings) if r is not None}


def _gsm8k_answer(solution: str) -> Optional[str]:
    m = re.search(r"####\s*(.+?)\s*$", solution.strip()) or re.search(r"(?m)^A:\s*(.+?)\s*$", solution)
    return m.group(1).replace(",", "").strip() if m else None


# --- the importers' context: building rows ------------------------------------------------------

class Context:
    """What every importer shares: the input's config, the generation section, and row builders."""

    def __init__(self, cfg: InputConfig, generation: Optional[GenerationConfig]) -> None:
        self.cfg, self.generation = cfg, generation
        self.options = importer_options(cfg.kind, cfg.options)  # the importer's model, or None
        self.dataset = cfg.name or (cfg.path if cfg.kind != "sample" else "steplabel-sample")

    def source(self) -> dict:
        return {"dataset": self.dataset, "split": self.cfg.split, "revision": self.cfg.revision}

    def problem_rows(self, problem_id: str, problem: str, reference: dict, domain: str) -> list[dict]:
        """Rows for a problem with no chain yet: one per sample to generate. Without a
        `generation:` section there is nothing to label: one quarantined row says so."""
        if self.generation is None:
            return [new_chain(
                chain_id=stable_id("needs-sampling", domain, problem, reference),
                problem_id=problem_id, domain=domain, problem=problem, reference=reference, source=self.source(),
                status="quarantined",
                status_reason="the record has no chain (no text or steps) and the build has no "
                              "`generation:` section to sample one")]
        model = self.generation.policy.model
        return [
            new_chain(
                chain_id=stable_id("sampled", domain, problem, reference, model, i),
                problem_id=problem_id, domain=domain, problem=problem, reference=reference,
                source=self.source(), generator={"kind": "sampled", "model": model, "sample_index": i},
            )
            for i in range(self.generation.n)
        ]

    def chain_row(self, problem_id: str, problem: str, reference: dict, text: str = "",
                  steps: Optional[list[str]] = None, domain: str = "math", model: Optional[str] = None,
                  segmenter: str = "", final_answer: Optional[str] = None) -> dict:
        """An imported chain. Given steps are kept as they are (segmenter "given"); a `segmenter`
        named here splits the text now, for formats whose step boundaries are known; otherwise
        the build's configured splitter does it later."""
        chain_id = stable_id("imported", domain, problem, reference, steps if steps is not None else text, model)
        if steps is None and segmenter:
            steps = split_steps(text, segmenter) if text.strip() else []
        elif steps is not None:
            segmenter = segmenter or "given"
            text = text or "\n\n".join(steps)
        return new_chain(
            chain_id=chain_id, problem_id=problem_id, domain=domain, problem=problem, reference=reference,
            source=self.source(), generator={"kind": "imported", "model": model},
            text=text, steps=make_steps(steps or []), segmenter=segmenter, final_answer=final_answer,
        )


# --- importers: (context, record index, record) -> chain rows -----------------------------------

def _problem_with_chains(ctx: Context, index: int, r: Record) -> list[dict]:
    """Our own JSONL shape (the bundled sample's): a problem with a list of annotated chains."""
    problem_id = _text(r.get("problem_id"), "problem_id", numbers=True) or f"{ctx.dataset}#{index}"
    problem = _text(r.get("problem"), "problem") or ""
    ref = _object(r.get("reference") or {}, "reference")
    reference = _reference(*(ref.get(k) for k in ("answer", "solution", "tests", "entry_point")))
    domain = _domain(r.get("domain"), "domain", ctx)
    chains = r.get("chains")
    if not isinstance(chains, list):
        raise MappingError(f"field 'chains' is {_kind(chains)}, not a list")
    rows = []
    for k, chain in enumerate(chains):
        chain = _object(chain, f"chains[{k}]")
        text = _text(chain.get("text"), f"chains[{k}].text", required=True)
        kind = _text(chain.get("kind"), f"chains[{k}].kind") or ""
        row = ctx.chain_row(problem_id, problem, reference, text=text, domain=domain,
                            model=f"steplabel-sample:{kind}", segmenter="blank_line")
        if chain.get("first_error") is not None and row["steps"]:
            fe = first_error_index(chain["first_error"], len(row["steps"]), f"chains[{k}].first_error")
            row = _with_human(row, human_first_error_verdicts(len(row["steps"]), fe, "steplabel-sample"))
        rows.append(row)
    return rows or ctx.problem_rows(problem_id, problem, reference, domain)


def _files(ctx: Context, index: int, r: Record) -> list[dict]:
    """JSONL / JSON / Parquet records, mapped by `input.fields` (dotted paths for nesting)."""
    if "chains" in r:
        return _problem_with_chains(ctx, index, r)
    f = {"problem_id": "problem_id", "problem": "problem", "answer": "answer", "solution": "solution",
         "tests": "tests", "entry_point": "entry_point", "text": "text", "steps": "steps", "domain": "domain",
         **ctx.cfg.fields}
    problem_id = _text(_get(r, f["problem_id"]), f["problem_id"], numbers=True) or f"{ctx.dataset}#{index}"
    reference = _reference(*(_get(r, f[k]) for k in ("answer", "solution", "tests", "entry_point")))
    domain = _domain(_get(r, f["domain"]), f["domain"], ctx)
    problem = _text(_get(r, f["problem"]), f["problem"]) or ""
    steps, text = _steps(_get(r, f["steps"]), f["steps"]), _text(_get(r, f["text"]), f["text"])
    if steps is not None or text is not None:
        return [ctx.chain_row(problem_id, problem, reference, text=text or "", steps=steps, domain=domain)]
    return ctx.problem_rows(problem_id, problem, reference, domain)


def _processbench(ctx: Context, index: int, r: Record) -> list[dict]:
    steps = _steps(r.get("steps"), "steps")
    if steps is None:
        raise MappingError("field 'steps' is missing")
    row = ctx.chain_row(_text(r.get("id"), "id", numbers=True, required=True),
                        _text(r.get("problem"), "problem", required=True), _reference(r.get("answer")), steps=steps,
                        model=_text(r.get("generator"), "generator"))
    fe = first_error_index(r.get("label"), len(steps), "label")
    return [_with_human(row, human_first_error_verdicts(len(steps), fe, "processbench"))]


def _prm800k(ctx: Context, index: int, r: Record) -> list[dict]:
    q, label = _object(r.get("question"), "question"), r.get("label") or {}
    problem = _text(q.get("problem"), "question.problem", required=True)
    texts, verdicts = [], {}
    for i, step in enumerate(_object(label, "label").get("steps") or []):
        step = _object(step, f"label.steps[{i}]")
        chosen = step.get("chosen_completion")
        completions = step.get("completions") or []
        if chosen is None and step.get("human_completion"):
            completion = step["human_completion"]
        elif completions:
            if not isinstance(completions, list) or not (chosen is None or isinstance(chosen, int)):
                raise MappingError(f"label.steps[{i}]: completions or chosen_completion of the wrong type")
            if not 0 <= (chosen or 0) < len(completions):
                raise MappingError(f"label.steps[{i}].chosen_completion = {chosen} is out of range")
            completion = completions[chosen or 0]
        else:
            continue
        completion = _object(completion, f"label.steps[{i}] completion")
        texts.append(_text(completion.get("text"), f"label.steps[{i}] text") or "")
        rating = _rating(completion.get("rating"), f"label.steps[{i}] rating")
        if rating is not None:
            verdicts[len(texts) - 1] = {**HUMAN, "version": "prm800k", "rating": rating,
                                        "evidence": "PRM800K human rating"}
    if not texts:
        texts = _steps(q.get("pre_generated_steps"), "question.pre_generated_steps") or []
    reference = _reference(q.get("ground_truth_answer"), q.get("ground_truth_solution"))
    generation = r.get("generation")
    row = ctx.chain_row(stable_id(problem), problem, reference, steps=texts,
                        model=f"prm800k-gen{generation}" if generation else "prm800k")
    return [_with_human(row, verdicts)]


def _gsm8k(ctx: Context, index: int, r: Record) -> list[dict]:
    solution = _text(r.get("answer"), "answer", required=True)
    return _reference_solution(ctx, f"gsm8k#{index}", _text(r.get("question"), "question", required=True),
                               solution, _gsm8k_answer(solution), gsm8k=True)


def _math(ctx: Context, index: int, r: Record) -> list[dict]:
    pid = _text(r.get("unique_id"), "unique_id") or f"math#{index}"
    return _reference_solution(ctx, pid, _text(r.get("problem"), "problem", required=True),
                               _text(r.get("solution"), "solution", required=True),
                               _text(r.get("answer"), "answer", numbers=True))


def _reference_solution(ctx: Context, pid: str, problem: str, solution: str, answer: Optional[str],
                        gsm8k: bool = False) -> list[dict]:
    """Problems with a worked solution: sampled chains when generating, else the reference
    solution itself as one imported chain (a sanity check: every label should come out +1)."""
    reference = _reference(answer, solution)
    if ctx.generation is not None:
        return ctx.problem_rows(pid, problem, reference, "math")
    text = re.sub(r"<<[^<>]*>>", "", solution) if gsm8k else solution
    text = re.sub(r"\n####\s*(.+)$", r"\nThe answer is \1.", text.strip())
    return [ctx.chain_row(pid, problem, reference, text=text, model="reference-solution",
                          segmenter="newline" if gsm8k else "")]


def _gsm8k_solutions(ctx: Context, index: int, r: Record) -> list[dict]:
    truth = _text(r.get("ground_truth"), "ground_truth", required=True)
    question = _text(r.get("question"), "question", required=True)
    rows = []
    for model, entry in r.items():
        if not isinstance(entry, dict) or "solution" not in entry:
            continue
        solution = _text(entry["solution"], f"{model}.solution", required=True)
        row = ctx.chain_row(f"gsm8k#{index}", question, _reference(_gsm8k_answer(truth), truth), text=solution,
                            segmenter="newline", model=model, final_answer=_gsm8k_answer(solution))
        lines = row["steps"]
        verdict = {**HUMAN, "labeler": "source_outcome", "version": "gsm8k-example-solutions",
                   "rating": 1 if entry.get("is_correct") else -1,
                   "evidence": f"is_correct={entry.get('is_correct')} in the source"}
        rows.append(_with_human(row, {len(lines) - 1: verdict} if lines else {}))
    return rows


MATH_SHEPHERD_PLACEHOLDER = "ки"
MATH_SHEPHERD_TOKENS = {"+": 1, "-": -1}
_FIRST_STEP = re.compile(r"step 1:", re.IGNORECASE)


def _math_shepherd(ctx: Context, index: int, r: Record) -> list[dict]:
    """Math-Shepherd (peiyi9979/Math-Shepherd; OpenRLHF's process-reward layout): `input` is the
    problem and its chain with the placeholder `ки` after every step; `label` is either the same
    text with `+` or `-` where each placeholder was (the dataset) or the list of those tokens
    (OpenRLHF, our `math-shepherd` export). The problem is the record's `problem` field when it
    has one; else it ends where "Step 1:" starts, or after its one "?" (as TRL's conversion script
    reads the dataset). The +/- are Math-Shepherd's own Monte-Carlo estimates: kept as `human`
    verdicts, never as our labels."""
    text = _text(r.get("input"), "input", required=True)
    parts = text.split(MATH_SHEPHERD_PLACEHOLDER)
    if len(parts) < 2:
        raise MappingError(f"field 'input' has no step placeholder {MATH_SHEPHERD_PLACEHOLDER!r}")
    head, given = parts[0], _text(r.get("problem"), "problem")
    if given is not None:
        if not head.startswith(given):
            raise MappingError("field 'input' does not start with field 'problem' before its first placeholder")
        cut = len(given)
    elif (m := _FIRST_STEP.search(head)) is not None:
        cut = m.start()
    elif _FIRST_STEP.search(text) is not None:
        raise MappingError("a step placeholder comes before 'Step 1:' (a label inside the problem text)")
    elif head.count("?") == 1:
        cut = head.index("?") + 1
    else:
        raise MappingError("cannot tell where the problem ends: no 'Step 1:' and not exactly one '?' before the first step")
    problem, steps = head[:cut].strip(), [head[cut:].strip()] + [p.strip() for p in parts[1:-1]]
    if parts[-1].strip():
        raise MappingError("text after the last step placeholder")
    if any(not s for s in steps):
        raise MappingError("an empty step before a placeholder")
    tokens = _math_shepherd_tokens(r.get("label"), parts)
    task = (_text(r.get("task"), "task") or "math-shepherd").lower()
    row = ctx.chain_row(f"{task}-{stable_id(problem)[:12]}", problem, _reference(), steps=steps,
                        model="math-shepherd")
    return [_with_human(row, {i: {**HUMAN, "version": "math-shepherd", "rating": MATH_SHEPHERD_TOKENS[t],
                                  "evidence": f"Math-Shepherd label {t}"} for i, t in enumerate(tokens)})]


def _math_shepherd_tokens(label: Any, parts: list[str]) -> list[str]:
    """One reward token per placeholder, from a label text (the token where each placeholder was)
    or a list of tokens."""
    n = len(parts) - 1
    if isinstance(label, list):
        tokens = [_text(t, f"label[{i}]", required=True) for i, t in enumerate(label)]
        if len(tokens) != n:
            raise MappingError(f"field 'label' has {len(tokens)} tokens for {n} step placeholders")
    else:
        label = _text(label, "label", required=True)
        tokens, offset = [], 0
        for part in parts[:-1]:
            offset += len(part)  # each earlier placeholder became one reward token in `label`
            tokens.append(label[offset:offset + 1])
            offset += 1
    for i, token in enumerate(tokens):
        if token not in MATH_SHEPHERD_TOKENS:
            raise MappingError(f"field 'label' has {token!r} at step {i}'s placeholder, not one of "
                               f"{sorted(MATH_SHEPHERD_TOKENS)}")
    return tokens  # type: ignore[return-value]


Importer = Callable[[Context, int, Record], list[dict]]

# input.kind -> importer. A new format: one function above, one line here.
IMPORTERS: dict[str, Importer] = {
    "sample": _problem_with_chains,
    "files": _files,
    "hf": _files,
    "processbench": _processbench,
    "prm800k": _prm800k,
    "gsm8k": _gsm8k,
    "math": _math,
    "gsm8k_solutions": _gsm8k_solutions,
    "math_shepherd": _math_shepherd,
    "apps": apps.import_record,
    "taco": apps.import_record,
    "codecontests": codecontests.import_record,
    "livecodebench": livecodebench.import_record,
}


def importer_options(kind: str, options: dict[str, Any]) -> Any:
    """`input.options` checked by the kind's importer's `options_model` (None: it takes none)."""
    model = getattr(IMPORTERS[kind], "options_model", None)
    if model is None:
        if options:
            raise ValueError(f"input kind {kind!r} takes no options")
        return None
    return model.model_validate(options)


# --- the whole input: rows, counts, duplicates --------------------------------------------------

@dataclass
class Intake:
    """Per input file: records read and chain rows made from them — what the build must find again."""

    files: dict[str, dict[str, int]] = field(default_factory=dict)
    # per local or S3 file: its size and version when it was first listed, to see it change
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    _paths: dict[str, Any] = field(default_factory=dict, repr=False)

    def count(self, file: str, records: int, chains: int) -> None:
        entry = self.files.setdefault(file, {"records": 0, "chains": 0, "blank_lines": 0})
        entry["records"] += records
        entry["chains"] += chains

    def skip_blank(self, file: str) -> None:
        self.count(file, 0, 0)
        self.files[file]["blank_lines"] += 1

    @property
    def records(self) -> int:
        return sum(e["records"] for e in self.files.values())

    def note_state(self, file: str, path: Any) -> None:
        if file not in self.states:
            self.states[file], self._paths[file] = file_state(path), path

    def changed(self) -> list[dict[str, Any]]:
        """The files that are not as they were when first listed (grown, edited, removed), each
        with what changed: records read after that moment were not planned for."""
        found = []
        for file, before in self.states.items():
            now = file_state(self._paths[file])
            if now != before:
                found.append({"file": file, "planned": before, "now": now, "change": _change(before, now)})
        return found


def file_state(path: Any) -> dict[str, Any]:
    """Size and version of an input file: mtime for a local one, ETag for an object on S3."""
    try:
        if isinstance(path, Path):
            st = path.stat()
            return {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}
        return path.state()
    except FileNotFoundError:
        return {"missing": True}
    except OSError as exc:
        return {"unreadable": str(exc)}


def _change(before: dict[str, Any], now: dict[str, Any]) -> str:
    if now.get("missing"):
        return "removed"
    if "bytes" in before and "bytes" in now and now["bytes"] != before["bytes"]:
        grew = now["bytes"] > before["bytes"]
        return f"{'grew' if grew else 'shrank'} from {before['bytes']:,} to {now['bytes']:,} bytes"
    return "modified"


def iter_chains(cfg: InputConfig, generation: Optional[GenerationConfig] = None,
                intake: Optional[Intake] = None, dedup: bool = True) -> Iterator[dict]:
    """All chain rows of the input in a deterministic order (`limit` counts input records).
    Every record gives at least one row; `intake` (if given) counts them per file. `dedup=False`
    leaves exact duplicates as they are (a caller that keeps only ids finds them cheaper itself,
    with `duplicate_id`)."""
    ctx = Context(cfg, generation)
    if intake is not None:
        for path in input_files(cfg):  # an empty file is listed too, with no records
            intake.count(str(path), 0, 0)
            intake.note_state(str(path), path)
    seen: dict[str, list] = {}  # chain id -> [where first read, copies seen]
    for rep in range(cfg.repeat):
        for index, entry in enumerate(islice(_records(cfg, intake if rep == 0 else None), cfg.limit)):
            rows = _import_one(ctx, index, entry)
            for row in rows:
                if rep:
                    row["chain_id"] = stable_id(row["chain_id"], "repeat", rep)
                if dedup:
                    _mark_duplicate(row, seen, entry)
            if intake is not None:
                intake.count(entry.file, 0 if rep else 1, len(rows))
            yield from rows


def _records(cfg: InputConfig, intake: Optional[Intake]) -> Iterator[Entry]:
    """The input's records: blank lines are not records (`limit` does not count them), each one
    counted per file as skipped."""
    for entry in read_entries(cfg):
        if entry.blank:
            if intake is not None:
                intake.skip_blank(entry.file)
            continue
        yield entry


def duplicate_id(original: str, copy: int) -> str:
    """The id of the `copy`-th later copy (1, 2, ...) of chain `original`."""
    return stable_id(original, "duplicate", copy)


def _mark_duplicate(row: dict, seen: dict[str, list], entry: Entry) -> None:
    """The first copy of a chain keeps its id; later copies get their own id and are quarantined."""
    first = seen.get(row["chain_id"])
    if first is None:
        seen[row["chain_id"]] = [entry.file, entry.line, entry.index, 0]  # where it was first read; copies
        return
    first[3] += 1
    original = row["chain_id"]
    row["chain_id"] = duplicate_id(original, first[3])
    if row["status"] != "quarantined":
        row.update(status="quarantined", status_reason=f"[import] {entry.where}: duplicate of chain {original} "
                                                       f"(first read at {_where(*first[:3])})")


def _check(row: dict, entry: Entry) -> dict:
    """Quarantine rows no labeler can use, with the reason, instead of letting them fail later;
    every import reason names the stage and where the record was read."""
    if row["status"] != "quarantined" and not row["problem"].strip():
        row.update(status="quarantined", status_reason="no problem text")
    if row["status"] == "quarantined":
        row["status_reason"] = f"[import] {entry.where}: {row['status_reason']}"
    return row


def _dump(record: Any) -> str:
    try:
        return json.dumps(record, sort_keys=True, default=str)
    except (ValueError, RecursionError) as exc:
        return f"<{type(record).__name__} that cannot be shown: {exc}>"


def _import_one(ctx: Context, index: int, entry: Entry) -> list[dict]:
    """One record's rows (at least one); a record that cannot be imported becomes one quarantined
    row naming its file, line and the reason."""
    where = {"file": entry.file, "line": entry.line, "row_index": entry.index}
    reason, raw = entry.error, entry.raw
    if reason is None:
        if not isinstance(entry.record, dict):
            reason = f"record is {_kind(entry.record)}, not an object"
        else:
            try:
                rows = IMPORTERS[ctx.cfg.kind](ctx, index, entry.record)
            except MappingError as exc:
                reason = str(exc)
            except KeyError as exc:
                reason = f"field {exc} is missing"
            except (TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
                reason = f"cannot import the record: {type(exc).__name__}: {exc}"
            else:
                if not rows:
                    reason = "the record holds no chain"
                for row in rows:
                    row["source"].update(where)
                    _check(row, entry)
                if rows:
                    return rows
        raw = _dump(entry.record)
    row = new_chain(chain_id=stable_id("unreadable", ctx.cfg.kind, raw, reason),
                    problem_id=f"{ctx.dataset}#{index}", source={**ctx.source(), **where}, status="quarantined",
                    status_reason=f"[import] {entry.where}: {reason}", text=raw[:KEPT_CHARS])
    return [row]
