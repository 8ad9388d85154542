"""The test server as a child process: scripted from a file, counted over HTTP, and killed and
restarted on the same port while a client keeps retrying."""
from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from steplabel.pipeline.llm.client import LLMClient, Sample, run_sync
from steplabel.pipeline.llm.config import EndpointConfig
from tests.support.openai_server import SubprocessServer

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_subprocess_server_scripted_from_a_file(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"policy": {"Q?": ["A chain.\n\nThe answer is: 1"]}}))
    with SubprocessServer(script_path=str(script), latency=0.0) as srv:
        c = LLMClient(EndpointConfig(base_url=srv.base_url, model="policy", api="completions"))
        out = run_sync(c.sample("Problem: Q?", {"max_tokens": 20}, [0]))
        assert out[0].text == "A chain.\n\nThe answer is: 1"
        srv.configure(faults={"rate": 1.0, "kinds": ["500"]})
        stats = srv.stats()
        assert stats["served_total"] == 1 and stats["total"] == 1
        srv.reset()
        assert srv.stats()["total"] == 0
        c.close()


def test_client_survives_a_server_killed_and_restarted(tmp_path):
    port = _free_port()
    srv = SubprocessServer({"policy": {"Q?": ["Restarted.\n\nThe answer is: 2"]}}, latency=1.0).start(port)
    c = LLMClient(EndpointConfig(base_url=f"http://127.0.0.1:{port}/v1", model="policy", timeout=5,
                                 max_retries=8, backoff_base=0.2, backoff_max=1.0))
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(run_sync(c.sample([{"role": "user", "content": "Q?"}],
                                                                            {"max_tokens": 20}, [0]))))
    worker.start()
    time.sleep(0.3)  # the request is in flight
    srv.proc.kill()  # SIGKILL: the connection drops mid-request
    srv.proc.wait()
    time.sleep(0.3)  # refused connections meanwhile
    again = SubprocessServer({"policy": {"Q?": ["Restarted.\n\nThe answer is: 2"]}}).start(port)
    try:
        worker.join(30)
        assert isinstance(result.get(0), Sample) and result[0].text.startswith("Restarted")
        assert c.stats.retries >= 1 and again.stats()["served_total"] == 1
    finally:
        again.stop()
        c.close()
