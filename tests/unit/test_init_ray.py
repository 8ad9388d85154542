"""init_ray: a Ray start-up that times out is retried once, then fails with one line saying what
to try. Ray's start-up is replaced by one that times out as Ray's does (no Ray is started)."""
from __future__ import annotations

import os

import pytest
import ray

from steplabel.pipeline.build import BuildError, init_ray


class FlakyStart:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls, self.shutdowns = failures, error, 0, 0

    def init(self, **_kw) -> None:
        self.calls += 1
        self.niceness = os.environ.get("RAY_worker_niceness")
        if self.calls <= self.failures:
            raise self.error

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture
def start(monkeypatch):
    def make(failures: int, error: Exception) -> FlakyStart:
        flaky = FlakyStart(failures, error)
        monkeypatch.setattr(ray, "is_initialized", lambda: False)
        monkeypatch.setattr(ray, "init", flaky.init)
        monkeypatch.setattr(ray, "shutdown", flaky.shutdown)
        monkeypatch.delenv("RAY_ADDRESS", raising=False)
        return flaky
    return make


RAY_TIMEOUT = Exception("The current node timed out during startup. This could happen because some of the "
                        "raylet failed to startup or the GCS has become overloaded.")


def test_one_timeout_is_retried(start):
    flaky = start(1, RAY_TIMEOUT)
    assert init_ray(None) is True
    assert flaky.calls == 2 and flaky.shutdowns == 1


def test_two_timeouts_fail_with_one_line_saying_what_to_try(start):
    flaky = start(2, RAY_TIMEOUT)
    with pytest.raises(BuildError) as info:
        init_ray(None)
    message = str(info.value)
    assert flaky.calls == 2 and "\n" not in message
    assert "timed out" in message and "ray start --head" in message and "--address" in message


def test_other_errors_are_not_retried(start):
    flaky = start(1, ValueError("object_store_memory is too large"))
    with pytest.raises(ValueError, match="too large"):
        init_ray(None)
    assert flaky.calls == 1


def test_a_local_ray_runs_its_workers_at_the_builds_priority(start, monkeypatch):
    monkeypatch.delenv("RAY_worker_niceness", raising=False)
    flaky = start(0, RAY_TIMEOUT)
    assert init_ray(None) is True and flaky.niceness == "0"
    monkeypatch.setenv("RAY_worker_niceness", "10")  # an operator's own choice is kept
    assert init_ray(None) is True and flaky.niceness == "10"
