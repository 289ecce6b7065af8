"""Encoders: streamcall streams out as OpenAI Chat chunks, Anthropic Messages events and the
Vercel AI SDK's UI message stream.

Each provider's fixture stream (and, as a property, any answer a conformance writer writes) is
run through the call layer and encoded; the encoded bytes are then served to the official SDKs
(``openai``: ``chat.completions.create(stream=True)`` with ``ChatCompletionStreamState``;
``anthropic``: ``messages.stream(...).get_final_message()``), which must recover the same
text, tool calls, usage and finish reason as the streamcall stream itself. The UI message
stream is checked part by part. A Starlette app served by uvicorn shows that a client leaving
cancels the upstream stream.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.lib.streaming.chat import ChatCompletionStreamState

from streamcall.core.base._accumulate import Usage
from streamcall.encoders import (
    UI_MESSAGE_STREAM_HEADERS,
    AnthropicEncoder,
    OpenAIChatEncoder,
    VercelEncoder,
    aencode_anthropic,
    aencode_openai,
    aencode_vercel,
    encode_anthropic,
    encode_openai,
    encode_vercel,
)
from streamcall.encoders._base import openai_counts
from streamcall.encoders.anthropic import anthropic_counts
from streamcall.errors import StreamcallError
from tests.asgi_server import uvicorn_server
from tests.conformance.answer import Answer
from tests.conformance.harness import PROVIDERS
from tests.conformance.writers.anthropic import AnthropicWriter
from tests.conformance.writers.openai_chat import OpenAIChatWriter
from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import fixtures

# (conformance provider, fixture): text, tools (parallel, whole, sequential), thinking, usage.
CASES = [
    ("openai", "openai_chat.usage.sse"),
    ("openai", "openai_chat.tools_parallel.sse"),
    ("deepseek", "openai_compat.deepseek_reasoning.sse"),
    ("anthropic", "anthropic.text.sse"),
    ("anthropic", "anthropic.thinking.sse"),
    ("anthropic", "anthropic.tool_use.sse"),
    ("gemini", "gemini.function_call.sse"),
    ("gemini", "gemini.thinking.sse"),
    ("mistral", "mistral.tools.sse"),
    ("cohere", "cohere_v2.tools.sse"),
    ("ollama", "ollama_chat.tools.ndjson"),
    ("openai-responses", "openai_responses.tools.sse"),
]
ERROR_CASES = [
    ("openai", "openai_chat.error_midstream.sse"),
    ("anthropic", "anthropic.error_overloaded.sse"),
    ("openai-responses", "openai_responses.error.sse"),
]
ENCODE = {"openai": encode_openai, "anthropic": encode_anthropic, "vercel": encode_vercel}
AENCODE = {"openai": aencode_openai, "anthropic": aencode_anthropic, "vercel": aencode_vercel}


def body_of(name: str) -> bytes:
    return next(f for f in fixtures("") if f.name == name).body


@dataclass
class Seen:
    """What the streamcall stream itself says, after it was encoded."""

    text: str
    thinking: str
    tool_calls: list[tuple[str | None, str, dict[str, Any]]]
    usage: Usage | None
    finish: list[str] | None
    provider_finish: list[str] | None
    id: str | None
    model: str
    state: str
    error: BaseException | None


def seen(stream: Any) -> Seen:
    return Seen(
        stream.content,
        stream.thinking,
        [(c.id, c.name, c.arguments) for c in stream.tool_calls],
        stream.common_usage,
        stream.common_finish_reasons,
        stream.finish_reasons,
        stream.id,
        stream.model,
        stream.state,
        stream.error,
    )


def run_encoded(
    server: ReplayServer, key: str, body: bytes, fmt: str, *, asynchronous: bool = False
) -> tuple[bytes, Seen]:
    """Run ``body`` through the call layer of provider ``key`` and encode it in ``fmt``."""
    provider = PROVIDERS[key]
    url = server.route(Reply(body=body, content_type=provider.content_type))
    client = provider.make_client(url)
    decorator = provider.decorator(provider.model, stream=True, tools=provider.tools, client=client)
    if asynchronous:

        async def ask_async() -> str:
            return "Use the tools."

        async def run() -> tuple[bytes, Any]:
            stream = await decorator(ask_async)()
            out, raised = b"", None
            try:
                async for piece in AENCODE[fmt](stream):
                    out += piece
            except StreamcallError as exc:  # raised after its bytes, as events() raises it
                raised = exc
            finally:
                await client.aclose()
            assert raised is stream.error
            return out, stream

        out, stream = asyncio.run(run())
    else:

        def ask() -> str:
            return "Use the tools."

        stream = decorator(ask)()
        out, raised = b"", None
        try:
            for piece in ENCODE[fmt](stream):
                out += piece
        except StreamcallError as exc:
            raised = exc
        assert raised is stream.error
    client.close()
    return out, seen(stream)


# -- what the official SDKs read back ----------------------------------------------------------


def read_openai(server: ReplayServer, encoded: bytes) -> Any:
    """The OpenAI SDK's completion, accumulated from the encoded chunks."""
    url = server.route(Reply(body=encoded))
    with openai.OpenAI(base_url=url, api_key="test-key", max_retries=0) as sdk:
        state = ChatCompletionStreamState()
        chunks = sdk.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        with chunks:
            for chunk in chunks:
                state.handle_chunk(chunk)
        try:
            return state.get_final_completion()
        except openai.LengthFinishReasonError:  # it refuses a cut answer: its snapshot then
            snapshot = state.current_completion_snapshot
            assert snapshot.choices[0].finish_reason == "length"
            return snapshot


