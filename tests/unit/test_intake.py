"""Reading the input: every record accounted for, ids that mean one chain, Math-Shepherd's layout."""
from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from steplabel.pipeline.config import InputConfig
from steplabel.pipeline.sources import IMPORTERS, Intake, iter_chains
from tests.support.bad_inputs import write_bad_inputs


def _rows(path, kind="files", **kw):
    intake = Intake()
    return list(iter_chains(InputConfig(kind=kind, path=str(path), **kw), None, intake)), intake


def test_every_bad_record_becomes_a_row_naming_its_file_line_and_reason(tmp_path):
    expected = write_bad_inputs(tmp_path / "in")
    rows, intake = _rows(tmp_path / "in")
    got: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        src = row["source"]
        got.setdefault((Path(src["file"]).name, src["line"] or src["row_index"]), []).append(row)
    assert set(got) == set(expected)
    for key, (status, reason) in expected.items():
        (row,) = got[key]
        assert row["status"] == status, (key, row["status_reason"])
        assert reason in row["status_reason"], (key, row["status_reason"])
        if status == "quarantined":
            name, n = key
            assert row["status_reason"].startswith(f"[import] {name}:{n}:" if name.endswith(".jsonl")
                                                   else f"[import] {name} record {n}:"), row["status_reason"]
    # conservation per file: every record read gave exactly one row here
    per_file = Counter(Path(r["source"]["file"]).name for r in rows)
    assert {Path(f).name: e["records"] for f, e in intake.files.items()} == {**per_file, "empty.jsonl": 0}
    assert intake.records == len(expected) == len(rows)
    assert len({r["chain_id"] for r in rows}) == len(rows)
    # the empty and the whitespace-only line are not records, and are counted as skipped
    assert {Path(f).name: e["blank_lines"] for f, e in intake.files.items()}["bad.jsonl"] == 2


def test_blank_lines_are_counted_per_file_and_not_as_records_by_limit(tmp_path):
    record = json.dumps({"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2"})
    (tmp_path / "a.jsonl").write_text(f"\n  \n{record}\n\t\n" + record.replace("1 + 1", "2 + 0") + "\n\n")
    intake = Intake()
    rows = list(iter_chains(InputConfig(kind="files", path=str(tmp_path / "a.jsonl"), limit=1), intake=intake))
    assert len(rows) == 1 and rows[0]["source"]["line"] == 3  # the first record, after two blank lines
    assert list(intake.files.values()) == [{"records": 1, "chains": 1, "blank_lines": 2}]
    intake = Intake()
    rows = list(iter_chains(InputConfig(kind="files", path=str(tmp_path / "a.jsonl")), intake=intake))
    assert len(rows) == 2 and list(intake.files.values()) == [{"records": 2, "chains": 2, "blank_lines": 4}]


def test_a_file_that_changes_after_it_was_listed_is_named_with_what_changed(tmp_path):
    record = json.dumps({"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2"}) + "\n"
    for name in ("grows.jsonl", "stays.jsonl", "goes.jsonl"):
        (tmp_path / name).write_text(record)
    intake = Intake()
    list(iter_chains(InputConfig(kind="files", path=str(tmp_path)), intake=intake))
    assert intake.changed() == []
    with (tmp_path / "grows.jsonl").open("a") as f:
        f.write(record.replace("1 + 1", "1 + 2"))
    (tmp_path / "goes.jsonl").unlink()
    changed = {Path(c["file"]).name: c["change"] for c in intake.changed()}
    size = len(record.encode())
    assert changed == {"grows.jsonl": f"grew from {size} to {2 * size} bytes", "goes.jsonl": "removed"}


def test_ids_do_not_depend_on_path_or_order_and_never_shared_by_two_chains(tmp_path):
    write_bad_inputs(tmp_path / "a")
    lines = (tmp_path / "a" / "bad.jsonl").read_bytes().split(b"\n")
    first, rest = lines[:1], [line for line in lines[1:] if line.strip()]
    random.Random(7).shuffle(rest)
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / "b" / "deeper" / "other-name.jsonl").write_bytes(b"\n".join(first + rest))
    a, _ = _rows(tmp_path / "a" / "bad.jsonl")
    b, _ = _rows(tmp_path / "b" / "deeper" / "other-name.jsonl")

    def ids(rows):  # a quarantined duplicate's id counts the copies before it, so compare without them
        return {r["chain_id"] for r in rows if "duplicate of" not in r["status_reason"]}

    assert ids(a) == ids(b) and len(ids(a)) == len(a) - 2
    assert {r["chain_id"] for r in a} == {r["chain_id"] for r in b}  # here both copies are identical
    # one id, one chain: the id determines problem, reference, text/steps and generator
    by_id = {}
    for r in a + b:
        content = json.dumps([r["problem"], r["reference"], r["text"], [s["text"] for s in r["steps"]],
                              r["generator"], r["status"]], sort_keys=True)
        assert by_id.setdefault(r["chain_id"], content) == content


