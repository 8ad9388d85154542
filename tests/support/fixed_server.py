"""A loopback HTTP server that answers every request with one fixed status: what a wrong URL
(a web server, another service) or an endpoint that is failing answers."""
from __future__ import annotations

import http.server
import json
import threading
from typing import Any


class FixedAnswer:
    """`with FixedAnswer(404) as srv:` — srv.url is http://127.0.0.1:PORT; srv.requests counts them."""

    def __init__(self, status: int, body: Any = None) -> None:
        self.status, self.requests = status, 0
        payload = json.dumps(body if body is not None else {"detail": "Not Found"}).encode()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.requests += 1
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FixedAnswer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
