"""The sampling probe: a server whose seeded answers depend only on the request is found
reproducible, one whose answers drift with what it served before is not; unseeded sampling is
reported without a probe; the probe's requests are in the ledger (role `probe`)."""
from __future__ import annotations

import pytest

from steplabel.pipeline.config import BuildConfig
from steplabel.pipeline.llm.budget import read_ledger
from steplabel.pipeline.llm.config import EndpointConfig
from steplabel.pipeline.llm.reproducible import Sampler, probe, sampling_report
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.integration

SCRIPT = {"policy": {"": [f"answer number {i}" for i in range(7)]}}


def _sampler(srv, seed=3, temperature=0.7, **endpoint):
    return Sampler("policy", EndpointConfig(base_url=srv.base_url, model="policy", **endpoint), temperature, 1.0, seed)


def test_a_server_that_answers_the_request_alone_is_reproducible(tmp_path):
    with OpenAIServer(script=SCRIPT) as srv:
        found = probe(_sampler(srv, extra_body={"cache_prompt": False}), tmp_path)
        served = srv.stats()["served_total"]
    assert found["seeded"] and found["reproducible"] is True and found["extra_body"] == {"cache_prompt": False}
    assert "got the same answer" in found["how"]
    ledger = read_ledger(tmp_path)
    assert ledger["probe"]["answered"] == served == 3 and ledger["probe"]["requests"] == 3


def test_a_server_whose_sampling_drifts_is_not(tmp_path):
    with OpenAIServer(script=SCRIPT, drift=True) as srv:
        found = probe(_sampler(srv), tmp_path)
    assert found["reproducible"] is False and "different answers" in found["how"]


def test_unseeded_sampling_is_said_without_asking_and_a_dead_endpoint_is_unknown(tmp_path):
    with OpenAIServer(script=SCRIPT) as srv:
        unseeded = probe(_sampler(srv, seed=None), tmp_path)
        no_seed_param = probe(_sampler(srv, supports_seed=False), tmp_path)
        assert srv.stats()["served_total"] == 0
        greedy = probe(_sampler(srv, seed=None, temperature=0.0), tmp_path)
    assert unseeded["reproducible"] is False and "no seed configured" in unseeded["how"]
    assert no_seed_param["reproducible"] is False and "supports_seed: false" in no_seed_param["how"]
    assert greedy["reproducible"] is True and "greedy" in greedy["how"]
    dead = probe(Sampler("judge", EndpointConfig(base_url="http://127.0.0.1:9/v1", model="m", max_retries=0,
                                                 timeout=2), 0.5, 1.0, 0), tmp_path)
    assert dead["reproducible"] is None and dead["how"].startswith("not probed")


def test_every_endpoint_a_build_samples_from_is_reported_once():
    ep = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "max_retries": 0, "timeout": 1}
    config = BuildConfig.model_validate({
        "input": {"kind": "files", "path": "x.jsonl"},
        "generation": {"policy": ep, "seed": 1},
        "labelers": [{"name": "judge", "options": {"judges": [ep, {**ep, "model": "m2"}]}},
                     {"name": "rollout", "options": {"endpoint": {**ep, "api": "completions"}}}],
        "merge": {"order": ["judge", "rollout"]}})
    report = sampling_report(config, None)
    assert [(r["role"], r["model"]) for r in report] == [("policy", "m"), ("judge", "m"), ("judge", "m2"),
                                                         ("rollout", "m")]
