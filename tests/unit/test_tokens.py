"""The tokens layout and its labels, without Ray: ids in TRL's PRMTrainer order, a label on the last
token of each exported step's separator and -100 elsewhere, the neutral and soft options, the
max_length cut counted, and a missing tokenizer said in one line."""
from __future__ import annotations

import pytest

pytest.importorskip("transformers", reason="the tokens export needs steplabel[train]")

from steplabel.pipeline.cli import main  # noqa: E402
from steplabel.pipeline.export_tokens import TokenOptions, tokenize_table  # noqa: E402
from steplabel.pipeline.schema import rows_to_table  # noqa: E402
from steplabel.pipeline.tokens import IGNORE, Layout, TokenizerError, load_tokenizer  # noqa: E402
from tests.support.builds import chain_of, step, write_build  # noqa: E402
from tests.support.tiny_prm import make_tokenizer  # noqa: E402

GOOD, BAD = ("outcome", 1, "right"), ("math_steps", -1, "2 + 3 = 6 is false")
TEXTS = ["What is 2 + 3?", "Add 2 and 3.", "2 + 3 = 5", "2 + 3 = 6", "The answer is 5.", "Think.\nThen add.",
         "Consider the numbers.", "So it is 6."]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return load_tokenizer(str(make_tokenizer(TEXTS * 20, tmp_path_factory.mktemp("tok"), vocab_size=300)))


def _rows(chains):
    return rows_to_table(chains)


def _piece(tokenizer, text):
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def test_ids_follow_trls_layout_and_labels_sit_on_each_separator(tokenizer):
    chain = chain_of("c", [step(0, "Add 2 and 3.", 0, ("judge", 0, "restates")), step(1, "2 + 3 = 6", -1, BAD),
                           step(2, "So it is 6.", None)])
    table, counts = tokenize_table(_rows([chain]), tokenizer, Layout.of(tokenizer, "\n", 512), TokenOptions("t"))
    row = table.to_pylist()[0]
    sep = _piece(tokenizer, "\n")
    expected = ([tokenizer.bos_token_id] + _piece(tokenizer, "What is 2 + 3?") + _piece(tokenizer, "Add 2 and 3.") + sep
                + _piece(tokenizer, "2 + 3 = 6") + sep)  # the unrated step after the error is not exported
    assert row["input_ids"] == expected
    assert row["step_positions"] == [len(expected) - len(sep) - len(_piece(tokenizer, "2 + 3 = 6")) - 1,
                                     len(expected) - 1]
    assert [row["labels"][p] for p in row["step_positions"]] == [1, 0]  # neutral counts as correct by default
    assert all(label == IGNORE for i, label in enumerate(row["labels"]) if i not in row["step_positions"])
    assert tokenizer.decode(row["input_ids"][1:]) == "What is 2 + 3?Add 2 and 3.\n2 + 3 = 6\n"
    assert (row["chain_id"], row["build_id"]) == ("c", "b")
    assert counts["written"] == 1 and counts["steps_labeled"] == 2 and counts["labels_1"] == counts["labels_0"] == 1


def test_a_separator_inside_a_step_does_not_shift_a_label(tokenizer):
    chain = chain_of("c", [step(0, "Think.\nThen add.", 1, GOOD), step(1, "2 + 3 = 5", 1, GOOD)])
    row = tokenize_table(_rows([chain]), tokenizer, Layout.of(tokenizer, "\n", 512), TokenOptions("t"))[0].to_pylist()[0]
    assert len(row["step_positions"]) == 2 and sum(label != IGNORE for label in row["labels"]) == 2
    assert tokenizer.decode(row["input_ids"][1:row["step_positions"][0] + 1]) == "What is 2 + 3?Think.\nThen add.\n"


@pytest.mark.parametrize("neutral, labels, skipped", [("incorrect", [0, 0], {}),
                                                      ("cut", None, {"first step neutral (neutral=cut)": 1})])
