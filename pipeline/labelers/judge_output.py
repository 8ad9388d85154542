"""What a judge model is asked to return, and how its answer is read.

The schemas go out as `response_format` where the endpoint supports structured output; the
parsers are tolerant where it does not: a fenced or embedded JSON object, a `ratings` list, a
ProcessBench-style `\\boxed{k}` first-error index, or a bare "rating: -1". Every parser returns
what it could read and, when it could not or should not be trusted, why — never raises.

An answer is not trusted (an abstain, with the reason) when it contradicts itself (`first_error`
against its own ratings), or when its reasons show the judge did not look: every reason empty
(or missing from a step object), a single word or the prompt's placeholder, or the same reason
for every step. Formats without per-step reasons (a bare ratings list, a first-error index) are
read as such; a boxed first error needs some critique around it.
"""
from __future__ import annotations

import json
import re
from typing import Any, Optional

from ..first_error import ratings_from_first_error
from ..llm.config import EndpointConfig

MAX_RAW = 1500
MAX_REASON = 240
PLACEHOLDER_REASONS = {"...", "…", "<why>"}
# reasons the parser writes itself for formats that carry none (a bare ratings list, a first-error
# index): not the judge's words, so never read for consistency
FIRST_ERROR, BEFORE_ERROR, NO_ERROR_YET, NAMED_ERROR = ("first error", "before the first error",
                                                       "no error found before or at this step",
                                                       "named as the first error")
DERIVED_REASONS = frozenset({"", FIRST_ERROR, BEFORE_ERROR, NO_ERROR_YET, NAMED_ERROR})


# --- response schemas ---------------------------------------------------------------------------

RATING_SCHEMA = {"type": "integer", "enum": [-1, 0, 1]}
CHAIN_SCHEMA = {
    "type": "object",
    "properties": {
        "steps": {"type": "array", "items": {
            "type": "object",
            "properties": {"index": {"type": "integer"}, "rating": RATING_SCHEMA, "reason": {"type": "string"}},
            "required": ["index", "rating", "reason"], "additionalProperties": False}},
        "first_error": {"type": "integer"},
    },
    "required": ["steps", "first_error"],
    "additionalProperties": False,
}
STEP_SCHEMA = {
    "type": "object",
    "properties": {"rating": RATING_SCHEMA, "reason": {"type": "string"}},
    "required": ["rating", "reason"],
    "additionalProperties": False,
}


def response_format(endpoint: EndpointConfig, mode: str) -> Optional[dict[str, Any]]:
    schema = CHAIN_SCHEMA if mode == "chain" else STEP_SCHEMA
    name = "step_ratings" if mode == "chain" else "step_rating"
    if endpoint.response_format == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
    if endpoint.response_format == "json_object":
        return {"type": "json_object", "schema": schema}  # llama.cpp's server honours `schema` here
    return None


# --- tolerant parsing -----------------------------------------------------------------------------

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)
_BOXED = re.compile(r"\\boxed\{\s*([+-]?\d+)\s*\}")
_WORDS = {"correct": 1, "right": 1, "good": 1, "positive": 1, "neutral": 0, "incorrect": -1, "wrong": -1,
          "error": -1, "bad": -1, "negative": -1}


def _json_objects(text: str) -> list[Any]:
    """Every balanced {...} in the text that parses as JSON, outermost first."""
    found = []
    i = 0
    while True:
        start = text.find("{", i)
        if start < 0:
            return found
        depth, in_str, esc = 0, False, False
        for j in range(start, len(text)):
            ch = text[j]
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    try:
                        found.append(json.loads(text[start:j + 1]))
                        i = j + 1
                    except ValueError:
                        i = start + 1
                    break
        else:
            return found


