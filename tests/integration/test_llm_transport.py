"""The lean HTTP/1.1 transport against a raw server: chunked and close-delimited bodies, servers
that close idle keep-alive connections, and the openai client's error mapping on top."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest

from steplabel.pipeline.llm.client import LLMClient, LLMError, run_sync
from steplabel.pipeline.llm.config import EndpointConfig

pytestmark = pytest.mark.integration

ANSWER = json.dumps({"id": "x", "object": "chat.completion", "model": "m", "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "Hello.\n\nThe answer is: 1"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 5}}).encode()


class RawServer:
    """Answers each request in the style named by `mode`, then keeps or closes the connection."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self.connections = 0
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        assert self.ready.wait(5)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _handle(self, reader, writer) -> None:
        self.connections += 1
        try:
            while True:
                headers = {}
                line = await reader.readline()
                if not line:
                    return
                while (h := await reader.readline()) not in (b"\r\n", b""):
                    k, _, v = h.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                await reader.readexactly(int(headers.get("content-length", 0)))
                self.requests += 1
                if self.mode == "chunked":
                    half = len(ANSWER) // 2
                    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (ANSWER[:half], ANSWER[half:])) + b"0\r\n\r\n"
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
                elif self.mode == "close-delimited":
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + ANSWER)
                    await writer.drain()
                    writer.close()
                    return
                elif self.mode == "close-idle":  # answers, keeps the socket a moment, then hangs up
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(ANSWER), ANSWER))
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    writer.close()
                    return
                elif self.mode == "garbage":
                    writer.write(b"SMTP ready\r\n\r\n")
                    await writer.drain()
                    writer.close()
                    return
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.mark.parametrize("mode", ["chunked", "close-delimited", "close-idle"])
def test_framings_and_connection_reuse(mode):
    srv = RawServer(mode)
    try:
        c = LLMClient(EndpointConfig(base_url=f"http://127.0.0.1:{srv.port}/v1", model="m", http="lean",
                                     max_retries=0, timeout=5))
        for i in range(3):
            out = run_sync(c.sample([{"role": "user", "content": f"q{i}"}], {"max_tokens": 5}, [0]))
            assert out[0].text == "Hello.\n\nThe answer is: 1" and out[0].completion_tokens == 5
            if mode == "close-idle":
                run_sync(asyncio.sleep(0.2))  # the pooled connection is dead by the next request
        assert srv.requests == 3
        assert srv.connections == (1 if mode == "chunked" else 3)
        c.close()
    finally:
        srv.stop()


def test_not_http_is_a_connection_error():
    srv = RawServer("garbage")
    try:
        c = LLMClient(EndpointConfig(base_url=f"http://127.0.0.1:{srv.port}/v1", model="m", http="lean",
                                     max_retries=1, backoff_base=0.01, timeout=2))
        out = run_sync(c.sample([{"role": "user", "content": "q"}], {"max_tokens": 5}, [0]))
        assert isinstance(out[0], LLMError) and "APIConnectionError" in str(out[0])
    finally:
        srv.stop()


def test_refused_connection_is_retried_then_reported():
    c = LLMClient(EndpointConfig(base_url="http://127.0.0.1:9/v1", model="m", http="lean", max_retries=2,
                                 backoff_base=0.01, timeout=2))
    out = run_sync(c.sample([{"role": "user", "content": "q"}], {"max_tokens": 5}, [0]))
    assert isinstance(out[0], LLMError) and "after 3 attempt(s)" in str(out[0])