def test_a_prepended_record_does_not_shift_ids(tmp_path):
    records = [{"problem": f"What is {i} + 1?", "answer": str(i + 1), "text": f"{i} + 1 = {i + 1}"} for i in range(4)]
    (tmp_path / "x.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    (tmp_path / "y.jsonl").write_text("\n".join(json.dumps(r) for r in [{"problem": "new", "text": "t"}] + records))
    x, _ = _rows(tmp_path / "x.jsonl")
    y, _ = _rows(tmp_path / "y.jsonl")
    assert [r["chain_id"] for r in x] == [r["chain_id"] for r in y[1:]]


def test_problem_with_chains_records_sharing_a_problem_id_get_distinct_ids(tmp_path):
    recs = [{"problem_id": "p1", "problem": "What is 2 + 3?", "reference": {"answer": "5"},
             "chains": [{"text": t}]} for t in ("2 + 3 = 5", "3 + 2 = 5")]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    rows, _ = _rows(tmp_path / "c.jsonl")
    assert len({r["chain_id"] for r in rows}) == 2 and all(r["status"] == "labeled" for r in rows)


def test_same_path_twice_under_another_name_is_the_same_build_input(tmp_path):
    write_bad_inputs(tmp_path / "in")
    shutil.copytree(tmp_path / "in", tmp_path / "copy")
    a, _ = _rows(tmp_path / "in")
    b, _ = _rows(tmp_path / "copy")
    assert [r["chain_id"] for r in a] == [r["chain_id"] for r in b]


def test_unknown_input_kind_names_the_registered_ones():
    with pytest.raises(ValueError, match="unknown input kind 'parquetz'.*math_shepherd"):
        InputConfig(kind="parquetz", path="x")
    assert {"files", "hf", "processbench", "prm800k", "math_shepherd"} <= set(IMPORTERS)


# --- Math-Shepherd ------------------------------------------------------------------------------

PROBLEM = ("If Buzz bought a pizza with 78 slices and shared it with the waiter in the ratio 5:8, with Buzz's "
           "ratio being 5, what's twenty less the number of slices the waiter ate?")
STEPS = ["Step 1: The total ratio is 5+8 = <<5+8=13>>13.", "Step 2: The waiter ate 13 x 8 / 13 = 6 slices.",
         "Step 3: The answer is: 6"]


def _shepherd(problem, steps, tokens, placeholder="ки"):
    """The dataset's layout: the chain after the problem, a placeholder after every step."""
    body = "".join(f"{s} {placeholder}\n" for s in steps)
    label = "".join(f"{s} {t}\n" for s, t in zip(steps, tokens))
    return {"input": f"{problem} {body}", "label": f"{problem} {label}", "task": "GSM8K"}


def test_math_shepherd_import_keeps_steps_and_labels_as_human_verdicts(tmp_path):
    records = [_shepherd(PROBLEM, STEPS, "+--"),
               _shepherd("What is 1 + 1?", ["1 + 1 = 2.", "The answer is: 2"], "++") | {"task": "MATH"},
               _shepherd("Compute 2 + 2, please? Thanks", ["2 + 2 = 4", "The answer is: 4"], "+-")]
    (tmp_path / "ms.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    rows, _ = _rows(tmp_path / "ms.jsonl", kind="math_shepherd")
    assert all(r["status"] == "labeled" for r in rows), [r["status_reason"] for r in rows]
    first = rows[0]
    assert first["problem"] == PROBLEM and [s["text"] for s in first["steps"]] == STEPS
    assert [[(v["labeler"], v["rating"]) for v in s["verdicts"]] for s in first["steps"]] == [
        [("human", 1)], [("human", -1)], [("human", -1)]]
    assert first["segmenter"] == "given" and first["problem_id"].startswith("gsm8k-")
    assert rows[1]["problem_id"].startswith("math-") and rows[1]["problem"] == "What is 1 + 1?"
    # no "Step 1:": the problem ends at its one "?"
    assert rows[2]["problem"] == "Compute 2 + 2, please?" and rows[2]["steps"][0]["text"] == "Thanks 2 + 2 = 4"


def test_math_shepherd_reads_openrlhfs_token_list_and_a_given_problem(tmp_path):
    """The layout our `math-shepherd` export writes: `label` a list of tokens, steps without "Step k:"."""
    record = {"input": "Is 2 + 2 = 4? Why? 2 + 2 = 4 ки\nSo yes ки", "label": ["+", "-"], "problem": "Is 2 + 2 = 4? Why?"}
    (tmp_path / "ms.jsonl").write_text(json.dumps(record, ensure_ascii=False))
    (row,), _ = _rows(tmp_path / "ms.jsonl", kind="math_shepherd")
    assert row["problem"] == "Is 2 + 2 = 4? Why?" and [s["text"] for s in row["steps"]] == ["2 + 2 = 4", "So yes"]
    assert [s["verdicts"][0]["rating"] for s in row["steps"]] == [1, -1]


@pytest.mark.parametrize("record, reason", [
    ({"input": "q? a ки b ки", "label": ["+"]}, "1 tokens for 2 step placeholders"),
    ({"input": "q? a ки", "label": ["+"], "problem": "other"}, "does not start with field 'problem'"),
    ({"input": f"{PROBLEM} Step 1: a", "label": f"{PROBLEM} Step 1: a"}, "no step placeholder"),
    (_shepherd(PROBLEM, STEPS, "+?-"), "'?' at step 1's placeholder"),
    (_shepherd(PROBLEM, STEPS, "+-"), "'' at step 2's placeholder"),
    (_shepherd("Why? And how? ", ["a", "b"], "++"), "cannot tell where the problem ends"),
    ({"input": "Add ки these. Step 1: 2 ки", "label": "Add + these. Step 1: 2 +"}, "before 'Step 1:'"),
    ({"input": ["x"], "label": "x"}, "'input' is a list where text belongs"),
    ({"label": "x"}, "'input' is missing"),
    ({"input": f"{PROBLEM} Step 1: a ки tail", "label": f"{PROBLEM} Step 1: a + tail"}, "after the last step"),
])
def test_math_shepherd_records_that_do_not_fit_are_quarantined(tmp_path, record, reason):
    (tmp_path / "ms.jsonl").write_text(json.dumps(record, ensure_ascii=False))
    (row,), _ = _rows(tmp_path / "ms.jsonl", kind="math_shepherd")
    assert row["status"] == "quarantined" and reason in row["status_reason"], row["status_reason"]
