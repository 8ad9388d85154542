"""The tokens export on a real Ray: one token shard per build shard written by the actors, every
chain accounted for in export.json, a re-export dropping shards the build no longer has, and a
build on an S3-compatible server (moto, 127.0.0.1) exported to S3 and read back with pyarrow."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

pytest.importorskip("transformers", reason="the tokens export needs steplabel[train]")

from steplabel.pipeline.export_tokens import TokenOptions, export_tokens  # noqa: E402
from steplabel.pipeline.place import place  # noqa: E402
from tests.support.builds import chain_of, step, write_build  # noqa: E402
from tests.support.s3 import MotoS3  # noqa: E402
from tests.support.tiny_prm import make_tokenizer  # noqa: E402

pytestmark = pytest.mark.integration

GOOD, BAD = ("outcome", 1, "right"), ("math_steps", -1, "false")


def _chains(n: int) -> list[dict]:
    """n chains: every third has a wrong second step, every fifth no rated first step."""
    rows = []
    for i in range(n):
        first = None if i % 5 == 4 else 1
        rows.append(chain_of(f"c{i:03d}", [step(0, f"We add {i} and 1.", first, *([GOOD] if first else [])),
                                           step(1, f"{i} + 1 = {i + 2 if i % 3 == 2 else i + 1}",
                                                -1 if i % 3 == 2 else 1, BAD if i % 3 == 2 else GOOD)],
                             problem=f"What is {i} + 1?"))
    return rows


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    texts = [f"What is {i} + 1? We add {i} and 1. {i} + 1 = {i + 1}" for i in range(200)]
    return str(make_tokenizer(texts, tmp_path_factory.mktemp("tok"), vocab_size=300))


def test_every_shard_is_tokenized_by_the_actors_and_every_chain_accounted_for(ray_session, tmp_path, tokenizer):
    build = write_build(tmp_path / "build", _chains(30), build_id="b0123456789a", shard_size=8)
    report = export_tokens(build, TokenOptions(tokenizer))
    target = build / "exports" / "my-build-b0123456789a" / "tokens"
    assert report.path == str(target)
    files = sorted(p.name for p in (target / "data").iterdir())
    assert files == [f"shard-{n:05d}.parquet" for n in range(4)]
    rows = [r for f in files for r in pq.read_table(target / "data" / f).to_pylist()]
    assert sorted(r["chain_id"] for r in rows) == [f"c{i:03d}" for i in range(30) if i % 5 != 4]
    for r in rows:
        i = int(r["chain_id"][1:])
        assert [r["labels"][p] for p in r["step_positions"]] == [1, 0 if i % 3 == 2 else 1]
        assert r["build_id"] == "b"
    receipt = json.loads((target / "export.json").read_text())
    assert receipt["counts"]["chains_read"] == 30 and receipt["counts"]["written"] == len(rows) == 24
    assert receipt["skipped"] == {"first step unlabeled": 6} and receipt["build_id"] == "b0123456789a"
    assert receipt["layout"]["separator"] == "\n" and receipt["tokenizer"]["vocab_size"] == 300

    # the build shrinks to two shards: the export's third and fourth go, none is mixed in
    smaller = write_build(tmp_path / "smaller", _chains(12), build_id="b0123456789a", shard_size=8)
    export_tokens(smaller, TokenOptions(tokenizer), to=target)
    assert sorted(p.name for p in (target / "data").iterdir()) == ["shard-00000.parquet", "shard-00001.parquet"]


def test_a_build_on_object_storage_exports_to_object_storage(ray_session, tmp_path, tokenizer):
    local = write_build(tmp_path / "build", _chains(20), build_id="b0123456789a", shard_size=8)
    with MotoS3() as s3:
        s3.bucket("builds")
        client = s3.client()
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            client.put_object(Bucket="builds", Key=f"nightly/{path.relative_to(local)}", Body=path.read_bytes())
        report = export_tokens(s3.uri("builds", "nightly"), TokenOptions(tokenizer, max_length=64),
                               to=s3.uri("builds", "tokens/nightly"))
        assert report.counts["written"] == 16
        where = place(s3.uri("builds", "tokens/nightly"))
        assert where.names("data") == [f"shard-{n:05d}.parquet" for n in range(3)]
        rows = [r for n in where.names("data") for r in where.read_parquet(f"data/{n}").to_pylist()]
        assert len(rows) == 16 and all(len(r["input_ids"]) <= 64 for r in rows)
        assert json.loads(where.read("export.json"))["layout"]["max_length"] == 64
