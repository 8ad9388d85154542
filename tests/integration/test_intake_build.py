"""A build over every kind of bad input completes, and every record read is found in the output;
starts that cannot succeed fail before anything is written, in one line, with their exit code."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.cli import main
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.preflight import EXIT_CONFIG, EXIT_INPUT, InputError, StartError, check_nodes
from steplabel.pipeline.store import account, connect, read_chains, read_manifest
from tests.support.bad_inputs import write_bad_inputs
from tests.support.pythons import python_without_ray, python_without_steplabel

pytestmark = pytest.mark.integration


def _config(path: Path, out: Path, **run) -> BuildConfig:
    return BuildConfig(name="bad-inputs", input=InputConfig(kind="files", path=str(path)),
                       labelers=[LabelerConfig(name="outcome")], merge=MergeConfig(order=["outcome"]),
                       run=RunConfig(out=str(out), shard_size=16, **run))


@pytest.fixture(scope="module")
def bad_build(ray_session, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    expected = write_bad_inputs(root / "in")
    # a temp file a killed run left behind: the next start removes it
    (root / "out" / "data").mkdir(parents=True)
    (root / "out" / "data" / ".shard-00000.parquet.tmp-4242").write_bytes(b"half a shard")
    return expected, run_build(_config(root / "in", root / "out"))


def test_every_input_record_is_found_in_the_output(bad_build):
    expected, result = bad_build
    manifest = result.manifest
    assert manifest["status"] == "done" and manifest["unaccounted"] == []
    inputs = {Path(f).name: e for f, e in manifest["inputs"].items()}
    assert sum(e["records"] for e in inputs.values()) == len(expected) >= 40
    for name, e in inputs.items():  # records = labeled + filtered + quarantined, per file
        assert e["records"] == e["records_found"], name
        assert e["chains"] == e["labeled"] + e["filtered"] + e["quarantined"], name
    assert inputs["bad.jsonl"]["blank_lines"] == 2  # skipped, and said so per file
    assert inputs["empty.jsonl"]["records"] == 0 and inputs["cut.json"] == {
        "records": 1, "chains": 1, "blank_lines": 0, "labeled": 0, "filtered": 0, "quarantined": 1,
        "records_found": 1}
    con = connect(result.out)
    found = {}
    for file, line, index, status, reason in con.execute("""
            SELECT source.file, source.line, source.row_index, status, status_reason FROM chains
            UNION ALL SELECT source.file, source.line, source.row_index, status, status_reason FROM quarantine
            """).fetchall():
        found[(Path(file).name, line or index)] = (status, reason)
    assert set(found) == set(expected)  # where every input line went
    for key, (status, reason) in expected.items():
        if status == "quarantined":
            assert found[key][0] == "quarantined" and reason in found[key][1], (key, found[key])
        else:  # imported; the labelers decide (a chain with no steps is quarantined by segmentation)
            assert found[key][0] in ("labeled", "filtered") or found[key][1].startswith("[segment]"), (key, found[key])


def test_the_card_states_where_the_records_went_and_stale_temps_are_gone(bad_build):
    _, result = bad_build
    card = (result.out / "README.md").read_text()
    assert "## Input records" in card and "| bad.jsonl |" in card
    assert not list((result.out / "data").glob(".*.tmp-*"))


def test_a_resumed_build_accounts_for_the_same_records(bad_build):
    expected, result = bad_build
    config = BuildConfig.model_validate(result.manifest["config"])
    again = run_build(config)
    assert again.shards_written == 0 and again.manifest["status"] == "done"
    assert again.manifest["inputs"] == result.manifest["inputs"]


def test_a_record_missing_from_the_output_is_reported_and_a_lost_file_rebuilt(bad_build, tmp_path):
    _, result = bad_build
    inputs = {f: {"records": e["records"], "chains": e["chains"]} for f, e in result.manifest["inputs"].items()}
    name = next(f for f in inputs if f.endswith("bad.jsonl"))
    inputs[name]["records"] += 1
    assert [m.split(":")[0] for m in account(result.out, inputs)[1]] == [name]
    # a shard whose quarantine file is lost is not "done": the next run writes it again
    out = tmp_path / "copy"
    shutil.copytree(result.out, out)
    lost = sorted((out / "quarantine").glob("shard-*.parquet"))[0]
    lost.unlink()
    config = BuildConfig.model_validate(result.manifest["config"]).with_overrides(out=str(out))
    again = run_build(config)
    assert again.shards_written == 1 and lost.exists() and again.manifest["status"] == "done"
    assert again.manifest["inputs"] == result.manifest["inputs"]


def test_starts_that_cannot_succeed_write_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(InputError, match="no input files at"):
        run_build(_config(tmp_path / "missing.jsonl", out))
    assert not out.exists()
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(InputError, match="holds no records; pass --allow-empty"):
        run_build(_config(tmp_path / "empty.jsonl", out))
    assert not out.exists()
    empty = run_build(_config(tmp_path / "empty.jsonl", out), allow_empty=True)
    assert empty.manifest["status"] == "done" and empty.counts == {} and (out / "README.md").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(StartError, match="cannot write the build directory"):
        run_build(_config(tmp_path / "empty.jsonl", tmp_path / "file" / "out"))
    # the CLI: one red line and the documented exit code, no traceback
    assert main(["build", "--input", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o2")]) == EXIT_INPUT
    assert main(["build", "--input", str(tmp_path / "empty.jsonl"), "--out", str(tmp_path / "file" / "o")]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no input files at" in err and "cannot write the build directory" in err
    assert not (tmp_path / "o2").exists()


def test_a_build_that_crashes_says_failed_not_running(ray_session, tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2"}))
    out = tmp_path / "out"
    out.mkdir()
    (out / "parts").write_text("a file where the parts folder goes")  # every worker's write fails
    with pytest.raises(Exception, match="parts"):
        run_build(_config(tmp_path / "in.jsonl", out))
    manifest = read_manifest(out)
    assert manifest["status"] == "failed" and "Error" in manifest["error"]


def test_a_shard_whose_commit_fails_is_left_for_the_next_run(ray_session, tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"problem": "What is 1 + 1?", "answer": "2", "text": "1 + 1 = 2"}))
    out = tmp_path / "out"
    out.mkdir()
    (out / "data").write_text("a file where the data folder goes")  # joining the shard's parts fails
    said: list[str] = []
    result = run_build(_config(tmp_path / "in.jsonl", out), progress=said.append)
    assert result.manifest["status"] == "partial" and result.shards_written == 0 and not result.manifest["shards"]
    assert any("shard 0 not finished: its commit failed" in line for line in said), said
    assert not (out / "parts").exists()  # the uncommitted parts went; the next run builds the shard again
    (out / "data").unlink()
    again = run_build(_config(tmp_path / "in.jsonl", out))
    assert again.manifest["status"] == "done" and again.shards_written == 1


def test_a_corrupt_manifest_is_one_line_not_a_traceback(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text(json.dumps({"problem": "What is 1 + 1?", "answer": "2", "text": "2"}))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text('{"build": ')
    assert main(["build", "--input", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out")]) == EXIT_CONFIG
    assert "manifest.json cannot be read" in capsys.readouterr().err


def test_every_cluster_node_is_checked_for_steplabel(ray_session, tmp_path):
    """A node whose Python lacks steplabel, or lacks Ray (its workers cannot start), is named in
    one line with the error, as soon as it is known: the generous timeout is never waited out."""
    assert check_nodes() >= 1
    without_steplabel = python_without_steplabel(tmp_path / "no-steplabel")
    with pytest.raises(StartError) as found:
        check_nodes(timeout_s=300, runtime_env={"py_executable": str(without_steplabel)})
    message = str(found.value)
    assert "cannot run on 1 of 1 cluster nodes" in message and "\n" not in message
    assert "cannot import steplabel: ModuleNotFoundError: No module named 'steplabel'" in message
    without_ray = python_without_ray(tmp_path / "no-ray")
    with pytest.raises(StartError) as found:
        check_nodes(timeout_s=300, runtime_env={"py_executable": str(without_ray)})
    message = str(found.value)
    assert "cannot start a Ray worker: ModuleNotFoundError: No module named 'ray'" in message, message
    assert "no Ray worker answered" not in message and "\n" not in message
    assert check_nodes() >= 1  # the cluster is as it was


def test_a_node_that_does_not_see_out_fails_the_start(ray_session, tmp_path):
    """Workers write the shards into OUT: a node whose OUT is another folder (here: a worker whose
    Python runs with an empty tmpfs over OUT, as a node with its own local disk would) is refused."""
    import sys

    from steplabel.verifiers.code.isolation import bwrap_binary

    out = tmp_path / "out"
    out.mkdir()
    assert check_nodes(out=out) >= 1
    assert not list(out.iterdir())  # the probe's marker is gone again
    bwrap = bwrap_binary()
    if bwrap is None:
        pytest.skip("no bwrap to give a worker its own view of OUT")
    wrapper = tmp_path / "python-without-out"
    wrapper.write_text(f'#!/bin/sh\nexec {bwrap} --dev-bind / / --tmpfs {out} {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    with pytest.raises(StartError, match="not visible on 1 of 1 cluster nodes.*same path"):
        check_nodes(timeout_s=60, runtime_env={"py_executable": str(wrapper)}, out=out)
    assert not list(out.iterdir())


def test_tonights_dated_file_in_the_same_out_builds_only_its_new_chains(ray_session, tmp_path):
    records = [{"problem": f"What is {i} + 2?", "answer": str(i + 2), "text": f"{i} + 2 = {i + 2}"} for i in range(40)]
    (tmp_path / "2026-11-29.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records[:36]))
    (tmp_path / "2026-11-30.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "nightly"
    first = run_build(_config(tmp_path / "2026-11-29.jsonl", out))
    second = run_build(_config(tmp_path / "2026-11-30.jsonl", out))  # another path: the same config
    assert first.manifest["status"] == second.manifest["status"] == "done"
    assert second.shards_skipped == 3 and second.shards_written == 1 and second.manifest["unaccounted"] == []
    assert second.manifest["inputs"][str(tmp_path / "2026-11-30.jsonl")]["records_found"] == 40
    assert read_chains(out).num_rows == 40


def test_a_file_that_grows_while_the_build_runs_is_named_in_its_summary_and_manifest(ray_session, tmp_path, capsys):
    from steplabel.pipeline.cli import _summary

    records = [{"problem": f"What is {i} + 3?", "answer": str(i + 3), "text": f"{i} + 3 = {i + 3}"} for i in range(9)]
    path = tmp_path / "tonight.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records[:8]))
    said: list[str] = []

    def progress(line: str) -> None:  # a writer appends to the file once the build has planned it
        said.append(line)
        if line.startswith("input:"):
            with path.open("a") as f:
                f.write(json.dumps(records[8]) + "\n")

    result = run_build(_config(path, tmp_path / "out"), progress=progress)
    assert result.manifest["status"] == "done" and read_chains(tmp_path / "out").num_rows == 8
    (change,) = result.manifest["inputs_changed"]
    assert change["file"] == str(path) and change["change"].startswith("grew from")
    assert any("changed after it was planned" in line for line in said)
    _summary(result)
    assert f"input changed while the build ran: {path} (grew from" in capsys.readouterr().err
    again = run_build(_config(path, tmp_path / "out"))  # the next run builds what was added
    assert again.manifest["inputs_changed"] == [] and read_chains(tmp_path / "out").num_rows == 9
