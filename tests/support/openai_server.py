"""A loopback OpenAI-compatible HTTP server for the tests (stdlib only, asyncio, 127.0.0.1 only).

Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, and admin routes
GET /_stats, POST /_config (update settings), POST /_reset (clear counters).

Scripted answers (the `script` dict):
  policy: {problem text: [chain text | {"text": ..., "finish_reason": ...}, ...]}
          a request whose prompt contains a problem text gets that problem's chains; choice j of a
          request with seed s is chain (s + j) % len (without a seed: chain j % len). Longer than
          max_tokens (counted in words) → truncated with finish_reason "length".
  judge:  [{"match": substring or [problem, step 0, step 1, ...], "ratings": [1, 1, -1, ...]}
           | {"match": ..., "first_error": k}, ...] (a list matches when all its parts are in the
           prompt; in single-step mode only the problem and the steps up to the judged one)
          models whose name contains "judge" (or listed in judge_models) are judges; the entry with
          the longest `match` (all of whose substrings are) in the prompt decides, default: every step +1. Chain mode
          counts <paragraph_i> tags; single-step mode finds "[Step to judge]" <paragraph_i>.
  judge_style: "json" | "fenced" | "boxed" | "malformed" | "partial" (also per judge entry as "style");
          an entry's "reason" replaces every step's distinct scripted reason (a degenerate judge),
          its "reasons" list the reason of each step in turn
  reject_response_format: ["json_schema", ...] answered with a 500 validation error, as llama.cpp's
          Python server does for json_schema
Settings: latency (s), latency_jitter, honor_n, hang (s a "timeout" fault waits before closing),
drift (policy answers shift with every request served before: seeded sampling that a server's
cache state changes),
models (None: lists "scripted" and answers any model name, as llama.cpp's server does; a list:
lists those and refuses any other with 404, as vLLM does), api_key (None: no key; a string: every
route but the admin ones answers 401 without "Authorization: Bearer <key>", as vLLM's --api-key),
faults: {"rate": 0.2, "kinds": [...], "seed": 0, "first": 0} — `rate` fails that fraction of
attempts at random; `first` fails the first k attempts of every distinct request. Fault kinds:
"429", "500", "503", "timeout", "drop", "malformed", "truncated" (the default mix), and "400" (a
request the server rejects as malformed: retrying cannot help; only when named in `kinds`).

Counting: every request body is keyed by a hash of its canonical JSON; `attempts[key]` counts
arrivals, `served[key]` counts complete successful answers, so "no request sent twice" is
max(served.values()) <= 1. An answer ready after its client hung up (its timeout passed while this
server was slow) is not sent: it counts in `abandoned`, as a real server's would go unread.
`prompt_tokens_served` / `completion_tokens_served` add up the usage of the answers sent (tokens are
words here).

In-process:  with OpenAIServer(script=...) as srv: srv.base_url ...
Subprocess:  python tests/support/openai_server.py --port 0 --script s.json  (prints "LISTENING <port>")
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from typing import Any, Optional

FAULT_KINDS = ("429", "500", "503", "timeout", "drop", "malformed", "truncated")
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}
_PARA = re.compile(r"<paragraph_(\d+)>")
_PARA_TEXT = re.compile(r"<paragraph_(\d+)>\s*(.*?)\s*</paragraph_\1>", re.S)
_STEP = re.compile(r"\[Step to judge\]\s*<paragraph_(\d+)>")


def request_key(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]


def _words(text: str) -> int:
    return len(text.split())


def _truncate_words(text: str, limit: int) -> str:
    spans = list(re.finditer(r"\S+", text))
    return text if len(spans) <= limit else text[: spans[limit - 1].end()] if limit > 0 else ""


class ServerState:
    def __init__(self, script: Optional[dict] = None, **settings: Any) -> None:
        self.script: dict[str, Any] = script or {}
        self.latency = 0.0
        self.latency_jitter = 0.0
        self.honor_n = True
        self.hang = 30.0
        self.judge_models: list[str] = []
        self.drift = False  # sampling that depends on what came before (a server reusing its prompt cache)
        self.models: Optional[list[str]] = None
        self.api_key: Optional[str] = None
        self.faults: dict[str, Any] = {}
        self.configure(**settings)
        self.reset()

    def configure(self, **settings: Any) -> None:
        for key, value in settings.items():
            if key == "script":
                self.script = value or {}
            elif key == "faults":
                self.faults = dict(value or {})
                self._rng = random.Random(self.faults.get("seed", 0))
            elif key in ("latency", "latency_jitter", "honor_n", "hang", "judge_models", "drift", "models",
                         "api_key"):
                setattr(self, key, value)
            else:
                raise KeyError(f"unknown server setting {key!r}")
        if not hasattr(self, "_rng"):
            self._rng = random.Random(0)

    def reset(self) -> None:
        self.attempts: Counter = Counter()
        self.served: Counter = Counter()
        self.abandoned: Counter = Counter()  # answers whose client had hung up before they were ready
        self.choices_served = 0  # samples handed out (a request with n=4 hands out 4)
        self.prompt_tokens_served = 0  # the usage of the answers handed out, as the server billed it
        self.completion_tokens_served = 0
        self.fault_counts: Counter = Counter()
        self.by_model: Counter = Counter()  # arrivals per model
        self.served_by_model: Counter = Counter()  # complete answers per model
        self.in_flight = 0
        self.answering = 0  # requests in flight that will be answered (their fault was decided on arrival)
        self.max_in_flight = 0
        self.total = 0

    def stats(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "served_total": sum(self.served.values()),
            "attempts": dict(self.attempts),
            "served": dict(self.served),
            "abandoned_total": sum(self.abandoned.values()),
            "faults": dict(self.fault_counts),
            "by_model": dict(self.by_model),
            "served_by_model": dict(self.served_by_model),
            "max_in_flight": self.max_in_flight,
            "max_served_per_key": max(self.served.values(), default=0),
            "choices_served": self.choices_served,
            "prompt_tokens_served": self.prompt_tokens_served,
            "completion_tokens_served": self.completion_tokens_served,
            "answering": self.answering,
        }

    # --- decisions -----------------------------------------------------------------------------

    def pick_fault(self, key: str) -> Optional[str]:
        kinds = list(self.faults.get("kinds") or FAULT_KINDS)
        first = int(self.faults.get("first", 0))
        if first and self.attempts[key] <= first:
            return kinds[(self.attempts[key] - 1) % len(kinds)]
        rate = float(self.faults.get("rate", 0.0))
        if rate and self._rng.random() < rate:
            return self._rng.choice(kinds)
        return None

    def is_judge(self, model: str) -> bool:
        return model in self.judge_models or "judge" in model.lower()

    # --- answers -------------------------------------------------------------------------------

    def policy_choices(self, prompt: str, n: int, seed: Optional[int], max_tokens: Optional[int]) -> list[tuple[str, str]]:
        table = self.script.get("policy") or {}
        chains = None
        best = -1
        for problem, options in table.items():
            if problem in prompt and len(problem) > best:
                chains, best = options, len(problem)
        if not chains:
            chains = [self.script.get("default_chain", "I will add the numbers.\n\nThe answer is: 0")]
        out = []
        for j in range(n):
            shift = self.total if self.drift else 0
            pick = chains[((seed or 0) + j + shift) % len(chains)] if seed is not None else chains[(j + shift) % len(chains)]
            text, reason = (pick["text"], pick.get("finish_reason", "stop")) if isinstance(pick, dict) else (pick, "stop")
            if max_tokens is not None and _words(text) > max_tokens:
                text, reason = _truncate_words(text, max_tokens), "length"
            out.append((text, reason))
        return out

    def judge_answer(self, prompt: str) -> str:
        entries = self.script.get("judge") or []
        entry: dict[str, Any] = {}
        best = -1
        step = _STEP.search(prompt)
        for e in entries:
            match = e.get("match", "")
            parts = [match] if isinstance(match, str) else list(match)
            if step is not None and not isinstance(match, str):
                # [problem, step 0, step 1, ...]: a single-step prompt holds the steps up to the judged one
                parts = parts[: int(step.group(1)) + 2]
            if all(p in prompt for p in parts) and sum(map(len, parts)) > best:
                entry, best = e, sum(map(len, parts))
        style = entry.get("style") or self.script.get("judge_style", "json")
        found = [int(i) for i in _PARA.findall(prompt)]
        count = max(found) + 1 if found else 1
        if "ratings" in entry:
            ratings = list(entry["ratings"])
        elif "first_error" in entry and entry["first_error"] is not None and entry["first_error"] >= 0:
            k = entry["first_error"]
            ratings = [1 if i < k else (-1 if i == k else 0) for i in range(count)]
        else:
            ratings = [1] * count
        ratings += [1] * (count - len(ratings))
        first_error = next((i for i, r in enumerate(ratings) if r == -1), -1)
        texts = {int(i): " ".join(t.split()[:6]) for i, t in _PARA_TEXT.findall(prompt)}

        def reason(i: int, r: int) -> str:  # a scripted reason that refers to its step, as a real one does
            given = entry.get("reasons") or []
            if i < len(given):
                return given[i]
            return entry.get("reason", f"paragraph {i} ({texts.get(i, '')!r}) scripted as {r}")

        if style == "malformed":
            return "I think the solution looks {fine, mostly"
        if step is not None:
            i = int(step.group(1))
            r = ratings[i] if i < len(ratings) else 1
            if style == "boxed":
                return f"The step is {'correct' if r >= 0 else 'wrong'}. \\boxed{{{r}}}"
            body = json.dumps({"rating": r, "reason": reason(i, r)})
        else:
            if style == "boxed":
                return f"Reviewing each paragraph... The earliest error is in paragraph \\boxed{{{first_error}}}."
            steps = [{"index": i, "rating": r, "reason": reason(i, r)} for i, r in enumerate(ratings[:count])]
            if style == "partial":
                steps = steps[: max(1, len(steps) // 2)]
            body = json.dumps({"steps": steps, "first_error": first_error})
        if style == "fenced":
            return f"Here is my review.\n```json\n{body}\n```\nDone."
        return body

    def answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model", ""))
        chat = path.endswith("/chat/completions")
        if chat:
            prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        else:
            p = body.get("prompt", "")
            prompt = p if isinstance(p, str) else "\n".join(map(str, p))
        n = int(body.get("n") or 1) if self.honor_n else 1
        seed = body.get("seed")
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        if self.is_judge(model):
            texts = [(self.judge_answer(prompt), "stop") for _ in range(n)]
        else:
            texts = self.policy_choices(prompt, n, seed, max_tokens)
        choices = []
        for j, (text, reason) in enumerate(texts):
            if chat:
                choices.append({"index": j, "message": {"role": "assistant", "content": text},
                                "finish_reason": reason, "logprobs": None})
            else:
                choices.append({"index": j, "text": text, "finish_reason": reason, "logprobs": None})
        prompt_tokens = _words(prompt)
        completion_tokens = sum(_words(t) for t, _ in texts)
        return {
            "id": f"cmpl-{request_key(body)}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": model,
            "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }


def _invalid(path: str, body: Any) -> Optional[str]:
    """What a real server would reject with 400, or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "model must be a string"
    if path.endswith("/chat/completions"):
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs or not all(isinstance(m, dict) for m in msgs):
            return "messages must be a non-empty list of objects"
    elif not isinstance(body.get("prompt"), (str, list)):
        return "prompt must be a string or a list"
    for name in ("n", "max_tokens", "max_completion_tokens", "seed"):
        if name in body and body[name] is not None and (not isinstance(body[name], int) or isinstance(body[name], bool)):
            return f"{name} must be an integer"
    if "n" in body and body["n"] is not None and body["n"] < 1:
        return "n must be at least 1"
    for name in ("temperature", "top_p"):
        if name in body and body[name] is not None and not isinstance(body[name], (int, float)):
            return f"{name} must be a number"
    return None


