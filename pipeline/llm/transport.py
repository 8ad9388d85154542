"""A lean HTTP/1.1 transport for the openai client's httpx2 client.

The openai client stays in charge (auth, request building, status → exception mapping, parsing);
only the wire exchange is replaced. httpcore's connection pool costs about as much CPU per
request as everything else together (it scans every pooled connection on each request), which
caps one process at a few hundred requests per second; this transport keeps a plain LIFO stack of
idle keep-alive connections per host on asyncio streams.

Measured against openai's own `DefaultAioHttpClient` (`http: aiohttp`), which the issue proposed
instead: `python tests/benchmarks/bench_llm_client.py --compare --requests 2000 --rounds 4`,
64 requests in flight, every answer 100 ms late (ideal 640/s), alternating rounds in one run on a
2-core machine at load average 25-49 (2026-11-30): throughput aiohttp/lean 0.89, 0.41, 0.80, 0.70
(median 0.80, below the 90 % bar), client CPU per request 984-1152 us (aiohttp) vs 774-856 us
(lean), median ratio 1.40. The CPU figure is the load-independent one: an actor that shares its
cores (every labeler in a build does) gets ~30 % fewer requests per CPU-second from aiohttp, so
this transport stays. On an idle machine both may be latency-bound at this setting (not measured
here: the machine was never idle).

Scope: non-streaming requests with a body held in memory, responses framed by Content-Length,
chunked encoding or connection close; http and https. Not used when a proxy is configured in the
environment (EndpointConfig.http = "auto") — then httpx2's own transport is.

Errors map onto httpx2's: connect/read timeouts → ConnectTimeout/ReadTimeout (openai: APITimeoutError),
refused/dropped/truncated → ConnectError/RemoteProtocolError (openai: APIConnectionError), so the
client's retry policy sees exactly what it sees with httpx2's transport. A request that meets a
keep-alive connection the server had already closed (EOF before any byte of the answer) is sent
again once on a fresh connection, as httpcore does.
"""
from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any, Optional

import httpx2

from .timeouts import within

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def proxy_configured() -> bool:
    return any(os.environ.get(v) for v in _PROXY_VARS)


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        try:
            self.writer.close()
        except (OSError, RuntimeError):  # already closed, or its loop is gone: nothing left to release
            return


class _Stale(Exception):
    """A reused connection was closed by the server before it answered."""