def normalize_rating(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return 1 if value else -1
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            return None
        r = int(round(value))
        return r if r in (-1, 0, 1) else None
    if isinstance(value, str):
        v = value.strip().lower().strip(".")
        if v in _WORDS:
            return _WORDS[v]
        try:
            return normalize_rating(float(v))
        except ValueError:
            return None
    return None


def _candidates(text: str) -> list[Any]:
    text = _THINK.sub("", text or "").strip()
    out: list[Any] = []
    try:
        out.append(json.loads(text))
    except ValueError:
        pass
    for block in _FENCE.findall(text):
        try:
            out.append(json.loads(block.strip()))
        except ValueError:
            out.extend(_json_objects(block))
    out.extend(_json_objects(text))
    return out


def _hollow(reason: str) -> bool:
    """A reason that says nothing: empty, the prompt's placeholder, or a single word ("error")."""
    text = reason.strip()
    return text in PLACEHOLDER_REASONS or len(text.split()) <= 1


def untrusted_reasons(reasons: list[str]) -> Optional[str]:
    """Why an answer's reasons show the judge did not look at the steps, or None when they may."""
    if not reasons:
        return None
    if all(r.strip() in PLACEHOLDER_REASONS for r in reasons):
        return "the answer copies the prompt's example (every reason is a placeholder)"
    if all(_hollow(r) for r in reasons):
        shown = sorted({r.strip() for r in reasons})[:3]
        return f"degenerate answer: every reason is empty or a single word ({', '.join(map(repr, shown))})"
    if len(reasons) > 1 and len({" ".join(r.lower().split()) for r in reasons}) == 1:
        return f"degenerate answer: every step has the same reason ({reasons[0].strip()[:80]!r})"
    return None


def parse_chain(text: str, n_steps: int) -> tuple[dict[int, tuple[int, str]], Optional[str]]:
    """A whole-chain critique → ({step: (rating, reason)}, problem or None). Never raises."""
    for obj in _candidates(text):
        if isinstance(obj, list):
            obj = {"ratings": obj}
        if not isinstance(obj, dict):
            continue
        ratings: dict[int, tuple[int, str]] = {}
        reasoned = False  # items are objects that carry (or should carry) a reason
        steps = obj.get("steps")
        if steps is None and isinstance(obj.get("ratings"), list):
            steps = obj["ratings"]
        if isinstance(steps, list):
            for pos, item in enumerate(steps):
                if isinstance(item, dict):
                    reasoned = True
                    index = item.get("index", item.get("paragraph", item.get("step", pos)))
                    rating = normalize_rating(item.get("rating", item.get("label")))
                    reason = str(item.get("reason", item.get("explanation", "")))[:MAX_REASON]
                else:
                    index, rating, reason = pos, normalize_rating(item), ""
                try:
                    index = int(index)
                except (TypeError, ValueError):
                    continue
                if rating is not None and 0 <= index < n_steps and index not in ratings:
                    ratings[index] = (rating, reason)
        if ratings:
            problem = untrusted_reasons([reason for _, reason in ratings.values()]) if reasoned else None
            if problem:
                return {}, problem
            problem = _check_first_error(obj.get("first_error"), ratings, n_steps)
            if problem:
                return {}, problem
            missing = n_steps - len(ratings)
            return ratings, (f"partial answer: {missing} of {n_steps} steps unrated" if missing else None)
        fe = obj.get("first_error")
        if fe is not None:
            derived = _from_first_error(fe, n_steps)
            if derived is not None:
                return derived, None
    clean = _THINK.sub("", text or "")
    boxed = _BOXED.findall(clean)
    if boxed:
        derived = _from_first_error(boxed[-1], n_steps)
        if derived is not None:  # the critique around the box is the answer's one reason
            critique = " ".join(_BOXED.sub(" ", clean).split())
            return ({}, "degenerate answer: a first-error index with no critique") if _hollow(critique) else (derived, None)
    return {}, "no step ratings found in the answer"


def _check_first_error(value: Any, ratings: dict[int, tuple[int, str]], n_steps: int) -> Optional[str]:
    """None when the answer's `first_error` agrees with its step ratings (or is absent); a judge
    that contradicts itself is an abstain, not a label. A first error at a step it left unrated
    fills that step in."""
    if value is None or isinstance(value, bool):
        return None
    try:
        fe = int(value)
    except (TypeError, ValueError):
        return None
    said = next((i for i in sorted(ratings) if ratings[i][0] == -1), -1)
    if fe == said:
        return None
    if said == -1 and 0 <= fe < n_steps and fe not in ratings and all(i < fe for i in ratings):
        ratings[fe] = (-1, NAMED_ERROR)
        return None
    return f"inconsistent answer: first_error={fe} but the step ratings put it at {said}"


def _from_first_error(value: Any, n_steps: int) -> Optional[dict[int, tuple[int, str]]]:
    """ProcessBench convention: steps before the first error +1, the error -1, after it unrated."""
    try:
        ratings = ratings_from_first_error(int(value), n_steps)
    except (TypeError, ValueError):
        return None
    reason = {1: BEFORE_ERROR if -1 in ratings else NO_ERROR_YET, -1: FIRST_ERROR}
    return {i: (r, reason[r]) for i, r in enumerate(ratings) if r is not None}


_RATING_WORD = re.compile(r"rating\s*(?:is|of|[:=])?\s*([+-]?[01])\b", re.I)


def parse_step(text: str) -> tuple[Optional[int], str, Optional[str]]:
    """A single-step judgement → (rating, reason, problem or None). Never raises.

    A free-text answer ("... \\boxed{-1}", "rating: 1") gives its text as the reason."""
    for obj in _candidates(text):
        if isinstance(obj, dict) and ("rating" in obj or "label" in obj):
            rating = normalize_rating(obj.get("rating", obj.get("label")))
            reason = str(obj.get("reason", ""))[:MAX_REASON]
            if rating is not None:
                problem = untrusted_reasons([reason])
                return (None, "", problem) if problem else (rating, reason, None)
    clean = _THINK.sub("", text or "")
    for pattern in (_BOXED, _RATING_WORD):
        found = pattern.findall(clean)
        if found:
            rating = normalize_rating(found[-1])
            if rating is not None:
                reason = " ".join(pattern.sub(" ", clean).split())[:MAX_REASON]
                problem = untrusted_reasons([reason])
                return (None, "", problem) if problem else (rating, reason, None)
    return None, "", "no rating found in the answer"
