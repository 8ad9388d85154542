"""Exceptions every layer may raise: kept here, at the bottom, so no layer imports upward for them."""
from __future__ import annotations


class StopBuild(Exception):
    """Raised by a stage when the whole build must stop cleanly (e.g. the LLM budget is spent).

    `guarded` lets it through instead of quarantining rows. At the Ray boundary the batch's rows
    are marked `stopped` (an exception would reach the driver without its type), so the driver
    writes only the shards that finished, records why it stopped, and a re-run resumes there."""
