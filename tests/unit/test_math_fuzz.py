"""Seeded fuzz: hostile steps and answers return within their deadline (the full 10,000-case run is
tests/benchmarks/bench_math_fuzz.py). Huge powers, towers, factorials, long runs of `=` and
brackets, 100 kB steps: the fast paths bound them before computing, the claim finder is linear."""
from __future__ import annotations

import time

from steplabel.verifiers.math import answers_equal, check_step
from steplabel.verifiers.math.deadline import shared_pool
from tests.support.hostile_math import cases

DEADLINE = 0.3
SLACK = 0.6  # generous for a loaded 2-core machine; the benchmark reports the real margin


def test_hostile_steps_return_within_the_deadline():
    slow = []
    for k, (kind, text) in enumerate(cases(240, seed=1)):
        if kind != "step":
            continue
        t = time.monotonic()
        r = check_step(text, timeout=DEADLINE)
        dt = time.monotonic() - t
        assert r.rating in (-1, None) and r.evidence
        if dt > DEADLINE + SLACK:
            slow.append((k, round(dt, 3), text[:60]))
    assert not slow, slow


def test_hostile_answers_are_decided_or_unknown_within_the_deadline():
    shared_pool().warm()  # its one cold start (importing sympy) is not a per-call cost
    slow = []
    for k, (kind, text) in enumerate(cases(120, seed=2)):
        if kind != "answer":
            continue
        t = time.monotonic()
        r = answers_equal(text, "12", timeout=DEADLINE)
        dt = time.monotonic() - t
        assert r.result in ("equal", "not_equal", "unknown") and r.evidence
        if dt > DEADLINE + SLACK:
            slow.append((k, round(dt, 3), text[:60]))
    assert not slow, slow