def test_neutral_steps_as_the_user_chooses(tokenizer, neutral, labels, skipped):
    chain = chain_of("c", [step(0, "Add 2 and 3.", 0, ("judge", 0, "restates")), step(1, "2 + 3 = 6", -1, BAD)])
    table, counts = tokenize_table(_rows([chain]), tokenizer, Layout.of(tokenizer, "\n", 512),
                                   TokenOptions("t", neutral=neutral))
    assert counts["skipped"] == skipped
    if labels is not None:
        row = table.to_pylist()[0]
        assert [row["labels"][p] for p in row["step_positions"]] == labels


def test_soft_labels_are_the_step_scores_and_a_step_without_one_keeps_its_rating(tokenizer):
    steps = [step(0, "Add 2 and 3.", 1, GOOD), step(1, "2 + 3 = 5", 1, GOOD), step(2, "2 + 3 = 6", -1, BAD)]
    steps[0]["score"], steps[2]["score"] = 0.75, 0.125
    table, counts = tokenize_table(_rows([chain_of("c", steps)]), tokenizer, Layout.of(tokenizer, "\n", 512),
                                   TokenOptions("t", soft=True))
    row = table.to_pylist()[0]
    assert [row["labels"][p] for p in row["step_positions"]] == [0.75, 1.0, 0.125]
    assert table.schema.field("labels").type.value_type.bit_width == 32 and counts["soft_from_rating"] == 1


def test_max_length_cuts_steps_and_says_so(tokenizer):
    long = chain_of("long", [step(i, "Consider the numbers.", 1, GOOD) for i in range(6)])
    hopeless = chain_of("hopeless", [step(0, "2 + 3 = 5", 1, GOOD)], problem="What is 2 + 3? " * 40)
    layout = Layout.of(tokenizer, "\n", 40)
    table, counts = tokenize_table(_rows([long, hopeless]), tokenizer, layout, TokenOptions("t", max_length=40))
    row = table.to_pylist()[0]
    assert len(row["input_ids"]) == 40 and 0 < len(row["step_positions"]) < 6 and max(row["step_positions"]) < 40
    assert counts["truncated"] == 1 and counts["steps_cut"] == 6 - len(row["step_positions"])
    assert counts["skipped"] == {"no step separator within max_length 40": 1} and counts["written"] == 1


def test_skipped_chains_are_counted_with_their_reason(tokenizer):
    rows = [chain_of("a", [step(0, "Hmm.", None), step(1, "5", 1, GOOD)]),
            chain_of("b", [step(0, "2 + 3 = 5", 1, GOOD)], status="filtered")]
    _, counts = tokenize_table(_rows(rows), tokenizer, Layout.of(tokenizer, "\n", 512), TokenOptions("t"))
    assert counts["skipped"] == {"first step unlabeled": 1, "status filtered": 1} and counts["chains_read"] == 2


def test_a_missing_tokenizer_is_one_line(tmp_path):
    with pytest.raises(TokenizerError, match="no such folder") as info:
        load_tokenizer(str(tmp_path / "nowhere"))
    assert "\n" not in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TokenizerError, match="none found in that folder") as info:
        load_tokenizer(str(tmp_path / "empty"))
    assert "\n" not in str(info.value)


def test_the_command_line_says_what_is_missing(tmp_path, capsys):
    build = write_build(tmp_path / "build", [chain_of("c", [step(0, "2 + 3 = 5", 1, GOOD)])])
    assert main(["export", str(build), "--format", "tokens"]) == 2
    assert main(["export", str(build), "--format", "tokens", "--tokenizer", str(tmp_path / "nowhere")]) == 2
    tokenizer = make_tokenizer(TEXTS * 20, tmp_path / "tok", vocab_size=300)
    assert main(["export", str(build), "--format", "tokens", "--tokenizer", str(tokenizer), "--to", str(build)]) == 2
    err = capsys.readouterr().err
    assert "needs --tokenizer" in err and "no such folder" in err and "Traceback" not in err
    assert "holds a steplabel build" in err and (build / "data" / "shard-00000.parquet").exists()
