"""LLM config models, prompt rendering and judge option validation."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from steplabel.pipeline.labelers import Context
from steplabel.pipeline.labelers.judge import JudgeLabeler
from steplabel.pipeline.llm.budget import BudgetExhausted
from steplabel.pipeline.llm.config import EndpointConfig, GenerationConfig, load_template, render
from steplabel.pipeline.stages import StopBuild


def test_endpoint_validation_and_host():
    ep = EndpointConfig(base_url="http://127.0.0.1:8011/v1/", model="m")
    assert ep.base_url == "http://127.0.0.1:8011/v1" and ep.host == "http://127.0.0.1:8011"
    with pytest.raises(ValidationError):
        EndpointConfig(base_url="127.0.0.1:8011", model="m")
    with pytest.raises(ValidationError, match="credentials"):
        EndpointConfig(base_url="http://user:secret@127.0.0.1/v1", model="m")
    with pytest.raises(ValidationError):
        EndpointConfig(base_url="http://127.0.0.1/v1", model="m", api_key="sk-123")  # keys never in configs


def test_generation_defaults_and_templates():
    g = GenerationConfig(policy={"base_url": "http://127.0.0.1:1/v1", "model": "p"}, n=4, seed=7)
    assert g.n == 4 and g.policy.model == "p"
    for ref in g.prompts.values():
        assert "{problem}" in load_template(ref)
    with pytest.raises(ValidationError):
        GenerationConfig(policy={"base_url": "http://127.0.0.1:1/v1", "model": "p"}, temprature=0.5)


def test_render_leaves_other_braces():
    out = render('Solve {problem}. Answer as {"rating": 1} with $\\frac{a}{b}$', problem="x^{2}=4")
    assert out == 'Solve x^{2}=4. Answer as {"rating": 1} with $\\frac{a}{b}$'


def test_budget_exhausted_is_a_stop_build():
    assert issubclass(BudgetExhausted, StopBuild)


def test_judge_options_are_validated():
    ep = {"base_url": "http://127.0.0.1:1/v1", "model": "judge"}
    j = JudgeLabeler(endpoint=ep, votes=3, context=Context())
    assert [e.model for e in j.opts.judges] == ["judge"] and j.domains == ("math",)
    with pytest.raises(ValueError, match="votse: unknown key"):
        JudgeLabeler(endpoint=ep, votse=3)
    with pytest.raises(ValueError, match="needs `endpoint` or `judges`"):
        JudgeLabeler()
    with pytest.raises(ValueError, match="prompt template not found"):
        JudgeLabeler(endpoint=ep, prompts={"math": "prompts/nope.txt"})
    step = JudgeLabeler(judges=[ep, {**ep, "model": "judge-b"}], mode="step")
    assert step.opts.prompts == {"math": "prompts/judge_step.txt"} and len(step.opts.judges) == 2


def test_render_is_one_pass():
    assert render("{a} and {b}", a="{b}", b="x") == "{b} and x"
