"""A build whose input and output live on an S3-compatible server (moto, 127.0.0.1): workers write
the parts and shards as single PUTs, the driver commits them; DuckDB and `datasets` read the result
back from the server; the rows equal a local build's; a re-run over a grown input builds only the
new chains; a second build on the same OUT is refused while the first holds its lease."""
from __future__ import annotations

import json

import pytest

from steplabel.pipeline.build import run_build
from steplabel.pipeline.config import BuildConfig, InputConfig, LabelerConfig, MergeConfig, RunConfig
from steplabel.pipeline.lease import Lease, LeaseHeld
from steplabel.pipeline.preflight import StartError
from steplabel.pipeline.store import connect, read_chains
from tests.support.s3 import MotoS3

pytestmark = pytest.mark.integration

ROWS = "SELECT chain_id, status, first_error, to_json(list_transform(steps, lambda s: s.rating)) FROM chains ORDER BY 1"


def _records(n: int, start: int = 0) -> list[dict]:
    """Small arithmetic chains, every fourth with a wrong step (the checker flags it)."""
    out = []
    for i in range(start, start + n):
        wrong = i % 4 == 3
        text = f"We add {i} and 1.\n\n{i} + 1 = {i + 2 if wrong else i + 1}\n\nThe answer is {i + 1}."
        out.append({"problem": f"What is {i} + 1?", "answer": str(i + 1), "text": text})
    return out


def _put_jsonl(client, bucket: str, key: str, records: list[dict]) -> None:
    client.put_object(Bucket=bucket, Key=key, Body="".join(json.dumps(r) + "\n" for r in records).encode())


def _config(path: str, out: str) -> BuildConfig:
    names = ["outcome", "math_steps"]
    return BuildConfig(name="on-s3", input=InputConfig(kind="files", path=path),
                       labelers=[LabelerConfig(name=n) for n in names], merge=MergeConfig(order=names),
                       run=RunConfig(out=out, shard_size=8, batch_size=8))


def _keys(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"][len(prefix):] for page in pages for o in page.get("Contents", ()))


def test_a_build_reads_and_writes_object_storage(ray_session, tmp_path):
    with MotoS3() as s3:
        client = s3.client()
        s3.bucket("steplabel-in")
        s3.bucket("steplabel-out")
        _put_jsonl(client, "steplabel-in", "problems/part-0.jsonl", _records(20))
        _put_jsonl(client, "steplabel-in", "problems/part-1.jsonl", _records(16, start=20))
        source, out = s3.uri("steplabel-in", "problems"), s3.uri("steplabel-out", "nightly")
        said: list[str] = []
        result = run_build(_config(source, out), progress=said.append)
        assert result.manifest["status"] == "done" and result.shards_written == 5, said
        keys = _keys(client, "steplabel-out", "nightly/")
        assert [k for k in keys if k.startswith("data/")] == [f"data/shard-{n:05d}.parquet" for n in range(5)]
        assert not [k for k in keys if k.startswith("parts/")]  # every part was joined and removed
        assert "manifest.json" in keys and "README.md" in keys and "card/first_error.png" in keys
        assert result.manifest["unaccounted"] == [] and set(result.manifest["inputs"]) == {
            "s3://steplabel-in/problems/part-0.jsonl", "s3://steplabel-in/problems/part-1.jsonl"}

        # DuckDB over the server; the same rows as a local build of the same records
        on_s3 = connect(out).execute(ROWS).fetchall()
        assert len(on_s3) == 36 and sum("-1" in r[3] for r in on_s3) >= 9
        local_input = tmp_path / "problems"
        local_input.mkdir()
        for name in ("part-0.jsonl", "part-1.jsonl"):
            (local_input / name).write_bytes(client.get_object(Bucket="steplabel-in", Key=f"problems/{name}")["Body"].read())
        local = run_build(_config(str(local_input), str(tmp_path / "out")))
        assert [r[1:] for r in connect(local.out).execute(ROWS).fetchall()] == [r[1:] for r in on_s3]

        # `datasets` reads the shards from the server, by presigned URLs (the README's recipe without s3fs);
        # the suite keeps the Hub offline (conftest), and `datasets` takes that for every URL, this
        # loopback one too: allowed for this read alone
        import datasets

        urls = [client.generate_presigned_url("get_object", Params={"Bucket": "steplabel-out", "Key": f"nightly/{k}"},
                                              ExpiresIn=600) for k in keys if k.startswith("data/")]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(datasets.config, "HF_HUB_OFFLINE", False)
            ds = datasets.load_dataset("parquet", data_files={"train": urls}, split="train",
                                       cache_dir=str(tmp_path / "hf"))
        assert ds.num_rows == 36 and sorted(ds["chain_id"]) == sorted(r[0] for r in on_s3)

        # the input grows by 4 records: only they are built, the five finished shards are reused
        _put_jsonl(client, "steplabel-in", "problems/part-2.jsonl", _records(4, start=36))
        grown = run_build(_config(source, out))
        assert grown.manifest["status"] == "done" and grown.shards_skipped == 5 and grown.shards_written == 1
        assert read_chains(out).num_rows == 40

        # one build per OUT: while a live build holds the lease, a second is refused
        held = Lease(out).acquire()
        try:
            with pytest.raises(LeaseHeld, match="being built by another run"):
                run_build(_config(source, out))
        finally:
            held.release()
        assert read_chains(out).num_rows == 40


def test_an_unreachable_bucket_fails_the_start_in_one_line(tmp_path):
    with MotoS3() as s3:
        cfg = _config(str(tmp_path / "none.jsonl"), s3.uri("no-such-bucket", "x"))
        (tmp_path / "none.jsonl").write_text(json.dumps(_records(1)[0]) + "\n")
        with pytest.raises(StartError, match="cannot write the build directory s3://no-such-bucket"):
            run_build(cfg)
