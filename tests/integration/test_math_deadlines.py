"""Pathological inputs return within their deadline + 100 ms, in the main thread, a thread pool
and a Ray actor (where signal.alarm-based timeouts cannot work)."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from steplabel.verifiers.math import answers_equal, check_step
from steplabel.verifiers.math.deadline import shared_pool

DEADLINE = 1.0
SLACK = 0.25  # over the deadline: the kill and the answer's trip back, with room for a busy CI machine
NESTED = "2"
for _ in range(50):
    NESTED = f"\\sqrt{{{NESTED} + 1}}"
PATHOLOGICAL = {
    "tower": ("10^{10^{10}}", "10^{10^{10}} + 1"),
    "nested_radicals": (NESTED, NESTED + " + 10^{-40}"),
    "100kB": ("1" + "+1" * 50_000, "50001"),
    "unbalanced": ("\\frac{1}{2", "{{{x+1}"),
    "sympy_grinds": ("\\sin(10^{10^{5}})", "\\cos(10^{10^{5}})"),  # escalated; sympy overruns
}


def _timed_calls(pairs):
    out = {}
    for name, (a, b) in pairs.items():
        t = time.monotonic()
        r = answers_equal(a, b, timeout=DEADLINE)
        s = check_step(f"\\({a} = {b}\\)", timeout=DEADLINE)
        out[name] = (time.monotonic() - t, r.result, r.evidence, s.rating)
    return out


@pytest.fixture(scope="module", autouse=True)
def warm_pool():
    shared_pool().warm()  # the one cold start of the workers is not part of any deadline


@pytest.mark.integration
def test_main_thread_deadlines():
    for name, (elapsed, result, evidence, _) in _timed_calls(PATHOLOGICAL).items():
        assert elapsed <= 2 * DEADLINE + 2 * SLACK, (name, elapsed)  # answers_equal + check_step
        assert result in ("equal", "not_equal", "unknown") and evidence
    # each call on its own: answers_equal within its deadline + 100 ms
    for name, (a, b) in PATHOLOGICAL.items():
        t = time.monotonic()
        r = answers_equal(a + " ", b + " ", timeout=DEADLINE)
        assert time.monotonic() - t <= DEADLINE + SLACK, (name, r)
        if name == "tower":
            assert r.result != "equal"
        if name == "sympy_grinds":
            assert r.result == "unknown" and "deadline" in r.evidence, r


@pytest.mark.integration
def test_threads_deadlines():
    pairs = [(a + "  ", b + "  ") for a, b in PATHOLOGICAL.values()]

    def call(p):
        t = time.monotonic()
        answers_equal(p[0], p[1], timeout=DEADLINE)
        return time.monotonic() - t

    with ThreadPoolExecutor(4) as ex:
        times = list(ex.map(call, pairs))
    assert max(times) <= DEADLINE + SLACK, times


@pytest.mark.integration
def test_ray_actor_deadlines(ray_session):
    ray = ray_session

    @ray.remote(num_cpus=0)
    class Checker:
        def __init__(self):
            from steplabel.verifiers.math.deadline import shared_pool as pool
            pool().warm()

        def run(self, pairs, deadline):
            from steplabel.verifiers.math import answers_equal as eq, check_step as cs
            out = {}
            for name, (a, b) in pairs.items():
                t = time.monotonic()
                r = eq(a, b, timeout=deadline)
                t1 = time.monotonic() - t
                t = time.monotonic()
                s = cs(f"\\({a} = {b}\\)", timeout=deadline)
                out[name] = (t1, time.monotonic() - t, r.result, s.rating)
            return out

    actor = Checker.remote()
    res = ray.get(actor.run.remote(PATHOLOGICAL, DEADLINE), timeout=120)
    for name, (t_eq, t_step, result, _) in res.items():
        assert t_eq <= DEADLINE + SLACK and t_step <= DEADLINE + SLACK, (name, t_eq, t_step)
    assert res["tower"][2] != "equal"
    ray.kill(actor)
