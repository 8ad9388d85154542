"""Shared fixtures: one small Ray instance per test session, and the reference-data folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.s3 import DUMMY_ENV

# no test reaches a model hub: tokenizers and models are made offline (tests/support/tiny_prm.py); set
# before anything imports huggingface_hub, which reads it once
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def ray_session():
    """A local Ray instance shared by every integration test (ray.init costs seconds), started as
    a build starts one (its workers at the build's priority)."""
    from steplabel.pipeline.build import local_ray_env

    local_ray_env()
    for key, value in DUMMY_ENV.items():  # workers inherit them: builds on the loopback S3 server
        os.environ.setdefault(key, value)
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, object_store_memory=256 * 2**20, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def sample_build_once(ray_session, tmp_path_factory):
    """The bundled sample built once per session: (result, seconds). Tests read it (or re-run it
    to see it refused or skipped); a test that needs a build of its own makes one."""
    import time

    from steplabel.pipeline.build import run_build
    from steplabel.pipeline.config import load_config

    config = load_config().with_overrides(out=str(tmp_path_factory.mktemp("sample")))
    start = time.perf_counter()
    result = run_build(config)
    return result, time.perf_counter() - start


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout; tests needing it skip on a user's fresh clone."""
    if not SHARED_DATA.is_dir():
        pytest.skip("reference data ../shared/data not present")
    return SHARED_DATA
