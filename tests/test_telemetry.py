"""Telemetry: OpenTelemetry spans per call (GenAI semantic conventions), hooks, and DEBUG logs
without secrets, against the replay server, for the Mistral, OpenAI and Anthropic shapes."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from streamcall import telemetry
from streamcall.errors import AuthenticationError, BadRequestError, StreamError
from streamcall.registry import PROVIDERS, call_decorator
from streamcall.telemetry import CallEnd, CallInfo, RetryInfo, hooks
from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import fixtures

FIXTURES = {
    "mistral": "mistral.text.sse",
    "openai": "openai_chat.usage.sse",
    "anthropic": "anthropic.text.sse",
}
PROVIDER_NAMES = {"mistral": "mistral_ai", "openai": "openai", "anthropic": "anthropic"}
# (id, model, finish reasons, input tokens as the conventions count them, output tokens,
#  cache reads, reasoning tokens) of each fixture.
EXPECTED = {
    "mistral": ("44da3847ce52afd703690b20cb08658f", "mistral-small-latest", ["stop"], 19, 33),
    "openai": (
        "chatcmpl-0HnygbvlE6PczEDT64QsgOTX1yQT6",
        "gpt-5-mini-2025-08-07",
        ["stop"],
        1317,
        286,
    ),
    "anthropic": (
        "msg_019AqTqMqoZp8kjJywAyiGnR",
        "claude-sonnet-4-5-20250929",
        ["end_turn"],
        1844,
        78,
    ),
}
WHOLE = {
    "mistral": {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "mistral-small-2506",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    },
    "openai": {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-5-mini-2025-08-07",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": 5,
            "completion_tokens": 2,
            "total_tokens": 7,
            "prompt_tokens_details": {"cached_tokens": 3},
            "completion_tokens_details": {"reasoning_tokens": 1},
        },
    },
    "anthropic": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "Hi"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": 3},
    },
}
SHAPES = sorted(FIXTURES)
KEY = "sk-telemetry-secret-0123456789"


def body(provider: str) -> bytes:
    return next(f for f in fixtures("") if f.name == FIXTURES[provider]).body


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(provider)
    try:
        yield exporter
    finally:
        telemetry.uninstrument()
        provider.shutdown()


@pytest.fixture(autouse=True)
def _no_hooks() -> Iterator[None]:
    yield
    hooks.clear()


CLIENTS: list[Any] = []


@pytest.fixture
async def aclients() -> AsyncIterator[None]:
    yield
    while CLIENTS:
        await CLIENTS.pop().aclose()


def ask(provider: str, url: str, *, stream: bool = True, is_async: bool = False, **kw: Any) -> Any:
    client = PROVIDERS[provider].make_client(api_key=KEY, base_url=url)
    CLIENTS.append(client)
    params = {"temperature": 0.5, "max_tokens": 100}
    made = call_decorator(provider)("my-model", stream=stream, client=client, call_params=params)
    if is_async:

        async def question_async() -> str:
            return "Recommend a book"

        return made(question_async)

    def question() -> str:
        return "Recommend a book"

    return made(question)


def only(exporter: InMemorySpanExporter) -> ReadableSpan:
    finished = exporter.get_finished_spans()
    assert len(finished) == 1, finished
    return finished[0]


def check_request(span: ReadableSpan, provider: str, stream: bool) -> dict[str, Any]:
    attributes = dict(span.attributes or {})
    assert span.name == "chat my-model"
    assert span.kind == SpanKind.CLIENT
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == PROVIDER_NAMES[provider]
    assert attributes["gen_ai.system"] == PROVIDER_NAMES[provider]
    assert attributes["gen_ai.request.model"] == "my-model"
    assert attributes["gen_ai.request.stream"] is stream
    assert attributes["gen_ai.request.temperature"] == 0.5
    assert attributes["gen_ai.request.max_tokens"] == 100
    assert attributes["server.address"] == "127.0.0.1"
    return attributes


def check_streamed(span: ReadableSpan, provider: str) -> None:
    attributes = check_request(span, provider, True)
    id_, model, reasons, input_tokens, output_tokens = EXPECTED[provider]
    assert attributes["gen_ai.response.id"] == id_
    assert attributes["gen_ai.response.model"] == model
    assert list(attributes["gen_ai.response.finish_reasons"]) == reasons  # type: ignore[arg-type]
    assert attributes["gen_ai.usage.input_tokens"] == input_tokens
    assert attributes["gen_ai.usage.output_tokens"] == output_tokens
    if provider == "openai":
        assert attributes["gen_ai.usage.cache_read.input_tokens"] == 1152
        assert attributes["gen_ai.usage.reasoning.output_tokens"] == 192
    if provider == "anthropic":
        assert attributes["gen_ai.usage.cache_read.input_tokens"] == 1830
    first = attributes["gen_ai.response.time_to_first_chunk"]
    assert isinstance(first, float)
    assert 0 < first <= (span.end_time - span.start_time) / 1e9  # type: ignore[operator]
    assert attributes["streamcall.call.state"] == "complete"
    assert span.status.status_code == StatusCode.UNSET
    assert "error.type" not in attributes


# -- spans ------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", SHAPES)
def test_stream_span_lives_as_long_as_the_stream(
    server: ReplayServer, spans: InMemorySpanExporter, provider: str
) -> None:
    url = server.route(Reply(body=body(provider)))
    stream = ask(provider, url)()
    assert spans.get_finished_spans() == ()  # started at the call, still open
    text = "".join(chunk.content for chunk, _ in stream)
    assert text
    assert stream.state == "complete"
    check_streamed(only(spans), provider)


@pytest.mark.anyio
@pytest.mark.parametrize("provider", SHAPES)
async def test_async_stream_span(
    server: ReplayServer, spans: InMemorySpanExporter, provider: str, aclients: None
) -> None:
    url = server.route(Reply(body=body(provider)))
    stream = await ask(provider, url, is_async=True)()
    assert spans.get_finished_spans() == ()
    async for _chunk, _ in stream:
        pass
    check_streamed(only(spans), provider)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", SHAPES)
@pytest.mark.anyio
async def test_whole_call_span(
    server: ReplayServer,
    spans: InMemorySpanExporter,
    provider: str,
    is_async: bool,
    aclients: None,
) -> None:
    reply = Reply(
        body=json.dumps(WHOLE[provider]).encode(),
        content_type="application/json",
        content_length=True,
    )
    url = server.route(reply)
    call = ask(provider, url, stream=False, is_async=is_async)
    response = await call() if is_async else call()
    assert response.content == "Hi"
    span = only(spans)
    attributes = check_request(span, provider, False)
    assert attributes["gen_ai.response.id"] == WHOLE[provider]["id"]
    assert attributes["gen_ai.response.model"] == WHOLE[provider]["model"]
    assert attributes["gen_ai.usage.output_tokens"] == 2
    # The conventions count cache reads in the input tokens (Anthropic reports them apart).
    assert attributes["gen_ai.usage.input_tokens"] == (8 if provider == "anthropic" else 5)
    if provider != "mistral":
        assert attributes["gen_ai.usage.cache_read.input_tokens"] == 3
    assert "gen_ai.response.time_to_first_chunk" not in attributes
    assert span.status.status_code == StatusCode.UNSET


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("provider", SHAPES)
def test_status_error_fails_the_span(
    server: ReplayServer, spans: InMemorySpanExporter, provider: str, stream: bool
) -> None:
    reply = Reply(
        status=400, body=b'{"error": {"message": "bad"}}', content_type="application/json"
    )
    url = server.route(reply)
    with pytest.raises(BadRequestError) as raised:
        ask(provider, url, stream=stream)()
    span = only(spans)
    attributes = dict(span.attributes or {})
    assert attributes["error.type"] == type(raised.value).__qualname__
    assert attributes["streamcall.call.state"] == "failed"
    assert span.status.status_code == StatusCode.ERROR
    assert any(event.name == "exception" for event in span.events)


def test_error_mid_stream_fails_the_span(server: ReplayServer, spans: InMemorySpanExporter) -> None:
    error_body = next(f for f in fixtures("") if f.name == "openai_chat.error_midstream.sse").body
    url = server.route(Reply(body=error_body))
    stream = ask("openai", url)()
    with pytest.raises(StreamError) as raised:
        for _ in stream:
            pass
    span = only(spans)
    assert span.status.status_code == StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == type(raised.value).__qualname__


@pytest.mark.anyio
async def test_async_error_mid_stream(
    server: ReplayServer, spans: InMemorySpanExporter, aclients: None
) -> None:
    error_body = next(f for f in fixtures("") if f.name == "anthropic.error_overloaded.sse").body
    url = server.route(Reply(body=error_body))
    stream = await ask("anthropic", url, is_async=True)()
    with pytest.raises(StreamError):
        async for _ in stream:
            pass
    assert only(spans).status.status_code == StatusCode.ERROR


@pytest.mark.parametrize("how", ["break", "cancel", "cancel_before_start"])
@pytest.mark.parametrize("provider", SHAPES)
def test_cancelled_stream_ends_its_span(
    server: ReplayServer, spans: InMemorySpanExporter, provider: str, how: str
) -> None:
    url = server.route(Reply(body=body(provider)))
    stream = ask(provider, url)()
    if how == "cancel_before_start":
        stream.cancel()
    else:
        for _ in stream:
            if how == "cancel":
                stream.cancel()
            break
    assert stream.state == "cancelled"
    span = only(spans)
    attributes = dict(span.attributes or {})
    assert attributes["streamcall.call.state"] == "cancelled"
    assert span.status.status_code == StatusCode.UNSET
    assert (attributes.get("gen_ai.response.time_to_first_chunk") is None) == (
        how == "cancel_before_start"
    )


@pytest.mark.anyio
@pytest.mark.parametrize("provider", SHAPES)
async def test_async_cancel_ends_its_span(
    server: ReplayServer, spans: InMemorySpanExporter, provider: str, aclients: None
) -> None:
    url = server.route(Reply(body=body(provider)))
    stream = await ask(provider, url, is_async=True)()
    async with stream:
        async for _ in stream:
            await stream.acancel()
            break
    span = only(spans)
    assert dict(span.attributes or {})["streamcall.call.state"] == "cancelled"


def test_retries_are_span_events_and_hooks(
    server: ReplayServer, spans: InMemorySpanExporter
) -> None:
    seen: list[RetryInfo] = []
    hooks.on_retry(seen.append)
    url = server.route(
        Reply(
            status=503, body=b"{}", headers={"Retry-After": "0"}, content_type="application/json"
        ),
        Reply(body=body("mistral")),
    )
    stream = ask("mistral", url)()
    list(stream)
    assert [r.retry for r in seen] == [1]
    assert seen[0].delay_s == 0
    assert seen[0].call is not None
    assert seen[0].call.provider == "mistral"
    span = only(spans)
    assert [e.name for e in span.events] == ["streamcall.retry"]
    assert span.status.status_code == StatusCode.UNSET


def test_uninstrumented_costs_nothing(server: ReplayServer) -> None:
    """Nothing configured: no observer on the stream, the per-chunk step is the stream's own,
    and (in a fresh interpreter) OpenTelemetry is never imported."""
    url = server.route(Reply(body=body("mistral")))
    stream = ask("mistral", url)()
    assert stream._observer is None
    _wrap, handle = stream._begin()
    assert handle == stream._handle
    stream.cancel()
    program = f"""