class LeanTransport(httpx2.AsyncBaseTransport):
    def __init__(self, max_idle: int = 256) -> None:
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._max_idle = max_idle
        self._ssl: Optional[ssl.SSLContext] = None

    async def _connect(self, scheme: str, host: str, port: int, timeout: Optional[float]) -> _Conn:
        ctx = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            ctx = self._ssl
        try:
            reader, writer = await within(asyncio.open_connection(host, port, ssl=ctx, limit=2**22,
                                                                   server_hostname=host if ctx else None), timeout)
        except asyncio.TimeoutError as exc:
            raise httpx2.ConnectTimeout(f"connect to {host}:{port} timed out") from exc
        except OSError as exc:
            raise httpx2.ConnectError(f"connect to {host}:{port} failed: {exc}") from exc
        return _Conn(reader, writer)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        host = url.host
        port = url.port or (443 if scheme == "https" else 80)
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        connect_timeout = timeouts.get("connect")
        try:
            body = request.content
        except httpx2.RequestNotRead:
            body = await request.aread()
        target = url.raw_path.decode("ascii") if isinstance(url.raw_path, bytes) else str(url.raw_path)
        lines = [f"{request.method} {target} HTTP/1.1"]
        has_host = False
        for k, v in request.headers.multi_items():
            lk = k.lower()
            if lk in ("content-length", "transfer-encoding", "connection", "accept-encoding"):
                continue
            has_host = has_host or lk == "host"
            lines.append(f"{k}: {v}")
        if not has_host:
            lines.append(f"Host: {host}:{port}")
        lines.append("Accept-Encoding: identity")  # bodies arrive as they are: nothing to decode
        lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        key = (scheme, host, port)
        for attempt in range(2):
            pool = self._idle.get(key)
            reused = bool(pool)
            conn = pool.pop() if pool else await self._connect(scheme, host, port, connect_timeout)
            try:
                status, headers, content, keep = await self._exchange(conn, head + body, read_timeout, reused)
            except _Stale:
                conn.close()
                continue  # a fresh connection, once
            except BaseException:
                conn.close()
                raise
            if keep and len(self._idle.setdefault(key, [])) < self._max_idle:
                self._idle[key].append(conn)
            else:
                conn.close()
            return httpx2.Response(status, headers=headers, content=content, request=request)
        raise httpx2.RemoteProtocolError("server closed the connection without answering, twice")

    async def _exchange(self, conn: _Conn, data: bytes, timeout: Optional[float],
                        reused: bool) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        try:
            return await within(self._talk(conn, data, reused), timeout)
        except asyncio.TimeoutError as exc:
            raise httpx2.ReadTimeout("timed out waiting for the response") from exc
        except asyncio.IncompleteReadError as exc:
            raise httpx2.RemoteProtocolError(
                f"connection closed after {len(exc.partial)} of {exc.expected} body bytes") from exc
        except (ConnectionError, OSError) as exc:
            if reused and isinstance(exc, (ConnectionResetError, BrokenPipeError)):
                raise _Stale() from exc
            raise httpx2.ReadError(f"connection failed: {exc}") from exc
        except ValueError as exc:
            raise httpx2.RemoteProtocolError(f"malformed response: {exc}") from exc

    async def _talk(self, conn: _Conn, data: bytes, reused: bool) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        conn.writer.write(data)
        await conn.writer.drain()
        line = await conn.reader.readline()
        if not line:
            if reused:
                raise _Stale()
            raise httpx2.RemoteProtocolError("server closed the connection without a response")
        parts = line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise httpx2.RemoteProtocolError(f"malformed status line {line[:80]!r}")
        status = int(parts[1])
        headers: list[tuple[str, str]] = []
        length: Optional[int] = None
        chunked = False
        keep = parts[0] == "HTTP/1.1"
        while True:
            h = await conn.reader.readline()
            if h in (b"\r\n", b"\n"):
                break
            if not h:
                raise httpx2.RemoteProtocolError("connection closed inside the response headers")
            k, _, v = h.decode("latin-1").partition(":")
            k, v = k.strip(), v.strip()
            lk = k.lower()
            if lk == "content-length":
                length = int(v)
            elif lk == "transfer-encoding" and "chunked" in v.lower():
                chunked = True
            elif lk == "connection":
                keep = v.lower() != "close" and (keep or v.lower() == "keep-alive")
            if lk not in ("transfer-encoding", "content-length"):
                headers.append((k, v))
        if chunked:
            content = await self._chunks(conn.reader)
        elif length is not None:
            content = await conn.reader.readexactly(length)
        elif status in (204, 304) or 100 <= status < 200:
            content = b""
        else:
            content = await conn.reader.read()
            keep = False
        headers.append(("Content-Length", str(len(content))))
        return status, headers, content, keep

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> bytes:
        out = bytearray()
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            out += await reader.readexactly(size)
            await reader.readline()

    async def aclose(self) -> None:
        for pool in self._idle.values():
            for conn in pool:
                conn.close()
        self._idle.clear()


def make_http_client(kind: str, timeout: float) -> Optional[Any]:
    """The httpx2 client the openai client should use: a lean one, or None for openai's default."""
    if kind == "httpx" or (kind == "auto" and proxy_configured()):
        return None
    if kind == "aiohttp":
        from openai import DefaultAioHttpClient

        return DefaultAioHttpClient(timeout=timeout)
    return httpx2.AsyncClient(transport=LeanTransport(), timeout=timeout)