def read_anthropic(server: ReplayServer, encoded: bytes) -> Any:
    """The Anthropic SDK's final message, accumulated from the encoded events."""
    url = server.route(Reply(body=encoded))
    with anthropic.Anthropic(base_url=url, api_key="test-key", max_retries=0) as sdk:
        with sdk.messages.stream(
            model="m", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            return stream.get_final_message()


def check_openai(completion: Any, expected: Seen) -> None:
    message = completion.choices[0].message
    assert (message.content or "") == expected.text
    assert (getattr(message, "reasoning_content", None) or "") == expected.thinking
    calls = [
        (c.id, c.function.name, json.loads(c.function.arguments or "{}"))
        for c in message.tool_calls or []
    ]
    assert [(n, a) for _, n, a in calls] == [(n, a) for _, n, a in expected.tool_calls]
    for (got, _, _), (want, _, _) in zip(calls, expected.tool_calls, strict=True):
        assert got == want if want is not None else got.startswith("call_")
    finish = completion.choices[0].finish_reason
    if expected.tool_calls:
        assert finish == "tool_calls"
    elif expected.finish:
        assert finish == expected.finish[0]
    assert completion.model == expected.model
    if expected.id is not None:
        assert completion.id == expected.id
    if expected.usage is None:
        assert completion.usage is None
    else:
        counts = openai_counts(expected.usage)
        usage = completion.usage
        assert usage.prompt_tokens == counts["prompt_tokens"]
        assert usage.completion_tokens == counts["completion_tokens"]
        assert usage.total_tokens == counts["prompt_tokens"] + counts["completion_tokens"]
        assert usage.prompt_tokens_details.cached_tokens == counts["cached_tokens"]
        assert usage.completion_tokens_details.reasoning_tokens == counts["reasoning_tokens"]


ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def check_anthropic(message: Any, expected: Seen) -> None:
    text = "".join(b.text for b in message.content if b.type == "text")
    thinking = "".join(b.thinking for b in message.content if b.type == "thinking")
    assert text == expected.text
    assert thinking == expected.thinking
    calls = [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert [(n, a) for _, n, a in calls] == [(n, a) for _, n, a in expected.tool_calls]
    for (got, _, _), (want, _, _) in zip(calls, expected.tool_calls, strict=True):
        assert got == want if want is not None else got.startswith("toolu_")
    if expected.tool_calls:
        assert message.stop_reason == "tool_use"
    elif expected.provider_finish and expected.provider_finish[0] in ("end_turn", "max_tokens"):
        assert message.stop_reason == expected.provider_finish[0]
    elif expected.finish:
        assert message.stop_reason == ANTHROPIC_STOP[expected.finish[0]]
    assert message.model == expected.model
    if expected.id is not None:
        assert message.id == expected.id
    counts = anthropic_counts(expected.usage)
    assert message.usage.input_tokens == counts["input_tokens"]
    assert message.usage.output_tokens == counts["output_tokens"]
    if expected.usage is not None:
        assert message.usage.cache_read_input_tokens == counts["cache_read_input_tokens"]


def vercel_parts(encoded: bytes) -> list[Any]:
    """The parts of a UI message stream (``"[DONE]"`` for the end), each event checked to be
    one ``data:`` line."""
    text = encoded.decode()
    assert text.endswith("\n\n")
    parts: list[Any] = []
    for event in text[:-2].split("\n\n"):
        assert event.startswith("data: ")
        assert "\n" not in event
        payload = event[len("data: ") :]
        parts.append(payload if payload == "[DONE]" else json.loads(payload))
    return parts


def check_vercel(parts: list[Any], expected: Seen) -> None:
    assert parts[0] == {"type": "start", "messageId": expected.id or parts[0]["messageId"]}
    assert parts[1] == {"type": "start-step"}
    assert parts[-3:-1] == [
        {"type": "finish-step"},
        {"type": "finish", "finishReason": vercel_finish(expected)},
    ]
    assert parts[-1] == "[DONE]"
    text, thinking, inputs = "", "", {}
    open_ids: dict[str, str] = {}  # text / reasoning parts open: id -> kind
    tools: dict[str, dict[str, Any]] = {}
    for part in parts[2:-3]:
        kind = part["type"]
        if kind in ("text-start", "reasoning-start"):
            assert part["id"] not in open_ids
            assert not open_ids
            open_ids[part["id"]] = kind.split("-")[0]
        elif kind in ("text-delta", "reasoning-delta"):
            assert open_ids.get(part["id"]) == kind.split("-")[0]
            if kind == "text-delta":
                text += part["delta"]
            else:
                thinking += part["delta"]
        elif kind in ("text-end", "reasoning-end"):
            assert open_ids.pop(part["id"]) == kind.split("-")[0]
        elif kind == "tool-input-start":
            assert part["toolCallId"] not in tools
            tools[part["toolCallId"]] = {"name": part["toolName"], "text": "", "done": False}
        elif kind == "tool-input-delta":
            assert not tools[part["toolCallId"]]["done"]
            tools[part["toolCallId"]]["text"] += part["inputTextDelta"]
        elif kind == "tool-input-available":
            tool = tools[part["toolCallId"]]
            assert part["toolName"] == tool["name"]
            assert not tool["done"]
            assert part["input"] == json.loads(tool["text"] or "{}")
            tool["done"] = True
            inputs[part["toolCallId"]] = (part["toolName"], part["input"])
        else:
            raise AssertionError(f"unexpected part {part}")
    assert not open_ids
    assert text == expected.text
    assert thinking == expected.thinking
    assert [(n, a) for n, a in inputs.values()] == [(n, a) for _, n, a in expected.tool_calls]
    for got, (want, _, _) in zip(inputs, expected.tool_calls, strict=True):
        assert got == want if want is not None else got.startswith("call_")


def vercel_finish(expected: Seen) -> str:
    if expected.tool_calls:
        return "tool-calls"
    reason = (expected.finish or ["stop"])[0]
    return {"stop": "stop", "length": "length", "content_filter": "content-filter"}[reason]


# -- every provider's fixtures, to each format ---------------------------------------------------


@pytest.mark.parametrize(("key", "fixture"), CASES, ids=[f for _, f in CASES])
def test_openai_sdk_reads_what_the_stream_carried(
    server: ReplayServer, key: str, fixture: str
) -> None:
    encoded, expected = run_encoded(server, key, body_of(fixture), "openai")
    assert expected.state == "complete"
    assert encoded.endswith(b"data: [DONE]\n\n")
    check_openai(read_openai(server, encoded), expected)


@pytest.mark.parametrize(("key", "fixture"), CASES, ids=[f for _, f in CASES])
def test_anthropic_sdk_reads_what_the_stream_carried(
    server: ReplayServer, key: str, fixture: str
) -> None:
    encoded, expected = run_encoded(server, key, body_of(fixture), "anthropic")
    assert expected.state == "complete"
    assert encoded.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    check_anthropic(read_anthropic(server, encoded), expected)


@pytest.mark.parametrize(("key", "fixture"), CASES, ids=[f for _, f in CASES])
def test_vercel_parts_carry_what_the_stream_carried(
    server: ReplayServer, key: str, fixture: str
) -> None:
    encoded, expected = run_encoded(server, key, body_of(fixture), "vercel")
    check_vercel(vercel_parts(encoded), expected)


@pytest.mark.parametrize("fmt", ["openai", "anthropic", "vercel"])
@pytest.mark.parametrize("fixture", ["anthropic.tool_use.sse", "openai_chat.tools_parallel.sse"])
def test_async_edges_encode_the_same_bytes(server: ReplayServer, fmt: str, fixture: str) -> None:
    key = fixture.split(".")[0].split("_")[0]
    sync, _ = run_encoded(server, key, body_of(fixture), fmt)
    asynchronous, expected = run_encoded(server, key, body_of(fixture), fmt, asynchronous=True)
    assert expected.state == "complete"
    strip = _unstable_fields
    assert strip(asynchronous, fmt) == strip(sync, fmt)


def _unstable_fields(encoded: bytes, fmt: str) -> list[Any]:
    """The events with their timestamps and generated ids blanked."""
    events = []
    for event in encoded.decode().split("\n\n"):
        data = event.rpartition("data: ")[2]
        value = data if data in ("", "[DONE]") else json.loads(data)
        if isinstance(value, dict) and "created" in value:
            value["created"] = 0
        events.append(value)
    return events


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "fixture"), ERROR_CASES, ids=[f for _, f in ERROR_CASES])
def test_an_error_mid_stream_reaches_the_sdks(server: ReplayServer, key: str, fixture: str) -> None:
    encoded, expected = run_encoded(server, key, body_of(fixture), "openai")
    assert expected.state == "failed"
    assert expected.error is not None
    message = str(expected.error)
    last = encoded.rstrip(b"\n").rsplit(b"\n\n", 1)[-1]
    error = json.loads(last.removeprefix(b"data: "))["error"]
    assert error["message"] == message
    assert error["type"] == (getattr(expected.error, "type", None) or "server_error")
    assert b"[DONE]" not in encoded
    with pytest.raises(openai.APIError) as raised:
        read_openai(server, encoded)
    assert message in str(raised.value)

    encoded, expected = run_encoded(server, key, body_of(fixture), "anthropic")
    assert encoded.startswith(b"event: message_start\n")
    last = encoded.rstrip(b"\n").rsplit(b"\n\n", 1)[-1]
    assert last.startswith(b"event: error\ndata: ")
    assert b"message_stop" not in encoded
    with pytest.raises(anthropic.APIStatusError) as status:
        read_anthropic(server, encoded)
    assert message in str(status.value)

    encoded, expected = run_encoded(server, key, body_of(fixture), "vercel")
    parts = vercel_parts(encoded)
    assert parts[-2:] == [{"type": "error", "errorText": message}, "[DONE]"]
    assert parts[0]["type"] == "start"
    assert all(p != "[DONE]" and p["type"] not in ("finish", "finish-step") for p in parts[:-1])
    text = "".join(p["delta"] for p in parts[:-1] if p["type"] == "text-delta")
    assert text == expected.text


