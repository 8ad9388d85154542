"""Test-server scripts built from the bundled sample: a rollout policy and a judge that know the
annotated first errors, so tests can predict exactly what rollouts and judges should find.

Rollout policy: the test server answers the prompt with the longest matching key, and a rollout
prompt ends with the prefix it continues, so each prefix of each sample chain gets its own entry.
Before the annotated first error a prefix can still reach the reference answer (most completions
do); from the first error on, none can. The MC value is therefore monotone, as the binary search
assumes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional

from steplabel.pipeline.labelers.rollout import DEFAULT_TEMPLATE
from steplabel.pipeline.segment import split_steps

SAMPLE = Path(__file__).resolve().parents[2] / "pipeline" / "sample" / "math.jsonl"
WRONG = "-987654321"


def sample_chains(min_steps: int = 0) -> list[dict[str, Any]]:
    """Each math sample chain with its problem, reference, steps and annotated first error."""
    out = []
    for line in SAMPLE.read_text().splitlines():
        problem = json.loads(line)
        for chain in problem["chains"]:
            steps = split_steps(chain["text"], "blank_line")
            if len(steps) >= min_steps:
                out.append({"problem": problem["problem"], "answer": problem["reference"]["answer"],
                            "steps": steps, "first_error": chain["first_error"], "kind": chain["kind"],
                            "text": chain["text"], "problem_id": problem["problem_id"]})
    return out


def _prefix_key(problem: str, steps: list[str], upto: int) -> str:
    """The completions prompt after steps 0..upto (upto = -1: the question alone)."""
    prefix = "\n\n".join(steps[: upto + 1])
    return DEFAULT_TEMPLATE.replace("{problem}", problem).replace("{prefix}", prefix)


def rollout_policy(chains: list[dict[str, Any]], right_share: tuple[int, int] = (3, 4),
                   unsolved: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Policy entries: prefix prompt -> completions (right ones before the first error, else wrong).

    From the question alone the policy solves every problem (right_share of its completions),
    except the problem ids in `unsolved`, where it never does."""
    right_n, of = right_share
    table: dict[str, list[str]] = {}
    for c in chains:
        right = f"Solving it directly.\n\nThe answer is $\\boxed{{{c['answer']}}}$."
        wrong = f"Solving it directly.\n\nThe answer is $\\boxed{{{WRONG}}}$."
        never = c["problem_id"] in unsolved
        table[_prefix_key(c["problem"], c["steps"], -1)] = [wrong] * of if never else [right] * right_n + [wrong] * (of - right_n)
        n = len(c["steps"])
        bad_from = c["first_error"] if c["first_error"] >= 0 else n
        for i in range(n):
            good = i < bad_from
            right = f"Carrying on from here gives the result.\n\nThe answer is $\\boxed{{{c['answer']}}}$."
            wrong = f"Carrying on from here gives the result.\n\nThe answer is $\\boxed{{{WRONG}}}$."
            options = [right] * right_n + [wrong] * (of - right_n) if good else [wrong] * of
            key = _prefix_key(c["problem"], c["steps"], i)
            if key in table and table[key] != options:
                raise ValueError(f"two sample chains disagree about the prefix {key[-80:]!r}")
            table[key] = options
    return table


def judge_script(chains: list[dict[str, Any]], judged_first_error: Callable[[int, dict[str, Any]], int]) -> list[dict]:
    """Judge entries matching each chain by a step text only it has, with the first error the
    callback chooses (the annotation, or a deliberate disagreement)."""
    entries = []
    for n, c in enumerate(chains):
        others = [s for o in chains if o is not c for s in o["steps"]]
        unique = [s for s in c["steps"] if not any(s in t for t in others)]
        if not unique:
            continue  # an exact duplicate of another chain is judged as that one
        entries.append({"match": max(unique, key=len), "first_error": judged_first_error(n, c)})
    return entries


def endpoint(base_url: str, model: str, **extra: Any) -> dict[str, Any]:
    return {"base_url": base_url, "model": model, "max_retries": 2, "timeout": 10, "backoff_base": 0.05, **extra}


def chain_key(c: dict[str, Any]) -> str:
    return c["text"]


def as_problem_records(chains: list[dict[str, Any]], only: Optional[set[str]] = None) -> list[dict[str, Any]]:
    """The chains as our JSONL shape (problem with chains), for a build's input."""
    by_problem: dict[str, dict[str, Any]] = {}
    for c in chains:
        if only is not None and c["problem_id"] not in only:
            continue
        rec = by_problem.setdefault(c["problem_id"], {"problem_id": c["problem_id"], "problem": c["problem"],
                                                     "reference": {"answer": c["answer"]}, "chains": []})
        rec["chains"].append({"text": c["text"], "first_error": c["first_error"], "kind": c["kind"]})
    return list(by_problem.values())


def write_problems(path: Path, problems: list[dict[str, Any]]) -> Path:
    """The sample's problems as bare-problem JSONL (id, text, reference answer): input for sampling builds."""
    path.write_text("".join(json.dumps({"problem_id": p["problem_id"], "problem": p["problem"],
                                        "answer": p["reference"]["answer"]}) + "\n" for p in problems))
    return path
