"""The one row shape that flows through every stage: a chain, its steps and their verdicts.

Pydantic models document and validate the shape at the edges (importers, tests, Python users);
stages pass plain dicts of exactly this shape between them, and `CHAINS_SCHEMA` is the Arrow
schema those dicts are written with. `tests/unit/test_schema.py` keeps the two in step.
"""
from __future__ import annotations

import hashlib
import json
import pickle
from typing import Any, Literal, Optional

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

Rating = Optional[int]  # -1 incorrect, 0 neutral, +1 correct, None unlabeled / abstain


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cost(_Model):
    ms: float = 0.0
    tokens: int = 0


class Verdict(_Model):
    """One labeler's opinion of one step; rating None means it abstained (evidence says why)."""

    labeler: str
    version: str
    rating: Rating = None
    score: Optional[float] = None
    evidence: str = ""
    cost: Cost = Field(default_factory=Cost)
    cached: bool = False


class Step(_Model):
    index: int
    text: str
    rating: Rating = None
    score: Optional[float] = None
    decided_by: Optional[str] = None
    agreement: Optional[float] = None  # share of the merge's non-abstaining verdicts that match the rating
    verdicts: list[Verdict] = Field(default_factory=list)


class Reference(_Model):
    answer: Optional[str] = None
    solution: Optional[str] = None
    tests: Optional[str] = None
    entry_point: Optional[str] = None


class Source(_Model):
    """Where a chain was read: provenance only (chain ids never depend on it)."""

    dataset: str = ""
    split: Optional[str] = None
    revision: Optional[str] = None
    row_index: Optional[int] = None  # record index within `file`, from 0
    file: Optional[str] = None  # the input file (or hub dataset:split)
    line: Optional[int] = None  # line number in a JSONL file, from 1


class Generator(_Model):
    kind: Literal["sampled", "imported"] = "imported"
    model: Optional[str] = None
    endpoint: Optional[str] = None
    params: Optional[str] = None  # JSON of the sampling parameters
    seed: Optional[int] = None
    sample_index: Optional[int] = None
    finish_reason: Optional[str] = None


class ChainOutcome(_Model):
    correct: Optional[bool] = None
    evidence: str = ""


class LabelerVersion(_Model):
    name: str
    version: str


class Build(_Model):
    build_id: str = ""
    config_hash: str = ""
    steplabel_version: str = ""
    labelers: list[LabelerVersion] = Field(default_factory=list)
    created_at: str = ""


class Problem(_Model):
    """A problem before it has chains: what sources yield and generation consumes."""

    problem_id: str
    domain: Literal["math", "code"] = "math"
    problem: str
    reference: Reference = Field(default_factory=Reference)
    source: Source = Field(default_factory=Source)


class Chain(_Model):
    chain_id: str
    problem_id: str
    domain: str = "math"
    problem: str = ""
    reference: Reference = Field(default_factory=Reference)
    source: Source = Field(default_factory=Source)
    generator: Generator = Field(default_factory=Generator)
    text: str = ""  # the whole chain as generated or imported; steps join back to it
    segmenter: str = ""  # splitter used, e.g. "blank_line" or "given" for pre-split imports
    steps: list[Step] = Field(default_factory=list)
    final_answer: Optional[str] = None
    outcome: ChainOutcome = Field(default_factory=ChainOutcome)
    first_error: Optional[int] = None  # ProcessBench: first -1 step, -1 none, null when not known
    first_flag: Optional[int] = None  # first -1 step whatever precedes it; null when no step is -1
    status: Literal["labeled", "filtered", "quarantined"] = "labeled"
    status_reason: str = ""
    shard: int = 0
    build: Build = Field(default_factory=Build)


# --- Arrow ------------------------------------------------------------------------------------

COST = pa.struct([("ms", pa.float64()), ("tokens", pa.int64())])
VERDICT = pa.struct(
    [
        ("labeler", pa.string()),
        ("version", pa.string()),
        ("rating", pa.int8()),
        ("score", pa.float64()),
        ("evidence", pa.string()),
        ("cost", COST),
        ("cached", pa.bool_()),
    ]
)
STEP = pa.struct(
    [
        ("index", pa.int32()),
        ("text", pa.string()),
        ("rating", pa.int8()),
        ("score", pa.float64()),
        ("decided_by", pa.string()),
        ("agreement", pa.float64()),
        ("verdicts", pa.list_(VERDICT)),
    ]
)
REFERENCE = pa.struct([(k, pa.string()) for k in ("answer", "solution", "tests", "entry_point")])
SOURCE = pa.struct(
    [("dataset", pa.string()), ("split", pa.string()), ("revision", pa.string()), ("row_index", pa.int64()),
     ("file", pa.string()), ("line", pa.int64())]
)
GENERATOR = pa.struct(
    [
        ("kind", pa.string()),
        ("model", pa.string()),
        ("endpoint", pa.string()),
        ("params", pa.string()),
        ("seed", pa.int64()),
        ("sample_index", pa.int32()),
        ("finish_reason", pa.string()),
    ]
)
OUTCOME = pa.struct([("correct", pa.bool_()), ("evidence", pa.string())])
BUILD = pa.struct(
    [
        ("build_id", pa.string()),
        ("config_hash", pa.string()),
        ("steplabel_version", pa.string()),
        ("labelers", pa.list_(pa.struct([("name", pa.string()), ("version", pa.string())]))),
        ("created_at", pa.string()),
    ]
)

CHAINS_SCHEMA = pa.schema(
    [
        ("chain_id", pa.string()),
        ("problem_id", pa.string()),
        ("domain", pa.string()),
        ("problem", pa.string()),
        ("reference", REFERENCE),
        ("source", SOURCE),
        ("generator", GENERATOR),
        ("text", pa.string()),
        ("segmenter", pa.string()),
        ("steps", pa.list_(STEP)),
        ("final_answer", pa.string()),
        ("outcome", OUTCOME),
        ("first_error", pa.int32()),
        ("first_flag", pa.int32()),
        ("status", pa.string()),
        ("status_reason", pa.string()),
        ("shard", pa.int32()),
        ("build", BUILD),
    ]
)


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Chain dicts → Arrow table in the canonical schema (fails loudly on a wrong shape)."""
    return pa.Table.from_pylist(rows, schema=CHAINS_SCHEMA)


_BLANK_CHAIN = Chain(chain_id="", problem_id="").model_dump()
_NESTED = {k for k, v in _BLANK_CHAIN.items() if isinstance(v, dict)}
_BLANK_PICKLE = pickle.dumps(_BLANK_CHAIN)


def new_chain(**fields: Any) -> dict[str, Any]:
    """A complete chain dict with defaults filled in; nested structs are merged key by key.

    Built from a template rather than through pydantic so importers stay fast at millions of
    rows; the Arrow schema checks every row's shape when it is written."""
    row = pickle.loads(_BLANK_PICKLE)  # a deep copy, six times faster than copy.deepcopy
    for key, value in fields.items():
        if key not in row:
            raise KeyError(f"chain has no field {key!r}")
        if key in _NESTED and value is not None:
            unknown = set(value) - set(row[key])
            if unknown:
                raise KeyError(f"chain.{key} has no fields {sorted(unknown)}")
            row[key].update(value)
        else:
            row[key] = value
    return row


def stable_id(*parts: Any) -> str:
    """A short, stable content hash used for chain ids and cache keys."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]