import sys
from streamcall.clients.mistral import Mistral
from streamcall.core.mistral import mistral_call
@mistral_call("m", stream=True, client=Mistral(api_key="k", server_url={url!r}))
def ask() -> str:
    return "hi"
assert "".join(c.content for c, _ in ask())
assert not any(name.startswith("opentelemetry") for name in sys.modules), "imported"
"""
    subprocess.run([sys.executable, "-c", program], check=True, timeout=30)


# -- hooks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", SHAPES)
def test_hooks_see_chunks_and_the_end(server: ReplayServer, provider: str) -> None:
    chunks: list[Any] = []
    ends: list[tuple[CallInfo, CallEnd]] = []
    hooks.on_chunk(lambda call, chunk: chunks.append(chunk))
    hooks.on_finish(lambda call, end: ends.append((call, end)))
    url = server.route(Reply(body=body(provider)))
    stream = ask(provider, url)()
    pairs = list(stream)
    assert chunks == [chunk for chunk, _ in pairs]
    ((call, end),) = ends
    assert (call.provider, call.model, call.stream) == (provider, "my-model", True)
    assert call.params["temperature"] == 0.5
    assert end.state == "complete"
    assert end.chunks == len(chunks)
    assert end.error is None
    assert end.id == EXPECTED[provider][0]
    assert end.result is stream
    assert end.usage is not None
    assert end.time_to_first_chunk_s is not None


def test_scoped_hooks_apply_to_calls_started_inside(server: ReplayServer) -> None:
    ends: list[CallEnd] = []
    url = server.route(Reply(body=body("mistral")))
    with hooks.scoped(on_finish=lambda call, end: ends.append(end)):
        stream = ask("mistral", url)()
    list(stream)  # the stream keeps the hooks of its call
    list(ask("mistral", url)())  # a call made after the block has none
    assert [end.state for end in ends] == ["complete"]


def test_a_failing_hook_breaks_nothing(
    server: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(call: CallInfo, chunk: Any) -> None:
        raise RuntimeError("hook bug")

    errors: list[BaseException] = []
    hooks.on_chunk(broken)
    hooks.on_error(lambda call, error: errors.append(error))
    url = server.route(Reply(body=body("anthropic")))
    with caplog.at_level(logging.ERROR, logger="streamcall"):
        stream = ask("anthropic", url)()
        assert "".join(chunk.content for chunk, _ in stream)
    assert stream.state == "complete"
    assert errors == []
    assert "hook bug" in caplog.text
    hooks.remove(broken)
    caplog.clear()
    list(ask("anthropic", url)())
    assert "hook bug" not in caplog.text


def test_on_error_hears_a_failed_call(server: ReplayServer) -> None:
    errors: list[BaseException] = []
    ends: list[str] = []
    hooks.on_error(lambda call, error: errors.append(error))
    hooks.on_finish(lambda call, end: ends.append(end.state))
    url = server.route(
        Reply(status=401, body=b'{"message": "no"}', content_type="application/json")
    )
    with pytest.raises(AuthenticationError) as raised:
        ask("mistral", url, stream=False)()
    assert errors == [raised.value]
    assert ends == ["failed"]


# -- logging ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", SHAPES)
def test_debug_logs_say_requests_retries_and_ends_without_the_key(
    server: ReplayServer, provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.route(
        Reply(
            status=500, body=json.dumps({"error": KEY}).encode(), content_type="application/json"
        ),
        Reply(body=body(provider), headers={"x-echo": KEY}),
    )
    failing = server.route(
        Reply(status=401, body=json.dumps({"message": f"bad key {KEY}"}).encode())
    )
    with caplog.at_level(logging.DEBUG):
        list(ask(provider, url)())
        with pytest.raises(AuthenticationError):
            ask(provider, failing, stream=False)()
    messages = [record.getMessage() for record in caplog.records]
    assert messages
    assert not any(KEY in message for message in messages)
    assert KEY not in caplog.text
    ours = [
        m for r, m in zip(caplog.records, messages, strict=True) if r.name.startswith("streamcall")
    ]
    assert any(m.startswith(f"POST {url}") and m.endswith("-> 200") for m in ours), ours
    assert any(m.startswith("retrying POST") for m in ours), ours
    assert any(m.startswith(f"chat {provider}: complete") for m in ours), ours
    assert any(m.startswith(f"chat {provider}: failed") for m in ours), ours


def test_llm_call_streams_are_spanned(server: ReplayServer, spans: InMemorySpanExporter) -> None:
    from streamcall import llm

    url = server.route(Reply(body=body("openai")))
    client = PROVIDERS["openai"].make_client(api_key=KEY, base_url=url)
    CLIENTS.append(client)

    @llm.call("openai", "my-model", stream=True, client=client)
    def question() -> str:
        return "Recommend a book"

    stream = question()
    assert "".join(chunk.content for chunk, _ in stream)
    attributes = dict(only(spans).attributes or {})
    assert attributes["gen_ai.request.model"] == "my-model"
    assert attributes["gen_ai.response.id"] == EXPECTED["openai"][0]
    assert "gen_ai.request.temperature" not in attributes


def test_a_retry_the_budget_forbids_is_not_announced(server: ReplayServer) -> None:
    """A Retry-After past the first-byte budget raises the error; no hook hears of a retry."""
    from streamcall.clients.mistral import Mistral
    from streamcall.core.mistral import mistral_call
    from streamcall.errors import APIError
    from streamcall.transport.timeouts import Timeouts

    seen: list[RetryInfo] = []
    hooks.on_retry(seen.append)
    busy = Reply(
        status=503, body=b"{}", headers={"Retry-After": "30"}, content_type="application/json"
    )
    url = server.route(busy)
    client = Mistral(api_key=KEY, server_url=url, timeouts=Timeouts(first_byte=2.0))
    CLIENTS.append(client)

    @mistral_call("m", stream=True, client=client)
    def question() -> str:
        return "hi"

    with pytest.raises(APIError):
        list(question())
    assert seen == []
