"""An S3-compatible server on 127.0.0.1 for tests (moto's standalone server, its own process).

`MotoS3()` starts it on a free port and stops it on exit; `uri(bucket, prefix)` is an `s3://` URI
for it (endpoint and scheme in the query, as run.cache takes them). Credentials are dummies
set in the environment, as moto accepts any."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any


# what moto accepts; the session's Ray workers get these at start (tests/conftest.py), as a
# cluster's nodes get real credentials from their environment
DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
             "AWS_EC2_METADATA_DISABLED": "true"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoS3:
    def __init__(self) -> None:
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "MotoS3":
        self.set_env = []  # dummy credentials, and no look-up of an instance's metadata address
        for key, value in DUMMY_ENV.items():
            if key not in os.environ:
                os.environ[key] = value
                self.set_env.append(key)
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.__exit__()
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
        for key in getattr(self, "set_env", []):
            os.environ.pop(key, None)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=f"http://{self.endpoint}", region_name="us-east-1")

    def bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def uri(self, bucket: str, prefix: str = "") -> str:
        return f"s3://{bucket}/{prefix}?endpoint_override={self.endpoint}&scheme=http&region=us-east-1"