def test_an_error_before_any_content_still_opens_the_message() -> None:
    from streamcall.core.base.events import ErrorEvent
    from streamcall.errors import StreamError

    error = StreamError("Overloaded", type="overloaded_error")
    out = AnthropicEncoder(id="msg_1", model="m").feed(ErrorEvent(error))
    assert out.startswith(b"event: message_start\n")
    assert out.endswith(
        b'event: error\ndata: {"type":"error","error":'
        b'{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    )
    out = OpenAIChatEncoder(id="c", model="m").feed(ErrorEvent(error))
    assert out.endswith(
        b'data: {"error":{"message":"Overloaded","type":"overloaded_error","code":null}}\n\n'
    )


def test_an_unfinished_tool_call_is_marked_in_the_ui_stream() -> None:
    from streamcall.core.base._accumulate import AssembledToolCall
    from streamcall.core.base.events import ErrorEvent, ToolCallDelta, ToolCallEnd, ToolCallStart
    from streamcall.errors import StreamInterruptedError

    encoder = VercelEncoder(id="m1")
    call = AssembledToolCall("c1", "get_weather", '{"ci', {}, 0, "unfinished", finished=False)
    out = b"".join(
        encoder.feed(event)
        for event in [
            ToolCallStart("c1", "get_weather", 0),
            ToolCallDelta("c1", 0, '{"ci'),
            ToolCallEnd(call),
            ErrorEvent(StreamInterruptedError("cut")),
        ]
    )
    parts = vercel_parts(out)
    assert [p if p == "[DONE]" else p["type"] for p in parts] == [
        "start",
        "start-step",
        "tool-input-start",
        "tool-input-delta",
        "tool-input-error",
        "error",
        "[DONE]",
    ]
    assert parts[4] == {
        "type": "tool-input-error",
        "toolCallId": "c1",
        "toolName": "get_weather",
        "input": '{"ci',
        "errorText": "unfinished",
    }


def test_the_ui_stream_headers_are_the_ai_packages() -> None:
    assert UI_MESSAGE_STREAM_HEADERS == {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "connection": "keep-alive",
        "x-vercel-ai-ui-message-stream": "v1",
        "x-accel-buffering": "no",
    }


def test_without_include_usage_no_usage_chunk(server: ReplayServer) -> None:
    provider = PROVIDERS["openai"]
    url = server.route(Reply(body=body_of("openai_chat.usage.sse")))
    client = provider.make_client(url)

    @provider.decorator(provider.model, stream=True, client=client)
    def ask() -> str:
        return "hi"

    encoded = b"".join(encode_openai(ask(), include_usage=False))
    client.close()
    assert b'"usage"' not in encoded
    assert encoded.endswith(b"data: [DONE]\n\n")
    assert read_openai(server, encoded).usage is None


# -- any answer, through a provider, out to the SDKs --------------------------------------------

WRITERS = {"openai": OpenAIChatWriter(), "anthropic": AnthropicWriter()}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_answer_round_trips_to_the_sdks(server: ReplayServer, data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(WRITERS)), label="provider")
    writer: Any = WRITERS[key]
    answer: Answer = data.draw(writer.strategy(), label="answer")
    variants = getattr(writer, "variants_for", lambda a: writer.variants)(answer)
    variant = data.draw(st.sampled_from(variants), label="variant")
    body = writer.write(answer, variant)
    fmt = data.draw(st.sampled_from(["openai", "anthropic", "vercel"]), label="format")
    encoded, expected = run_encoded(server, key, body, fmt)
    assert expected.state == "complete"
    assert expected.text == answer.full_text
    assert [n for _, n, _ in expected.tool_calls] == [c.name for c in answer.tool_calls]
    if fmt == "openai":
        check_openai(read_openai(server, encoded), expected)
    elif fmt == "anthropic":
        check_anthropic(read_anthropic(server, encoded), expected)
    else:
        check_vercel(vercel_parts(encoded), expected)


