from __future__ import annotations

import pytest

from steplabel.pipeline.config import ConfigError, load_config


def test_bundled_sample_config_loads():
    config = load_config()
    assert config.input.kind == "sample"
    assert config.labelers and config.merge.order


def test_unknown_key_names_the_key_and_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("input:\n  kind: sample\nmerge:\n  stop_at_first_eror: false\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "merge.stop_at_first_eror" in str(err.value) and "bad.yaml" in str(err.value)


def test_mistyped_value_is_reported(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("run:\n  shard_size: lots\n")
    with pytest.raises(ConfigError, match="run.shard_size"):
        load_config(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


def test_hash_ignores_where_output_goes_but_not_what_decides_labels():
    config = load_config()
    assert config.with_overrides(out="/elsewhere", address="ray://x:1").config_hash() == config.config_hash()
    nightly = config.with_overrides(input="s3://b/problems/2026-11-30.jsonl")  # another night's file, same OUT
    assert nightly.config_hash() == config.with_overrides(input="/data/2026-11-29.jsonl").config_hash()
    assert config.with_overrides(limit=3).config_hash() != config.config_hash()
    flipped = config.model_copy(deep=True)
    flipped.merge.stop_at_first_error = not flipped.merge.stop_at_first_error
    assert flipped.config_hash() != config.config_hash()


def test_cli_overrides_apply():
    config = load_config().with_overrides(input="x.jsonl", out="o", limit=5, shard_size=7)
    assert (config.input.path, config.input.kind, config.run.out, config.input.limit, config.run.shard_size) == (
        "x.jsonl", "files", "o", 5, 7)


def test_budget_is_not_part_of_the_hash(tmp_path):
    """Raising a budget resumes the same build instead of starting another."""
    path = tmp_path / "c.yaml"
    path.write_text("""
generation:
  policy: {base_url: "http://127.0.0.1:9/v1", model: m}
  budget: {max_requests: 5}
labelers:
  - name: judge
    options: {endpoint: {base_url: "http://127.0.0.1:9/v1", model: j}, budget: {max_tokens: 10}}
merge: {order: [judge]}
""")
    small = load_config(path)
    big = small.model_copy(deep=True)
    big.generation.budget.max_requests = 500
    big.labelers[0].options["budget"] = {"max_tokens": 10_000}
    assert big.config_hash() == small.config_hash()
    big.generation.n = 2
    assert big.config_hash() != small.config_hash()


def test_editing_a_prompt_template_changes_the_hash(tmp_path):
    prompt = tmp_path / "policy.txt"
    prompt.write_text("Solve: {problem}")
    path = tmp_path / "c.yaml"
    path.write_text(f"""
generation:
  policy: {{base_url: "http://127.0.0.1:9/v1", model: m}}
  prompts: {{math: "{prompt}"}}
""")
    before = load_config(path).config_hash()
    prompt.write_text("Solve step by step: {problem}")
    assert load_config(path).config_hash() != before


def test_a_flag_that_breaks_the_config_is_a_config_error():
    with pytest.raises(ConfigError, match=r"--limit[\s\S]*input\.limit"):
        load_config().with_overrides(limit=0)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "{}\n"])
def test_an_empty_config_is_an_error(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="empty.yaml is empty"):
        load_config(path)


def test_every_problem_of_a_config_is_listed_at_once(tmp_path):
    """A field that fails no longer hides the checks between sections (merge names, duplicates)."""
    path = tmp_path / "two.yaml"
    path.write_text("labelers: [{name: outcome, options: {timout: 2}}, {name: outcome}]\n"
                    "merge: {order: [outcom]}\nrun: {shard_size: 0}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    lines = str(err.value).splitlines()[1:]
    assert [line.split(":")[0].strip() for line in lines] == [
        "labelers.0.options.timout", "run.shard_size", "labelers.1.name", "merge.order.0"], lines


def test_the_input_flag_completes_a_config_without_a_path(tmp_path):
    path = tmp_path / "for-any-input.yaml"
    path.write_text("name: nightly\ninput: {kind: files}\n")
    with pytest.raises(ConfigError, match="input.path: input kind 'files' needs a path"):
        load_config(path)
    config = load_config(path, input="tonight.jsonl", shard_size=7)
    assert (config.input.kind, config.input.path, config.run.shard_size) == ("files", "tonight.jsonl", 7)
    with pytest.raises(ConfigError, match=r"with the flags --input, --limit:\n  input.limit"):
        load_config(path, input="tonight.jsonl", limit=0)
