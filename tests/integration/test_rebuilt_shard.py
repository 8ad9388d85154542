"""An input record edited in place: the shard holding it is built again, and its new file replaces
the old one in one rename (locally) or one PUT (on S3). A reader of data/ sees every chain at every
moment of the rebuild: the old version of the shard until the new one is there, never neither."""
from __future__ import annotations

import contextlib
import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.store import read_chains
from tests.support.s3 import MotoS3

pytestmark = pytest.mark.integration


def _records(edited: bool) -> list[dict]:
    out = [{"problem": f"What is {i} + 5?", "answer": str(i + 5), "text": f"{i} + 5 = {i + 5}"} for i in range(24)]
    if edited:  # record 11, in the second shard of eight: a corrected chain
        out[11]["text"] = "11 + 5 = 16, as 11 + 4 = 15 and one more."
    return out


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_rebuilt_shard_replaces_its_file_with_no_moment_without_it(ray_session, tmp_path, where):
    with (MotoS3() if where == "s3" else contextlib.nullcontext()) as s3:
        if s3 is not None:
            s3.bucket("steplabel-out")
        out = s3.uri("steplabel-out", "nightly") if s3 is not None else str(tmp_path / "out")
        path = tmp_path / "in.jsonl"

        def config() -> BuildConfig:
            return BuildConfig(name="edited", input=InputConfig(kind="files", path=str(path)),
                               labelers=[LabelerConfig(name="outcome")], merge=MergeConfig(order=["outcome"]),
                               run=RunConfig(out=out, shard_size=8, batch_size=8))

        path.write_text("".join(json.dumps(r) + "\n" for r in _records(edited=False)))
        assert run_build(config()).shards_written == 3
        before = {r["chain_id"]: r["text"] for r in read_chains(out).to_pylist()}
        path.write_text("".join(json.dumps(r) + "\n" for r in _records(edited=True)))
        seen: list[tuple[str, int, bool]] = []

        def look(line: str) -> None:  # what a reader of data/ finds as the rebuild goes on
            texts = [r["text"] for r in read_chains(out).to_pylist()]
            seen.append((line.split(":")[0], len(texts), any("one more" in t for t in texts)))

        result = run_build(config(), progress=look)
        assert result.manifest["status"] == "done" and result.shards_written == 1 and result.shards_skipped == 2
        assert all(n == 24 for _, n, _ in seen), seen  # 24 chains readable at every step
        planned = next(i for i, (line, _, _) in enumerate(seen) if line == "input")
        assert not seen[planned][2] and seen[-1][2]  # the old version until the new one replaced it
        after = {r["chain_id"]: r["text"] for r in read_chains(out).to_pylist()}
        assert len(after) == 24 and len(set(after) - set(before)) == 1
