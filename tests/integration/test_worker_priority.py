"""The Ray a build starts runs its workers, and what they start (sandboxes, deadline children), at
the build's own priority: Ray's default (nice 15) lets any other load at nice 0 starve them."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.integration


def test_workers_run_at_the_drivers_priority(ray_session):
    @ray_session.remote
    def niceness() -> int:
        return os.nice(0)

    assert ray_session.get(niceness.remote(), timeout=120) == os.nice(0)
