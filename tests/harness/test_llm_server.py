"""Tests for tests/llm_server.py, driven through the real openai client over HTTP."""

from __future__ import annotations

import json
import threading
import time

import httpx2
import openai
import pytest

from llm_server import DEFAULT_TEXT, ScriptedLLM, ScriptedLLMError, scripted_llm  # noqa: F401

MESSAGES = [
    {"role": "system", "content": "You answer questions about articles. Cite sources."},
    {"role": "user", "content": "What is the capital of France?"},
]


@pytest.fixture(params=["chunked", "close"])
def llm(request):
    """Server under both stream framings (Transfer-Encoding: chunked / Connection: close)."""
    with ScriptedLLM(stream_framing=request.param) as server:
        yield server


@pytest.fixture
def one_llm():
    """Default server, for framing-independent behaviour (status codes, non-stream bodies, timeouts)."""
    with ScriptedLLM() as server:
        yield server


def make_client(llm: ScriptedLLM, **kw) -> openai.OpenAI:
    return llm.client(**kw)  # real openai.OpenAI, max_retries=0, api_key="test-key"


def make_async_client(llm: ScriptedLLM, **kw) -> openai.AsyncOpenAI:
    return llm.async_client(**kw)


def create(client, **kw):
    kw.setdefault("model", "test-model")
    kw.setdefault("messages", MESSAGES)
    return client.chat.completions.create(**kw)


def collect(stream) -> tuple[str, list]:
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks


async def acollect(stream) -> tuple[str, list]:
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, chunks


@pytest.fixture(autouse=True)
def no_leaked_server_threads():
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("ScriptedLLM")]
    assert leaked == [], f"server threads still alive after the test: {leaked}"


# --------------------------------------------------------------------------- happy paths


def test_starts_and_stops_fast():
    t0 = time.monotonic()
    with ScriptedLLM() as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
    assert time.monotonic() - t0 < 0.5


def test_non_stream_reply(llm):
    llm.reply("Paris is the capital of France.")
    # a completely stock client: only base_url and api_key
    with openai.OpenAI(base_url=llm.base_url, api_key="test-key") as client:
        resp = create(client)
    assert resp.object == "chat.completion"
    assert resp.model == "test-model"
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content == "Paris is the capital of France."
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.completion_tokens == 6
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + 6
    assert resp._request_id and resp._request_id.startswith("req_")
    # the request is recorded for assertions
    assert llm.requests == [{"model": "test-model", "messages": MESSAGES}]
    assert "Cite sources" in llm.requests[0]["messages"][0]["content"]
    assert llm.headers[0]["authorization"] == "Bearer test-key"
    assert llm.pending == 0