# -- a Starlette app: a client that leaves cancels the upstream stream -------------------------

STALLED = "anthropic.text.sse"


def proxy_app(upstream: Callable[[], str], opened: list[Any]) -> Any:
    """A Starlette app answering ``GET /{format}/{mode}`` with an Anthropic stream read from
    ``upstream()``, re-encoded (``mode``: ``async`` or ``sync``, of the provider's call layer,
    or of ``llm.call`` with ``llm-``)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    from streamcall.encoders import streaming_response

    provider = PROVIDERS["anthropic"]

    async def endpoint(request: Request) -> Any:
        from streamcall import llm

        client = provider.make_client(upstream())
        mode = request.path_params["mode"]
        if mode.startswith("llm-"):
            decorator = llm.call("anthropic", provider.model, stream=True, client=client)
        else:
            decorator = provider.decorator(provider.model, stream=True, client=client)
        if mode.endswith("async"):

            async def ask_async() -> str:
                return "hi"

            stream = await decorator(ask_async)()
        else:

            def ask() -> str:
                return "hi"

            stream = decorator(ask)()
        response = streaming_response(stream, request.path_params["format"])
        # Held, with its body, so that only the response's own close, not the garbage
        # collector finalizing a dropped body, can cancel the stream.
        opened.append((stream, client, response))
        return response

    return Starlette(routes=[Route("/{format}/{mode}", endpoint)])


TEXT_MARKERS = {"openai": b'{"content":', "anthropic": b'"text_delta"', "vercel": b'"text-delta"'}


def read_then_leave(host: str, port: int, path: str, marker: bytes) -> tuple[bytes, bytes]:
    """GET ``path``, read the head and the body up to its first text (``marker``), then close
    the connection."""
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        received = b""
        while b"\r\n\r\n" not in received or marker not in received.partition(b"\r\n\r\n")[2]:
            data = conn.recv(65536)
            assert data, "the server closed the connection"
            received += data
        head, _, body = received.partition(b"\r\n\r\n")
        return head, body


LEAVING = [
    *((fmt, mode) for fmt in ("openai", "anthropic", "vercel") for mode in ("async", "sync")),
    ("openai", "llm-async"),
    ("openai", "llm-sync"),
]


@pytest.mark.parametrize(("fmt", "mode"), LEAVING)
def test_a_client_leaving_cancels_the_upstream_stream(
    server: ReplayServer, fmt: str, mode: str
) -> None:
    body = body_of(STALLED)
    routes: list[str] = []

    def upstream() -> str:  # sends half the answer, then holds the connection open
        routes.append(server.route(Reply(body=body, stall_after=len(body) // 2)))
        return routes[-1]

    opened: list[Any] = []
    with uvicorn_server(proxy_app(upstream, opened)) as (host, port):
        head, first = read_then_leave(host, port, f"/{fmt}/{mode}", TEXT_MARKERS[fmt])
        assert head.startswith(b"HTTP/1.1 200")
        assert b"content-type: text/event-stream" in head.lower()
        if fmt == "vercel":
            assert b"x-vercel-ai-ui-message-stream: v1" in head.lower()
        assert first  # the answer had begun
        started = time.monotonic()
        assert server.route_of(routes[0]).client_closed_early.wait(2)
        assert time.monotonic() - started < 2
        stream, client, _ = opened[0]
        deadline = time.monotonic() + 2
        while stream.state == "streaming" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.state == "cancelled"
        assert stream.content  # what arrived before the client left is kept
    client.close()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_an_llm_stream_encodes_as_its_provider_stream(
    server: ReplayServer, asynchronous: bool
) -> None:
    from streamcall import llm

    provider = PROVIDERS["anthropic"]
    url = server.route(Reply(body=body_of("anthropic.tool_use.sse")))
    client = provider.make_client(url)
    call = llm.call("anthropic", provider.model, stream=True, tools=provider.tools, client=client)
    if asynchronous:

        @call
        async def ask_async() -> str:
            return "hi"

        async def run() -> tuple[bytes, Any]:
            stream = await ask_async()
            try:
                return b"".join([out async for out in aencode_openai(stream)]), stream
            finally:
                await client.aclose()

        encoded, stream = asyncio.run(run())
    else:

        @call
        def ask() -> str:
            return "hi"

        stream = ask()
        encoded = b"".join(encode_openai(stream))
    client.close()
    assert isinstance(stream, llm.Stream)
    expected = seen(stream)
    assert expected.tool_calls
    check_openai(read_openai(server, encoded), expected)