class _Server:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    method, target, _ = line.decode("latin-1").split(" ", 2)
                except ValueError:
                    break
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int((await reader.readline()).strip().split(b";")[0], 16)
                        if size == 0:
                            await reader.readline()
                            break
                        data += await reader.readexactly(size)
                        await reader.readline()
                else:
                    data = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                path = target.split("?")[0]
                key = self.state.api_key
                if key and not path.startswith("/_") and headers.get("authorization") != f"Bearer {key}":
                    msg = {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}
                    self._send(writer, 401, json.dumps(msg).encode())
                    continue
                keep = await self.dispatch(method, path, data, writer, reader)
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    def _send(writer: asyncio.StreamWriter, status: int, payload: bytes, extra: str = "",
              length: Optional[int] = None) -> None:
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload) if length is None else length}\r\n"
                f"Connection: keep-alive\r\n{extra}\r\n")
        writer.write(head.encode() + payload)

    async def dispatch(self, method: str, path: str, data: bytes, writer: asyncio.StreamWriter,
                       reader: Optional[asyncio.StreamReader] = None) -> bool:
        st = self.state
        if path == "/_stats":
            self._send(writer, 200, json.dumps(st.stats()).encode())
            return True
        if path == "/_reset":
            st.reset()
            self._send(writer, 200, b"{}")
            return True
        if path == "/_config":
            try:
                st.configure(**json.loads(data or b"{}"))
                self._send(writer, 200, b"{}")
            except (KeyError, ValueError) as exc:
                self._send(writer, 400, json.dumps({"error": {"message": str(exc)}}).encode())
            return True
        if path.endswith("/models"):
            listed = ["scripted"] if st.models is None else st.models
            self._send(writer, 200, json.dumps({"object": "list", "data": [{"id": m, "object": "model"}
                                                                            for m in listed]}).encode())
            return True
        if not (path.endswith("/chat/completions") or path.endswith("/completions")) or method != "POST":
            self._send(writer, 404, b'{"error": {"message": "not found"}}')
            return True
        try:
            body = json.loads(data)
        except ValueError:
            self._send(writer, 400, b'{"error": {"message": "invalid JSON body"}}')
            return True
        rf = body.get("response_format") if isinstance(body, dict) else None
        rejected = self.state.script.get("reject_response_format") or []
        if isinstance(rf, dict) and rf.get("type") in rejected:
            msg = "1 validation error: body.response_format.type: Input should be 'text' or 'json_object'"
            self._send(writer, 500, json.dumps({"error": {"message": msg}}).encode())
            self.state.fault_counts["response_format"] += 1
            return True
        problem = _invalid(path, body)
        if problem:
            self._send(writer, 400, json.dumps({"error": {"message": problem, "type": "invalid_request_error"}}).encode())
            return True
        if st.models is not None and body["model"] not in st.models:
            msg = f"The model `{body['model']}` does not exist."
            self._send(writer, 404, json.dumps({"error": {"message": msg, "type": "NotFoundError", "code": 404}}).encode())
            return True
        key = request_key({"path": path, **body})
        st.total += 1
        st.attempts[key] += 1
        st.by_model[str(body.get("model"))] += 1
        st.in_flight += 1
        st.max_in_flight = max(st.max_in_flight, st.in_flight)
        answering = False
        try:
            fault = st.pick_fault(key)
            answering = fault is None
            st.answering += answering
            delay = st.latency + (random.random() * st.latency_jitter if st.latency_jitter else 0.0)
            if delay:
                await asyncio.sleep(delay)
            if fault is not None:
                st.fault_counts[fault] += 1
                return await self.fault(fault, writer)
            if reader is not None and reader.at_eof():  # the client gave up waiting: nobody reads this answer
                st.abandoned[key] += 1
                return False
            reply = st.answer(path, body)
            answer = json.dumps(reply).encode()
            st.choices_served += len(reply.get("choices") or [])
            st.prompt_tokens_served += reply["usage"]["prompt_tokens"]
            st.completion_tokens_served += reply["usage"]["completion_tokens"]
            st.served[key] += 1  # counted as it is handed to the socket, before the client can see it
            st.served_by_model[str(body.get("model"))] += 1
            self._send(writer, 200, answer)
            await writer.drain()
            return True
        finally:
            st.in_flight -= 1
            st.answering -= answering

    async def fault(self, kind: str, writer: asyncio.StreamWriter) -> bool:
        if kind in ("400", "429", "500", "503"):
            extra = "Retry-After: 0\r\n" if kind == "429" else ""
            msg = json.dumps({"error": {"message": f"scripted {kind}", "type": "scripted", "code": int(kind)}})
            self._send(writer, int(kind), msg.encode(), extra)
            await writer.drain()
            return True
        if kind == "timeout":
            await asyncio.sleep(self.state.hang)
            return False
        if kind == "drop":
            return False
        if kind == "malformed":
            self._send(writer, 200, b'{"id": "x", "object": "chat.completion", "choices": [{"index": 0, "mess')
            await writer.drain()
            return True
        if kind == "truncated":
            payload = json.dumps({"id": "x", "choices": [{"index": 0, "text": "a" * 200}]}).encode()
            self._send(writer, 200, payload[: len(payload) // 2], length=len(payload))
            await writer.drain()
            return False
        raise ValueError(f"unknown fault kind {kind!r}")


class _Loopback:
    """Where a test server listens: 127.0.0.1 only, on the port it was given or chose."""

    port: Optional[int] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"


class OpenAIServer(_Loopback):
    """The server on a background thread with its own event loop; a context manager."""

    def __init__(self, script: Optional[dict] = None, port: int = 0, **settings: Any) -> None:
        self.state = ServerState(script, **settings)
        self._port = port
        self._ready = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.port: Optional[int] = None

    def start(self) -> "OpenAIServer":
        self._thread = threading.Thread(target=self._run, name="openai-test-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("test server did not start")
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(_Server(self.state).handle, "127.0.0.1", self._port, backlog=1024))
        self.port = server.sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()
            tasks = [t for t in asyncio.all_tasks(self.loop)]
            for t in tasks:
                t.cancel()
            self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self.loop.close()

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)

    def restart(self) -> "OpenAIServer":
        """Listen again on the same port after `stop()` (an outage in a test); script and counters kept."""
        self._port = self.port or 0
        self._ready.clear()
        return self.start()

    def configure(self, **settings: Any) -> None:
        self.state.configure(**settings)

    def stats(self) -> dict[str, Any]:
        return self.state.stats()

    def reset(self) -> None:
        self.state.reset()

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class SubprocessServer(_Loopback):
    """The same server in a child process (to kill it, or to keep it off the client's core)."""

    def __init__(self, script: Optional[dict] = None, script_path: Optional[str] = None, **settings: Any) -> None:
        self.script = script
        self.script_path = script_path
        self.settings = settings
        self.proc: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None

    def start(self, port: int = 0) -> "SubprocessServer":
        args = [sys.executable, __file__, "--port", str(port), "--settings", json.dumps(self.settings)]
        if self.script_path:
            args += ["--script", self.script_path]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE if self.script is not None else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, text=True)
        if self.script is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(self.script))
            self.proc.stdin.close()
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"test server failed to start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def _admin(self, path: str, payload: Optional[dict] = None) -> dict:
        data = None if payload is None else json.dumps(payload).encode()
        with urllib.request.urlopen(urllib.request.Request(self.url + path, data=data), timeout=10) as r:
            return json.loads(r.read())

    def stats(self) -> dict[str, Any]:
        return self._admin("/_stats")

    def configure(self, **settings: Any) -> None:
        self._admin("/_config", settings)

    def reset(self) -> None:
        self._admin("/_reset", {})

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> "SubprocessServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", help="JSON script file ('-' = stdin); default: stdin if piped")
    ap.add_argument("--settings", default="{}", help="JSON object of settings (latency, faults, ...)")
    ap.add_argument("--latency", type=float)
    ap.add_argument("--fault-rate", type=float)
    args = ap.parse_args(argv)
    script: dict = {}
    if args.script and args.script != "-":
        with open(args.script) as f:
            script = json.load(f)
    elif args.script == "-" or not sys.stdin.isatty():
        text = sys.stdin.read() if sys.stdin else ""
        script = json.loads(text) if text.strip() else {}
    settings = json.loads(args.settings)
    if args.latency is not None:
        settings["latency"] = args.latency
    if args.fault_rate is not None:
        settings["faults"] = {"rate": args.fault_rate, "seed": 0}
    state = ServerState(script, **settings)

    async def serve() -> None:
        server = await asyncio.start_server(_Server(state).handle, "127.0.0.1", args.port, backlog=1024)
        print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with server:
            await stop.wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
