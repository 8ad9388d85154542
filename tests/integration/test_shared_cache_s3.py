"""run.cache on object storage: the request cache as one object per entry on an S3-compatible
server (moto, 127.0.0.1). A judge in another "build" (a fresh labeler, another cache_dir) is
answered from it and sends nothing; the cache is whole per entry and survives pickling."""
from __future__ import annotations

import pickle

import pytest
from pydantic import ValidationError

from steplabel.pipeline.config import BuildConfig

from steplabel.pipeline.labelers.base import Context
from steplabel.pipeline.labelers.judge import JudgeLabeler
from steplabel.pipeline.llm.cache import ObjectCache, open_cache
from steplabel.pipeline.schema import new_chain
from steplabel.pipeline.segment import SegmentStage
from tests.support import sample_problems, scripts_from_sample
from tests.support.openai_server import OpenAIServer
from tests.support.s3 import MotoS3

pytestmark = pytest.mark.integration

PROBLEMS = sample_problems(limit=4)


@pytest.fixture(scope="module")
def s3():
    with MotoS3() as server:
        yield server


def _chains() -> list[dict]:
    rows = [new_chain(chain_id=f"{p['problem_id']}-{j}", problem_id=p["problem_id"], problem=p["problem"],
                      reference=p["reference"], text=c["text"]) for p in PROBLEMS for j, c in enumerate(p["chains"])]
    return SegmentStage("blank_line")(rows)


def test_object_cache_round_trip(s3):
    cache = open_cache(s3.uri(s3.bucket("unit"), "team/cache"), shared=True)
    assert isinstance(cache, ObjectCache) and len(cache) == 0 and cache.get("ab" * 32) is None
    cache.put_many([("ab" * 32, {"text": "ответ"}), ("cd" * 32, {"n": 1})])
    copy = pickle.loads(pickle.dumps(cache))  # what Ray ships to an actor: no client inside
    assert copy.place._client is None and copy.get("ab" * 32) == {"text": "ответ"} and len(copy) == 2
    assert (cache.hits, cache.misses) == (0, 1)
    cache.probe()
    assert len(cache) == 2


def test_bad_cache_uris_are_refused():
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        open_cache("gs://bucket/x")
    with pytest.raises(ValueError, match="unknown query"):
        open_cache("s3://bucket/x?endpoint=1")
    with pytest.raises(ValidationError, match="run.cache"):  # refused with the config, before Ray
        BuildConfig.model_validate({"run": {"cache": "gs://bucket/x"}})


def test_second_build_is_answered_from_the_shared_object_cache(s3, tmp_path):
    uri = s3.uri(s3.bucket("nightly"), "steplabel")
    with OpenAIServer(scripts_from_sample(PROBLEMS)) as srv:
        endpoint = {"base_url": srv.base_url, "model": "judge-a", "timeout": 5}
        monday = JudgeLabeler(endpoint=endpoint, context=Context(cache_dir=str(tmp_path / "mon"), request_cache=uri))
        first = monday.label_batch(_chains())
        monday.close()
        paid = srv.stats()["served_total"]
        assert paid > 0 and len(open_cache(uri)) == paid
        tuesday = JudgeLabeler(endpoint=endpoint, context=Context(cache_dir=str(tmp_path / "tue"), request_cache=uri))
        again = tuesday.label_batch(_chains())
        tuesday.close()
        assert srv.stats()["served_total"] == paid
    assert [[v["rating"] for v in lab.verdicts.values()] for lab in again] == \
           [[v["rating"] for v in lab.verdicts.values()] for lab in first]
    assert all(v["cached"] for lab in again for v in lab.verdicts.values())
    assert not (tmp_path / "tue" / "llm").exists() and not (tmp_path / "tue" / "llm.sqlite").exists()
