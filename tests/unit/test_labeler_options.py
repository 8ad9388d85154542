"""Every labeler declares its options as a strict pydantic model; runtime context comes separately."""
from __future__ import annotations

import pytest

from steplabel.pipeline.config import ConfigError, load_config
from steplabel.pipeline.labelers import REGISTRY, Context, Options, labeler_class, make_labeler


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_labeler_declares_a_strict_options_model(name):
    model = labeler_class(name).options_model
    assert issubclass(model, Options) and model is not Options
    with pytest.raises(ValueError, match=f"options for labeler '{name}'[\\s\\S]*timout: unknown key"):
        make_labeler(name, {"timout": 30})


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_runtime_context_is_not_an_option(name):
    assert "cache_dir" not in labeler_class(name).options_model.model_fields


def test_options_are_typed_and_context_reaches_the_labeler():
    lab = make_labeler("outcome", {"timeout": "5"}, Context(cache_dir="/c", build_id="b1"))
    assert lab.opts.timeout == 5.0 and lab.context == Context("/c", "b1")
    assert make_labeler("math_steps").context == Context()
    with pytest.raises(ValueError, match="timeout"):
        make_labeler("math_steps", {"timeout": -1})
    with pytest.raises(TypeError, match="options are keyword arguments"):
        labeler_class("outcome")({"timeout": 5})  # options passed where the context goes


def test_load_config_checks_labeler_options_with_the_dotted_path(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("labelers:\n  - name: math_steps\n  - name: outcome\n    options: {timout: 30}\n")
    with pytest.raises(ConfigError, match=r"typo\.yaml[\s\S]*labelers\.1\.options\.timout: unknown key"):
        load_config(path)


def test_load_config_rejects_an_unknown_labeler(tmp_path):
    path = tmp_path / "name.yaml"
    path.write_text("labelers:\n  - name: outcom\n")
    with pytest.raises(ConfigError, match=r"labelers\.0\.name: .*unknown labeler 'outcom'"):
        load_config(path)