@pytest.mark.parametrize("chunk_size", [1, 3, 8, 1000])
def test_stream_deltas_assemble(llm, chunk_size):
    text = "Paris — the capital of France (ünïcödé ok)."
    llm.reply(text, chunk_size=chunk_size)
    with make_client(llm) as client:
        stream = create(client, stream=True)
        got, chunks = collect(stream)
    assert got == text
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    content_chunks = [c for c in chunks if c.choices[0].delta.content]
    assert len(content_chunks) == -(-len(text) // chunk_size)
    assert all(c.usage is None for c in chunks)  # include_usage not requested
    assert llm.requests[0]["stream"] is True


def test_stream_include_usage(llm):
    llm.reply("one two three")
    with make_client(llm) as client:
        got, chunks = collect(create(client, stream=True, stream_options={"include_usage": True}))
    assert got == "one two three"
    *body, last = chunks
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == 3
    assert all(c.usage is None for c in body)
    assert body[-1].choices[0].finish_reason == "stop"


def test_default_reply_when_nothing_queued(llm):
    with make_client(llm) as client:
        assert create(client).choices[0].message.content == DEFAULT_TEXT
        assert collect(create(client, stream=True))[0] == DEFAULT_TEXT


def test_queue_is_fifo_then_default(one_llm):
    one_llm.reply("first")
    one_llm.fail("status", status=500)
    one_llm.reply("third", chunk_size=2)
    assert one_llm.pending == 3
    with make_client(one_llm) as client:
        assert create(client).choices[0].message.content == "first"
        with pytest.raises(openai.InternalServerError):
            create(client)
        assert collect(create(client, stream=True))[0] == "third"
        assert create(client).choices[0].message.content == DEFAULT_TEXT
    assert len(one_llm.requests) == 4


def test_reply_with_persists_and_queue_wins(one_llm):
    one_llm.reply_with(lambda body: "echo: " + body["messages"][-1]["content"])
    one_llm.reply("queued")
    with make_client(one_llm) as client:
        assert create(client).choices[0].message.content == "queued"
        assert create(client).choices[0].message.content == "echo: What is the capital of France?"
        msgs = [{"role": "user", "content": "hello"}]
        assert collect(create(client, messages=msgs, stream=True))[0] == "echo: hello"
        one_llm.clear()
        assert one_llm.requests == []
        assert create(client).choices[0].message.content == DEFAULT_TEXT


def test_reply_with_error_gives_500_and_surfaces_at_exit():
    with pytest.raises(ScriptedLLMError, match="boom"):
        with ScriptedLLM() as server:
            def broken(body: dict) -> str:
                raise KeyError("boom")

            server.reply_with(broken)
            with make_client(server) as client, pytest.raises(openai.InternalServerError, match="reply_with"):
                create(client)


def test_reply_delay(one_llm):
    one_llm.reply("abcdefgh", chunk_size=2, delay_s=0.05)  # 4 chunks
    with make_client(one_llm) as client:
        t0 = time.monotonic()
        assert collect(create(client, stream=True))[0] == "abcdefgh"
        assert time.monotonic() - t0 >= 0.2


def test_models_endpoint(one_llm):
    with make_client(one_llm) as client:
        models = client.models.list()
        assert [m.id for m in models.data] == ["scripted-model"]
        assert client.models.retrieve("gpt-x").id == "gpt-x"
    assert one_llm.requests == []  # only chat completions are recorded


def test_fixture_from_module(scripted_llm):
    scripted_llm.reply("via fixture")
    with make_client(scripted_llm) as client:
        assert create(client).choices[0].message.content == "via fixture"


def test_http_framing_and_keep_alive():
    """Non-stream responses carry Content-Length and keep the connection alive.

    Note: the *sync* openai Stream stops reading at ``[DONE]`` and closes the response without
    reading the terminating zero-length chunk, so httpx2 drops that connection; the async
    client drains the rest of the body and reuses it.
    """
    with ScriptedLLM(stream_framing="chunked") as server, make_client(server) as client:
        for _ in range(3):
            create(client)
        raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
        assert raw.headers["content-length"] == str(len(raw.http_response.content))
        assert server.connections == 1
        with client.chat.completions.with_streaming_response.create(model="m", messages=MESSAGES, stream=True) as r:
            assert r.headers["transfer-encoding"] == "chunked"
            assert r.headers["content-type"].startswith("text/event-stream")
            r.http_response.read()  # fully read -> connection goes back to the pool
        create(client)
        assert server.connections == 1
        collect(create(client, stream=True))  # closed at [DONE], before the final chunk
        create(client)
        assert server.connections == 2
    with ScriptedLLM(stream_framing="close") as server, make_client(server) as client:
        with client.chat.completions.with_streaming_response.create(model="m", messages=MESSAGES, stream=True) as r:
            assert r.headers["connection"] == "close"
            assert "transfer-encoding" not in r.headers and "content-length" not in r.headers
            assert collect(r.parse())[0] == DEFAULT_TEXT
        collect(create(client, stream=True))
        create(client)
        assert server.connections == 3  # every close-framed stream costs a connection


async def test_async_client_reuses_connection_for_chunked_streams():
    with ScriptedLLM(stream_framing="chunked") as server:
        async with make_async_client(server) as client:
            for _ in range(3):
                assert (await acollect(await create(client, stream=True)))[0] == DEFAULT_TEXT
                await create(client)
        assert server.connections == 1


def test_fail_validates_arguments():
    server = ScriptedLLM()  # not started: scripting works without a socket
    with pytest.raises(ValueError, match="unknown failure kind"):
        server.fail("nope")
    with pytest.raises(TypeError, match="unexpected keyword"):
        server.fail("status", seconds=1)
    with pytest.raises(ValueError, match="mode"):
        server.fail("malformed_sse", mode="weird")
    server.close()  # harmless when never started


# --------------------------------------------------------------------------- status failures


@pytest.mark.parametrize("stream", [False, True])
def test_429_rate_limit_with_retry_after(one_llm, stream):
    one_llm.fail("status", status=429, retry_after=7)
    with make_client(one_llm) as client, pytest.raises(openai.RateLimitError) as ei:
        create(client, stream=stream)
    err = ei.value
    assert err.status_code == 429
    assert err.response.headers["retry-after"] == "7"
    assert err.body["type"] == "rate_limit_error"  # openai unwraps {"error": {...}}


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize("stream", [False, True])
def test_5xx_raise_internal_server_error(one_llm, status, stream):
    one_llm.fail("status", status=status, body={"error": {"message": "overloaded", "type": "server_error"}})
    with make_client(one_llm) as client, pytest.raises(openai.InternalServerError, match="overloaded") as ei:
        create(client, stream=stream)
    assert isinstance(ei.value, openai.APIStatusError)
    assert ei.value.status_code == status


@pytest.mark.parametrize(
    ("status", "exc"),
    [(400, openai.BadRequestError), (401, openai.AuthenticationError), (404, openai.NotFoundError)],
)
def test_4xx_map_to_status_errors(one_llm, status, exc):
    one_llm.fail("status", status=status, body="plain text body")
    with make_client(one_llm) as client, pytest.raises(exc) as ei:
        create(client)
    assert ei.value.status_code == status


def test_client_retries_consume_the_queue(one_llm):
    """A retryable failure followed by a reply: the client's own retry gets the reply."""
    one_llm.fail("status", status=429, retry_after_ms=10)
    one_llm.fail("status", status=503, retry_after_ms=10)
    one_llm.reply("after retries")
    with make_client(one_llm, max_retries=2) as client:
        t0 = time.monotonic()
        assert create(client).choices[0].message.content == "after retries"
        assert time.monotonic() - t0 < 1.0
    assert len(one_llm.requests) == 3


def test_should_retry_false_stops_client_retries(one_llm):
    one_llm.fail("status", status=503, should_retry=False)
    one_llm.reply("never fetched")
    with make_client(one_llm, max_retries=3) as client, pytest.raises(openai.InternalServerError):
        create(client)
    assert len(one_llm.requests) == 1 and one_llm.pending == 1


# --------------------------------------------------------------------------- timeouts


@pytest.mark.parametrize("stream", [False, True])
def test_timeout_before_first_token(one_llm, stream):
    one_llm.fail("timeout_before_first_token", seconds=10)
    with make_client(one_llm, timeout=0.5) as client:
        t0 = time.monotonic()
        with pytest.raises(openai.APITimeoutError) as ei:
            create(client, stream=stream)  # raised by create(): no headers ever arrive
        assert 0.4 < time.monotonic() - t0 < 1.5
    assert isinstance(ei.value.__cause__, httpx2.ReadTimeout)


def test_slow_first_token_within_timeout_succeeds(one_llm):
    one_llm.fail("timeout_before_first_token", seconds=0.1, text="late but fine")
    with make_client(one_llm, timeout=2) as client:
        assert collect(create(client, stream=True))[0] == "late but fine"


def test_stall_mid_stream_times_out_while_iterating(llm):
    llm.fail("stall_mid_stream", seconds=10, after_chunks=2, text="abcdefghijklmnop", chunk_size=4)
    got = []
    with make_client(llm, timeout=0.5) as client:
        stream = create(client, stream=True)  # headers + first chunks arrive fine
        t0 = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            for chunk in stream:
                got.append(chunk.choices[0].delta.content)
        assert time.monotonic() - t0 < 1.5
    assert got == ["", "abcd", "efgh"]


def test_stall_mid_stream_non_stream_times_out(one_llm):
    one_llm.fail("stall_mid_stream", seconds=10)
    with make_client(one_llm, timeout=0.5) as client, pytest.raises(openai.APITimeoutError):
        create(client)


def test_short_stall_completes(one_llm):
    one_llm.fail("stall_mid_stream", seconds=0.1, text="resumes after stall")
    with make_client(one_llm, timeout=2) as client:
        assert collect(create(client, stream=True))[0] == "resumes after stall"


# --------------------------------------------------------------------------- broken streams


def test_malformed_sse_invalid_json_raises_json_error(llm):
    """The openai client does not wrap this: a bare json.JSONDecodeError escapes iteration."""
    llm.fail("malformed_sse", text="abcdefgh", chunk_size=4, after_chunks=1)
    got = []
    with make_client(llm) as client:
        stream = create(client, stream=True)
        with pytest.raises(json.JSONDecodeError) as ei:
            for chunk in stream:
                got.append(chunk.choices[0].delta.content)
    assert not isinstance(ei.value, openai.OpenAIError)
    assert got == ["", "abcd"]  # valid deltas before the garbage were delivered


def test_malformed_non_stream_body_raises_json_error(one_llm):
    one_llm.fail("malformed_sse")
    with make_client(one_llm) as client, pytest.raises(json.JSONDecodeError):
        create(client)


def test_malformed_sse_garbage_lines_are_ignored(one_llm):
    """Non-`data:` noise lines are silently skipped by the SSE decoder: the stream still completes."""
    one_llm.fail("malformed_sse", mode="garbage", text="still whole")
    with make_client(one_llm) as client:
        text, chunks = collect(create(client, stream=True))
    assert text == "still whole"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_malformed_sse_error_object_raises_api_error(one_llm):
    one_llm.fail("malformed_sse", mode="error_object")
    with make_client(one_llm) as client:
        stream = create(client, stream=True)
        with pytest.raises(openai.APIError, match="Scripted mid-stream error") as ei:
            collect(stream)
    assert not isinstance(ei.value, openai.APIStatusError)


@pytest.mark.parametrize("stream", [False, True])
def test_broken_stream_raises_connection_error(llm, stream):
    llm.fail("broken_stream", text="abcdefgh", chunk_size=2, after_chunks=3)
    got = []
    with make_client(llm) as client:
        with pytest.raises(openai.APIConnectionError) as ei:
            if stream:
                for chunk in create(client, stream=True):
                    got.append(chunk.choices[0].delta.content)
            else:
                create(client)
    assert not isinstance(ei.value, openai.APITimeoutError)
    assert isinstance(ei.value.__cause__, httpx2.RemoteProtocolError)
    assert got == (["", "ab", "cd", "ef"] if stream else [])
    # the client recovers on a new connection
    with make_client(llm) as client:
        assert create(client).choices[0].message.content == DEFAULT_TEXT


@pytest.mark.parametrize("stream", [False, True])
def test_empty_completion(llm, stream):
    llm.fail("empty")
    llm.reply("")
    with make_client(llm) as client:
        for _ in range(2):
            if stream:
                text, chunks = collect(create(client, stream=True))
                assert text == ""
                assert chunks[-1].choices[0].finish_reason == "stop"
            else:
                assert create(client).choices[0].message.content == ""


# --------------------------------------------------------------------------- shutdown


def test_close_with_open_streams_is_prompt():
    """Closing the server while a stream is stalled and a request awaits its first byte is fast and clean."""
    server = ScriptedLLM().start()
    client = make_client(server, timeout=30)
    errors: list[BaseException] = []

    def waiting_request():
        try:
            create(client)
        except BaseException as exc:  # noqa: BLE001 - inspected below
            errors.append(exc)

    try:
        server.fail("stall_mid_stream", seconds=60)
        stream = create(client, stream=True)
        first = next(iter(stream))
        assert first.choices[0].delta.role == "assistant"
        server.fail("timeout_before_first_token", seconds=60)
        t = threading.Thread(target=waiting_request)
        t.start()
        while len(server.requests) < 2:
            time.sleep(0.01)    # polling the server's request log until the waiting request is in
        t0 = time.monotonic()
        server.close()
        assert time.monotonic() - t0 < 1.0
        t.join(5)
        assert not t.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], openai.APIConnectionError)
        with pytest.raises(openai.APIConnectionError):
            collect(stream)
    finally:
        client.close()
        server.close()
    assert server.errors == []


