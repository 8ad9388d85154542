"""Pathological inputs get an answer bounded by its deadline — never a hang, never a crash — in the
main thread, a thread pool and a Ray actor (where signal.alarm-based timeouts cannot work): the one
that grinds says `deadline` in its evidence. How close to the deadline the answers come back is a
speed figure, measured by tests/benchmarks/bench_math_deadlines.py; here only generous outer
deadlines catch a call that would never return."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from steplabel.verifiers.math.deadline import shared_pool
from tests.support.hostile_answers import PATHOLOGICAL, answers as _answers

DEADLINE = 1.0
RESULTS = ("equal", "not_equal", "unknown")


def _bounded(answers: dict) -> None:
    for name, (result, evidence, rating) in answers.items():
        assert result in RESULTS and evidence and rating in (-1, 0, 1, None), (name, result, evidence)
    assert answers["tower"][0] != "equal"
    assert answers["sympy_grinds"][0] == "unknown" and "deadline" in answers["sympy_grinds"][1], answers


@pytest.fixture(scope="module", autouse=True)
def warm_pool():
    shared_pool().warm()  # the one cold start of the workers is not part of any deadline


@pytest.mark.integration
def test_main_thread_deadlines():
    _bounded(_answers(PATHOLOGICAL, DEADLINE))


@pytest.mark.integration
def test_threads_deadlines():
    with ThreadPoolExecutor(4) as ex:
        futures = {name: ex.submit(_answers, {name: (a + "  ", b + "  ")}, DEADLINE)
                   for name, (a, b) in PATHOLOGICAL.items()}
        _bounded({name: f.result(timeout=600)[name] for name, f in futures.items()})


@pytest.mark.integration
def test_ray_actor_deadlines(ray_session):
    ray = ray_session

    @ray.remote(num_cpus=0)
    class Checker:
        def __init__(self):
            from steplabel.verifiers.math.deadline import shared_pool as pool
            pool().warm()

        def run(self, pairs, deadline):
            from tests.support.hostile_answers import answers  # importable in the worker, unlike this module

            return answers(pairs, deadline)

    actor = Checker.remote()
    try:
        _bounded(ray.get(actor.run.remote(PATHOLOGICAL, DEADLINE), timeout=600))
    finally:
        ray.kill(actor)
