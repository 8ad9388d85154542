"""The contract every labeler implements.

A labeler looks at chains (plain dicts in the `schema.Chain` shape, already segmented) and
returns one `Labeling` per chain: verdicts for the steps it has an opinion on, and optionally a
chain-level outcome. It never edits the chain; `apply_labeling` appends its verdicts, so
labelers stay order-independent and merge alone decides final ratings.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from pydantic import BaseModel, ConfigDict, ValidationError

from ..validation import validation_message

if TYPE_CHECKING:  # cascade.py reads the merge, which reads the config, which reads this package
    from ..cascade import Cascade


def verdict(
    labeler: "Labeler",
    rating: Optional[int],
    evidence: str = "",
    score: Optional[float] = None,
    ms: float = 0.0,
    tokens: int = 0,
    cached: bool = False,
) -> dict[str, Any]:
    """A verdict dict in the schema's shape (rating None = abstain)."""
    if rating not in (-1, 0, 1, None):
        raise ValueError(f"rating must be -1, 0, 1 or None, got {rating!r}")
    return {
        "labeler": labeler.name,
        "version": labeler.version,
        "rating": rating,
        "score": score,
        "evidence": evidence,
        "cost": {"ms": float(ms), "tokens": int(tokens)},
        "cached": cached,
    }


@dataclass
class Labeling:
    """What one labeler says about one chain."""

    verdicts: dict[int, dict[str, Any]] = field(default_factory=dict)  # step index -> verdict
    outcome: Optional[dict[str, Any]] = None  # {"correct": bool|None, "evidence": str}
    final_answer: Optional[str] = None


class Options(BaseModel):
    """A labeler's options, as a config's `labelers[].options` writes them. Strict: an unknown
    key fails (a typo such as `timout` must not silently keep the default). Subclass per labeler."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Context:
    """What the build supplies at run time, never the user: where the LLM request cache and budget
    ledger live, which build is running. Kept apart from options so they stay the user's own."""

    cache_dir: Optional[str] = None  # <OUT>/cache in a build; None = no cache, no shared ledger
    build_id: Optional[str] = None
    # run.cache: a request cache shared by every build (many nodes, many nightly OUTs); None = cache_dir's
    request_cache: Optional[str] = None
    # merge.cascade: which steps the merge still needs an LLM labeler for (cascade.py); None = every step
    cascade: Optional["Cascade"] = None


def validated_options(labeler: str, model: type[Options], options: dict[str, Any]) -> Any:
    """A labeler's options checked by its pydantic model; unknown or mistyped keys are named."""
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        raise ValueError(validation_message(exc, f"options for labeler {labeler!r}")) from None


class Labeler(ABC):
    """Base class: subclasses set `name`, `version`, `options_model` and implement `label`.

    Options arrive as keywords and are validated by `options_model` into `self.opts`; the build's
    runtime facts arrive as `context`. `label_batch` is what stages call; override it when a
    labeler gains from seeing a whole batch (concurrent LLM requests, one process pool round-trip).

    In a build a labeler runs in a watched child process, one row at a time, and a row that
    runs over `row_timeout` seconds of CPU time (or ten times that of wall clock) becomes an
    abstain with evidence `deadline`
    (`labelers/watchdog.py`); a class whose `row_timeout` is None runs in-process instead.
    A config's `labelers[].row_timeout` overrides the default.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    domains: ClassVar[tuple[str, ...]] = ("math", "code")
    options_model: ClassVar[type[Options]] = Options
    row_timeout: ClassVar[Optional[float]] = 60.0
    cascades: ClassVar[bool] = False  # asks only about the steps the merge needs it for (merge.cascade)

    def __init__(self, context: Optional[Context] = None, **options: Any) -> None:
        if context is not None and not isinstance(context, Context):
            raise TypeError(f"labeler {self.name!r}: context must be a Context, got {type(context).__name__} "
                            "(options are keyword arguments)")
        self.opts: Any = validated_options(self.name, self.options_model, options)
        self.context = context or Context()

    @abstractmethod
    def label(self, chain: dict[str, Any]) -> Labeling:
        """Verdicts for one segmented chain."""

    def label_batch(self, chains: list[dict[str, Any]]) -> list[Labeling]:
        return [self.label(c) if c["domain"] in self.domains else Labeling() for c in chains]

    def close(self) -> None:
        """Release pools, sandboxes or clients; called when the stage's actor is done."""


EVIDENCE_CHARS = 4000  # kept of one verdict's or outcome's evidence: its start and its end
EVIDENCE_TAIL = 1000  # of which the end (a traceback's last lines say the most)


def capped_evidence(evidence: Any) -> Any:
    """Evidence as stored: at most EVIDENCE_CHARS characters, the cut said in the text. A test
    run's whole output or a model's long critique stays readable in a row, not 160 kB of it."""
    if not isinstance(evidence, str) or len(evidence) <= EVIDENCE_CHARS:
        return evidence
    head = EVIDENCE_CHARS - EVIDENCE_TAIL
    left_out = len(evidence) - EVIDENCE_CHARS
    return (f"{evidence[:head]}\n… [evidence cut: {left_out:,} of its {len(evidence):,} characters left out] …\n"
            f"{evidence[-EVIDENCE_TAIL:]}")


def apply_labeling(chain: dict[str, Any], labeling: Labeling) -> None:
    """Append a labeling's verdicts to the chain's steps and fill chain-level fields it knows.
    Every labeler's verdicts pass here, so this is where evidence is capped (`capped_evidence`)."""
    steps = chain["steps"]
    bad = [i for i in labeling.verdicts if not 0 <= i < len(steps)]
    if bad:  # checked before anything is appended, so a retry never sees half a labeling
        raise IndexError(f"verdicts for steps {bad} of a {len(steps)}-step chain")
    for index, v in labeling.verdicts.items():
        if isinstance(v.get("evidence"), str) and len(v["evidence"]) > EVIDENCE_CHARS:
            v = {**v, "evidence": capped_evidence(v["evidence"])}
        steps[index]["verdicts"].append(v)
    if labeling.outcome is not None and chain["outcome"].get("correct") is None:
        outcome = labeling.outcome
        if isinstance(outcome.get("evidence"), str) and len(outcome["evidence"]) > EVIDENCE_CHARS:
            outcome = {**outcome, "evidence": capped_evidence(outcome["evidence"])}
        chain["outcome"] = outcome
    if labeling.final_answer is not None and not chain.get("final_answer"):
        chain["final_answer"] = labeling.final_answer


class Stopwatch:
    """Milliseconds since construction, for verdict costs."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0
