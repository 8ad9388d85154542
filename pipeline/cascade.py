"""The cascade (`merge.cascade: true`): an LLM labeler asks only about the steps the merge still needs it for.

Under `priority` a step's rating is the first non-abstaining verdict in `merge.order`, so a verdict
from a labeler later in the order changes nothing on a step an earlier labeler already rated; with
`stop_at_first_error` it changes nothing on a step after one an earlier labeler rated -1 either.
The cascade skips exactly those steps, and nothing else, so the merged ratings are those of running
every labeler everywhere:

- the labelers run in merge order (`stage_order`), so a cascaded labeler sees every verdict of the
  labelers before it;
- `Cascade.skips` names the steps a labeler need not rate, each with who decided it;
- a labeler whose requests cover a whole chain (the judge: one critique per chain, or in step mode
  reasons compared across the chain's steps) runs on a chain unless every step is skipped; rollouts
  skip prefixes (exhaustive) or stop their binary search once no step they are needed for is left
  undetermined (`labelers/rollout.py`);
- a skipped step gets a verdict with rating null and evidence `{"cascade": "skipped", ...}` (not an
  abstain: nothing was asked), with the samples the labeler would have asked for, so rows keep who
  ran, who did not and why, and the card can count the saving.

Only LLM labelers are cascaded (deterministic ones cost next to nothing and always run), and never
one named in `merge.agree`: `consensus` compares those labelers' own first errors, which needs all
their verdicts. Labelers outside `merge.order` decide nothing and are not cascaded either.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence, TypeVar

from .merge import decide_priority

SKIPPED = '{"cascade": "skipped"'  # how a skip verdict's evidence begins
IS_SKIP = f"starts_with(evidence, '{SKIPPED}')"  # the same test in SQL over the `verdicts` view
T = TypeVar("T")


@dataclass(frozen=True)
class Cascade:
    """The merge facts a cascaded labeler needs, shipped to its actor in the labelers' `Context`."""

    order: tuple[str, ...]
    agree: tuple[str, ...] = ()
    stop_at_first_error: bool = True

    @classmethod
    def of(cls, merge: Any) -> Optional["Cascade"]:
        """The cascade of a config's merge section, or None when it is off."""
        if not getattr(merge, "cascade", False):
            return None
        return cls(tuple(merge.order), tuple(merge.agree), bool(merge.stop_at_first_error))

    def applies_to(self, labeler: str) -> bool:
        return labeler in self.order and labeler not in self.agree and self.order.index(labeler) > 0

    def skips(self, chain: dict[str, Any], labeler: str) -> dict[int, str]:
        """Steps (by position) whose merged rating cannot depend on `labeler`, each with the reason:
        an earlier labeler in the order rated it, or (stop_at_first_error) rated an earlier step -1."""
        if not self.applies_to(labeler):
            return {}
        earlier = list(self.order[: self.order.index(labeler)])
        out: dict[int, str] = {}
        wrong: Optional[tuple[int, str]] = None
        for i, step in enumerate(chain["steps"]):
            if wrong is not None:
                out[i] = f"after step {wrong[0]}, rated -1 by {wrong[1]} (stop_at_first_error)"
                continue
            decided = decide_priority(step["verdicts"], earlier)
            if decided is None:
                continue
            rating, _, by = decided
            out[i] = f"rated {rating:+d} by {by}"
            if rating == -1 and self.stop_at_first_error:
                wrong = (i, by)
        return out


def skip_evidence(why: str, samples: int = 0, at_most: bool = False) -> str:
    """A skip verdict's evidence: why, and the samples (completions) the labeler did not ask for."""
    body: dict[str, Any] = {"cascade": "skipped", "why": why, "samples_not_asked": int(samples)}
    if at_most:  # a bound: what was not asked depends on answers never received
        body["at_most"] = True
    return json.dumps(body)


def stage_order(groups: list[list[T]], order: Sequence[str], cascade: bool) -> list[list[T]]:
    """Stage groups (of labeler configs with `.name`) in the order the cascade needs: a group after
    every group holding a labeler earlier in `order` (labelers outside it first); as given otherwise."""
    if not cascade:
        return groups
    rank = {name: i for i, name in enumerate(order)}
    return sorted(groups, key=lambda group: min(rank.get(lc.name, -1) for lc in group))  # type: ignore[attr-defined]