# --------------------------------------------------------------------------- async client


async def test_async_non_stream_and_stream(llm):
    llm.reply("async hello")
    llm.reply("async streamed hello", chunk_size=5)
    async with make_async_client(llm) as client:
        resp = await create(client)
        assert resp.choices[0].message.content == "async hello"
        stream = await create(client, stream=True, stream_options={"include_usage": True})
        text, chunks = await acollect(stream)
    assert text == "async streamed hello"
    assert chunks[-1].usage.completion_tokens == 3
    assert len(llm.requests) == 2


async def test_async_failures(llm):
    llm.fail("status", status=429, retry_after=1)
    llm.fail("status", status=503)
    llm.fail("broken_stream")
    llm.fail("malformed_sse")
    llm.fail("empty")
    async with make_async_client(llm) as client:
        with pytest.raises(openai.RateLimitError) as ei:
            await create(client)
        assert ei.value.response.headers["retry-after"] == "1"
        with pytest.raises(openai.InternalServerError):
            await create(client, stream=True)
        stream = await create(client, stream=True)
        with pytest.raises(openai.APIConnectionError):
            await acollect(stream)
        stream = await create(client, stream=True)
        with pytest.raises(json.JSONDecodeError):
            await acollect(stream)
        assert (await acollect(await create(client, stream=True)))[0] == ""


async def test_async_timeouts(one_llm):
    one_llm.fail("timeout_before_first_token", seconds=10)
    one_llm.fail("stall_mid_stream", seconds=10)
    async with make_async_client(one_llm, timeout=0.5) as client:
        t0 = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await create(client, stream=True)
        stream = await create(client, stream=True)
        with pytest.raises(openai.APITimeoutError):
            await acollect(stream)
        assert time.monotonic() - t0 < 2.5
