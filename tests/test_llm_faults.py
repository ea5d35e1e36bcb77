"""LLM endpoint faults through the real openai client, over HTTP, against the scripted server on loopback.

Every question still gets an answer (the extractive one, marked as a fallback), never an exception or a logged
traceback, and never later than the deadline. The read timeout is set longer than the deadline, so a stalled
endpoint is cut off by the deadline itself. A circuit breaker stops calling an endpoint that keeps failing."""
import socket
import threading
import time

import pytest

import reliability
from bot import messages
from bot.answer import Answer
from bot.circuit import CircuitBreaker
from bot.cli import render_text
from bot.engine import Engine
from bot.settings import LLMSettings, Settings

QUESTION = "字节跳动在中国有多少GPU？"
SUPPORTED = "字节跳动在中国境内拥有超过50万个GPU[1]。"
DEADLINE_S = 3.0                 # retrieval with e5 on a busy 2-core machine can take over 1.5 s
TIMEOUT_S = 6.0                  # first token and between tokens: far longer than the deadline
BOUND_S = DEADLINE_S + 1.0       # the whole question, retrieval included, with room for a busy machine


class Clock:
    """A clock the test moves by hand: the breaker's waits pass without sleeping."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make_engine(base_url, index_settings, embedder, clock=None) -> Engine:
    llm = LLMSettings(model="scripted-model", base_url=base_url, api_key="test-key",
                      timeout_s=TIMEOUT_S, deadline_s=DEADLINE_S)
    engine = Engine(Settings(index=index_settings, llm=llm), embedder=embedder, progress=False)
    engine.llm.breaker = CircuitBreaker(failures_to_open=3, open_seconds=30, clock=clock or Clock())
    return engine


@pytest.fixture
def llm_engine(scripted_llm, index_settings, embedder):
    return make_engine(scripted_llm.base_url, index_settings, embedder)


def ask(engine, question=QUESTION) -> tuple[Answer, float]:
    started = time.perf_counter()
    items = list(engine.stream(question))          # any exception fails the test
    elapsed = time.perf_counter() - started
    assert all(isinstance(i, str) for i in items[:-1]) and isinstance(items[-1], Answer)
    return items[-1], elapsed


def assert_marked_fallback(answer: Answer, elapsed: float, caplog):
    assert answer.mode == "fallback" and "50万" in answer.text and answer.citations and not answer.refused
    assert render_text(answer).startswith(messages.text("fallback", "zh"))      # the user sees it is a fallback
    assert elapsed < BOUND_S, f"answered after {elapsed:.2f} s, deadline {DEADLINE_S} s"
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


FAULTS = [
    ("LLM: timeout before the first token", "server sends nothing for 10 s (read timeout 6 s, deadline 3 s)",
     "timeout_before_first_token", {"seconds": 10}),
    ("LLM: stall mid-stream", "server stalls 10 s after 2 deltas (read timeout 6 s, deadline 3 s)",
     "stall_mid_stream", {"seconds": 10, "after_chunks": 2, "text": SUPPORTED}),
    ("LLM: HTTP 500 and 503", "server answers HTTP 500", "status", {"status": 500}),
    ("LLM: HTTP 500 and 503", "server answers HTTP 503", "status", {"status": 503}),
    ("LLM: malformed SSE", "invalid JSON in a data: line after 2 deltas", "malformed_sse", {"mode": "invalid_json"}),
    ("LLM: malformed SSE", "an error object in a data: line mid-stream", "malformed_sse", {"mode": "error_object"}),
    ("LLM: stream cut off", "socket closed mid-stream, no [DONE]", "broken_stream", {"after_chunks": 2, "text": SUPPORTED}),
    ("LLM: empty completion", "a completion whose content is empty", "empty", {}),
]


@pytest.mark.slow                # each waits out a real timeout or deadline
@pytest.mark.parametrize("fault, injected, kind, kw", FAULTS,
                         ids=["-".join([kind, *map(str, kw.values())][:2]) for _, _, kind, kw in FAULTS])
def test_endpoint_fault_gets_the_marked_fallback_within_the_deadline(scripted_llm, llm_engine, caplog, fault, injected,
                                                                     kind, kw):
    reliability.record(fault, injected=injected)
    scripted_llm.fail(kind, **kw)
    answer, elapsed = ask(llm_engine)
    assert_marked_fallback(answer, elapsed, caplog)
    assert len(scripted_llm.requests) == 1


def test_noise_lines_in_the_stream_are_ignored(scripted_llm, llm_engine):
    reliability.record("LLM: malformed SSE", injected="non-SSE noise lines mid-stream (ignored, answer kept)")
    scripted_llm.fail("malformed_sse", mode="garbage", text=SUPPORTED)
    answer, _ = ask(llm_engine)
    assert answer.mode == "llm" and answer.text == SUPPORTED


def test_connection_refused(index_settings, embedder, caplog):
    with socket.socket() as s:          # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = make_engine(f"http://127.0.0.1:{port}/v1", index_settings, embedder)
    for _ in range(2):
        answer, elapsed = ask(engine)
        assert_marked_fallback(answer, elapsed, caplog)
        assert answer.note == "APIConnectionError"
    reliability.record("LLM: connection refused", injected="base URL on a loopback port nobody listens on", cases=2)


def test_citations_to_passages_that_do_not_exist(scripted_llm, llm_engine, caplog):
    # five passages are given; the model cites [7] and [9]
    scripted_llm.reply("字节跳动在中国境内拥有超过50万个GPU[9]。月亮是奶酪做的[7]。")
    answer, _ = ask(llm_engine)
    assert answer.mode == "llm" and answer.text == SUPPORTED        # re-cited to the passage that supports it
    assert [c.n for c in answer.citations] == [1] and "50万" in answer.citations[0].text

    scripted_llm.reply("英伟达的股价翻了三倍[7]。月亮是奶酪做的[9]。")    # nothing real to point at
    answer, elapsed = ask(llm_engine)
    # the model was available: the user is told its answer failed the check, not that it was unavailable
    assert answer.mode == "llm_rejected" and "50万" in answer.text and answer.citations and not answer.refused
    assert render_text(answer).startswith(messages.text("llm_unchecked", "zh"))
    assert "could not be checked" in answer.note and "quoted from the articles" in answer.note
    reliability.record("LLM: citations to passages that don't exist", cases=2,
                       injected="model cites [7], [9] of 5 passages: supported claims re-cited, the rest dropped")


@pytest.mark.slow                # waits out a real Retry-After
def test_429_with_retry_after_is_honoured(scripted_llm, index_settings, embedder, caplog):
    clock = Clock()
    engine = make_engine(scripted_llm.base_url, index_settings, embedder, clock)
    scripted_llm.fail("status", status=429, retry_after=20)
    answer, elapsed = ask(engine)
    assert_marked_fallback(answer, elapsed, caplog)
    assert answer.note == "RateLimitError"
    # one 429 is enough: the endpoint asked for 20 s, so it is not called again before then
    assert engine.llm.breaker.describe() == "open for 20 s more after 1 failure (RateLimitError)"
    clock.now += 19
    assert ask(engine)[0].note == "circuit open" and len(scripted_llm.requests) == 1
    clock.now += 1
    scripted_llm.reply(SUPPORTED)
    assert ask(engine)[0].mode == "llm" and len(scripted_llm.requests) == 2
    assert engine.llm.breaker.describe() == "closed"

    scripted_llm.fail("status", status=429, retry_after_ms=4000)
    ask(engine)
    assert engine.llm.breaker.describe() == "open for 4 s more after 1 failure (RateLimitError)"
    reliability.record("LLM: 429 with Retry-After", cases=2,
                       injected="HTTP 429 with Retry-After: 20 / retry-after-ms: 4000; the breaker waits that long")


@pytest.mark.slow                # real answer deadlines: a loaded machine leaves the model no time
def test_circuit_breaker_stops_calling_a_failing_endpoint_then_tries_once(scripted_llm, index_settings, embedder):
    clock = Clock()
    engine = make_engine(scripted_llm.base_url, index_settings, embedder, clock)
    breaker = engine.llm.breaker
    for n in range(3):
        assert breaker.state == "closed"
        scripted_llm.fail("status", status=500)
        assert ask(engine)[0].note == "InternalServerError"
    assert breaker.describe() == "open for 30 s more after 3 failures (InternalServerError)"

    for _ in range(5):                                    # open: the endpoint hears nothing
        clock.now += 5
        answer, _ = ask(engine)
        assert answer.mode == "fallback" and answer.note == "circuit open"
    assert len(scripted_llm.requests) == 3 and breaker.describe().startswith("open for 5 s more")

    clock.now += 5                                        # half-open: one trial, which fails and reopens
    assert breaker.describe().startswith("half-open: the next question tries the endpoint")
    scripted_llm.fail("status", status=503)
    assert ask(engine)[0].note == "InternalServerError" and len(scripted_llm.requests) == 4
    assert breaker.state == "open" and ask(engine)[0].note == "circuit open"

    clock.now += 30                                       # half-open again: while the trial is slow, others wait
    scripted_llm.reply(SUPPORTED, delay_s=0.3)
    trial: list[Answer] = []
    worker = threading.Thread(target=lambda: trial.append(ask(engine)[0]))
    worker.start()
    while len(scripted_llm.requests) < 5:
        time.sleep(0.01)        # polling the server's request log until the trial's request is in
    assert breaker.describe().startswith("half-open: one question is trying the endpoint")
    assert ask(engine)[0].note == "circuit open"
    worker.join()
    assert trial[0].mode == "llm" and len(scripted_llm.requests) == 5
    assert breaker.describe() == "closed" and breaker.trips == 2
    reliability.record("LLM: endpoint keeps failing (circuit breaker)", cases=3,
                       injected="3 HTTP 500s open it; no request while open; one trial when half-open (fails, then succeeds)")


def test_breaker_lets_a_trial_that_never_reports_expire():
    clock = Clock()
    breaker = CircuitBreaker(failures_to_open=1, open_seconds=10, clock=clock)
    breaker.record(False, reason="APITimeoutError")
    assert not breaker.allow()
    clock.now += 10
    assert breaker.allow() and not breaker.allow()        # one trial, the others wait for it
    clock.now += 10                                       # the trial was abandoned: another may try
    assert breaker.allow()


@pytest.mark.slow                # a stream that stalls for seconds
def test_a_question_abandoned_mid_stream_does_not_wait_or_fail(scripted_llm, llm_engine):
    scripted_llm.reply(SUPPORTED, chunk_size=2, delay_s=0.05)
    stream = llm_engine.stream(QUESTION)
    assert isinstance(next(stream), str)
    stream.close()                                        # e.g. the chat was deleted: no error, no wait
    assert llm_engine.llm.breaker.state == "closed"
