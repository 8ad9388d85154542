"""ProcessBench's first-error convention, in one place (merge, evaluate, importers, judge parsing).

A chain's first error is the index of its first -1 step, or -1 when it has none. It is known only
when every step before that -1 is rated 0 or +1 (or, for -1, when every step is rated and none is
-1): `[None, -1]` says step 1 is wrong but nothing about step 0, so its first error is None
(undetermined) and its first flag is 1. Ratings are -1/0/+1, None for unrated.
"""
from __future__ import annotations

from typing import Optional, Sequence

Ratings = Sequence[Optional[int]]


def first_flag(ratings: Ratings) -> Optional[int]:
    """Index of the first -1, whatever precedes it; None when no step is rated -1."""
    return next((i for i, r in enumerate(ratings) if r == -1), None)


def first_error(ratings: Ratings) -> Optional[int]:
    """The first error when it is determined (see the module docstring), else None."""
    for i, r in enumerate(ratings):
        if r is None:
            return None
        if r == -1:
            return i
    return -1


def ratings_from_first_error(first_error: int, n_steps: int) -> list[Optional[int]]:
    """ProcessBench labels as step ratings: +1 before the first error, -1 at it, unrated after;
    -1 (no error) rates every step +1. Raises ValueError for an index outside the chain."""
    if not -1 <= first_error < n_steps:
        raise ValueError(f"first error {first_error} is outside a {n_steps}-step chain")
    if first_error == -1:
        return [1] * n_steps
    return [1] * first_error + [-1] + [None] * (n_steps - first_error - 1)
