"""`steplabel remerge`: a build's stored verdicts under a new merge section give exactly the rows a
fresh build with that merge section gives, without running a labeler (the verdicts are the stored
ones, byte for byte), and the new build says where it came from."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from steplabel.pipeline.build import run_build
from steplabel.pipeline.cli import main
from steplabel.pipeline.config import load_config
from steplabel.pipeline.preflight import EXIT_CONFIG
from steplabel.pipeline.store import read_chains, read_manifest

pytestmark = pytest.mark.integration


def _config(tmp_path: Path, name: str, merge: dict, labelers: list[str] = ("outcome", "math_steps")) -> Path:
    config = yaml.safe_load((Path(__file__).parents[2] / "configs" / "sample.yaml").read_text())
    config["labelers"] = [{"name": n} for n in labelers]
    config["merge"] = merge
    config["run"].update(out=str(tmp_path / name), shard_size=20)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _rows(out: Path) -> dict[str, dict]:
    rows = read_chains(out).to_pylist() + read_chains(out, quarantine=True).to_pylist()
    return {r["chain_id"]: r for r in rows}


def _labels(row: dict) -> tuple:
    return (row["status"], row["status_reason"], row["first_error"], row["first_flag"],
            [(s["rating"], s["decided_by"], s["agreement"]) for s in row["steps"]])


OLD_MERGE = {"policy": "priority", "order": ["outcome", "math_steps"], "stop_at_first_error": False}


@pytest.fixture(scope="module")
def nightly(ray_session, tmp_path_factory):
    """One finished build (outcome + math_steps, priority merge) that both tests remerge from."""
    return run_build(load_config(_config(tmp_path_factory.mktemp("remerge"), "nightly", OLD_MERGE)))


def test_remerge_equals_a_fresh_build_with_the_new_merge_and_runs_no_labeler(tmp_path, nightly):
    new_merge = {"policy": "consensus", "order": ["math_steps", "outcome"], "agree": ["math_steps", "outcome"]}
    source = nightly
    fresh = run_build(load_config(_config(tmp_path, "fresh", new_merge)))

    new_cfg = _config(tmp_path, "unused", new_merge)
    assert main(["remerge", str(source.out), "--config", str(new_cfg), "--out", str(tmp_path / "remerged"),
                 "--workers", "2"]) == 0
    remerged, before, expected = _rows(tmp_path / "remerged"), _rows(source.out), _rows(fresh.out)
    assert remerged.keys() == expected.keys() == before.keys()
    assert sum(r["status"] == "filtered" for r in remerged.values()) > 0  # the new policy changed something
    assert {k: _labels(r) for k, r in remerged.items()} == {k: _labels(r) for k, r in expected.items()}
    for chain_id, row in remerged.items():  # no labeler ran: the verdicts are the stored ones
        assert [s["verdicts"] for s in row["steps"]] == [s["verdicts"] for s in before[chain_id]["steps"]]

    manifest = read_manifest(tmp_path / "remerged")
    build = manifest["build"]
    assert manifest["status"] == "done" and manifest["unaccounted"] == []
    assert build["remerged_from"]["build_id"] == source.manifest["build"]["build_id"]
    assert build["remerged_from"]["merge"]["policy"] == "priority"
    assert build["config_hash"] == fresh.manifest["build"]["config_hash"]
    assert {r["build"]["build_id"] for r in remerged.values()} == {build["build_id"]}
    assert (tmp_path / "remerged" / "README.md").exists()


def test_remerge_refuses_a_config_that_changes_more_than_merge(tmp_path, nightly, capsys):
    other = _config(tmp_path, "other", {"policy": "priority", "order": ["outcome"]}, labelers=["outcome"])
    assert main(["remerge", str(nightly.out), "--config", str(other), "--out", str(tmp_path / "x")]) == EXIT_CONFIG
    assert "differs from" in capsys.readouterr().err and not (tmp_path / "x").exists()
