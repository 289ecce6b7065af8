"""The Vercel encoder calling the stream's tools (``call_tools=True``): each finished call's
``tool-input-available`` is followed by its tool's ``tool-output-available`` (or
``tool-output-error``, and the stream goes on), sync and async; and ``is_async``, the public
way the edges tell an async stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from streamcall.encoders import VercelEncoder, aencode, aencode_vercel, encode, encode_vercel
from streamcall.encoders.starlette import _is_async
from tests.conformance.harness import PROVIDERS
from tests.replay import ReplayServer, Reply
from tests.test_encoders import body_of

TOOL_CASES = [
    ("openai", "openai_chat.tools_parallel.sse"),
    ("anthropic", "anthropic.tool_use.sse"),
    ("gemini", "gemini.function_call.sse"),
    ("openai-responses", "openai_responses.tools.sse"),
]
WEATHER = {"city": "Lisbon", "degrees": 21, "unit": "celsius"}
NO_BOOK = "no book 'One Hundred Years of Solitude'"


def get_weather(city: str, unit: str = "celsius") -> dict[str, Any]:
    """Current weather for a city."""
    return {"city": city, "degrees": 21, "unit": unit}


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    raise LookupError(f"no book {title!r}")


def async_tools() -> list[Callable[..., Any]]:
    async def get_weather(city: str, unit: str = "celsius") -> dict[str, Any]:
        """Current weather for a city."""
        await asyncio.sleep(0)
        return {"city": city, "degrees": 21, "unit": unit}

    async def format_book(title: str, author: str, year: int) -> str:
        """Format a book reference."""
        await asyncio.sleep(0)
        raise LookupError(f"no book {title!r}")

    return [get_weather, format_book]


def parts(encoded: bytes) -> list[dict[str, Any]]:
    events = [e.removeprefix(b"data: ") for e in encoded.split(b"\n\n") if e]
    assert events[-1] == b"[DONE]"
    return [json.loads(e) for e in events[:-1]]


def run_calling(
    server: ReplayServer,
    key: str,
    fixture: str,
    *,
    tools: list[Any] | None = None,
    asynchronous: bool = False,
    call_tools: bool = True,
) -> tuple[bytes, Any]:
    """``fixture`` through the call layer of ``key`` with ``tools`` (default: the sync test
    tools), encoded as a UI message stream that calls them; the bytes and the stream."""
    provider = PROVIDERS[key]
    url = server.route(Reply(body=body_of(fixture), content_type=provider.content_type))
    client = provider.make_client(url)
    if asynchronous:
        made = provider.decorator(
            provider.model, stream=True, tools=tools or async_tools(), client=client
        )

        async def ask_async() -> str:
            return "Use the tools."

        async def run() -> tuple[bytes, Any]:
            stream = await made(ask_async)()
            try:
                out = b"".join([p async for p in aencode_vercel(stream, call_tools=call_tools)])
            finally:
                await client.aclose()
            return out, stream

        encoded, stream = asyncio.run(run())
    else:
        made = provider.decorator(
            provider.model, stream=True, tools=tools or [get_weather, format_book], client=client
        )

        def ask() -> str:
            return "Use the tools."

        stream = made(ask)()
        encoded = b"".join(encode_vercel(stream, call_tools=call_tools))
    client.close()
    return encoded, stream


def check_outputs(encoded: bytes, stream: Any) -> None:
    """Each call's input, then its output (or its error); the stream went on to its end."""
    got = parts(encoded)
    ids = [call.id for call in stream.tool_calls]
    kinds = [p["type"] for p in got]
    for call_id in ids:
        ours = [p for p in got if p.get("toolCallId") == call_id]
        assert [p["type"] for p in ours][-2:-1] == ["tool-input-available"]
    weather, book = (
        next(p for p in got if p.get("toolCallId") == i and "output" in p["type"]) for i in ids
    )
    assert weather == {"type": "tool-output-available", "toolCallId": ids[0], "output": WEATHER}
    assert book == {"type": "tool-output-error", "toolCallId": ids[1], "errorText": NO_BOOK}
    assert kinds[-2:] == ["finish-step", "finish"]
    assert got[-1]["finishReason"] == "tool-calls"
    assert stream.state == "complete"


@pytest.mark.parametrize(("key", "fixture"), TOOL_CASES, ids=[f for _, f in TOOL_CASES])
def test_sync_tools_are_called_and_their_outputs_sent(
    server: ReplayServer, key: str, fixture: str
) -> None:
    encoded, stream = run_calling(server, key, fixture)
    check_outputs(encoded, stream)
    assert not stream.is_async


@pytest.mark.parametrize(("key", "fixture"), TOOL_CASES, ids=[f for _, f in TOOL_CASES])
def test_async_tools_are_awaited_by_the_async_edge(
    server: ReplayServer, key: str, fixture: str
) -> None:
    encoded, stream = run_calling(server, key, fixture, asynchronous=True)
    check_outputs(encoded, stream)
    assert stream.is_async


def test_sync_tools_in_an_async_stream(server: ReplayServer) -> None:
    encoded, stream = run_calling(
        server,
        "anthropic",
        "anthropic.tool_use.sse",
        tools=[get_weather, format_book],
        asynchronous=True,
    )
    check_outputs(encoded, stream)


def test_an_async_tool_in_a_sync_stream_is_a_tool_error(server: ReplayServer) -> None:
    encoded, stream = run_calling(
        server, "openai", "openai_chat.tools_parallel.sse", tools=async_tools()
    )
    errors = [p for p in parts(encoded) if p["type"] == "tool-output-error"]
    assert [p["toolCallId"] for p in errors] == [call.id for call in stream.tool_calls]
    assert all("async edge" in p["errorText"] for p in errors)
    assert stream.state == "complete"


def test_an_output_that_is_not_json_is_a_tool_error(server: ReplayServer) -> None:
    def get_weather(city: str, unit: str = "celsius") -> object:
        """Current weather for a city."""
        return object()

    encoded, _ = run_calling(
        server, "openai", "openai_chat.tools_parallel.sse", tools=[get_weather, format_book]
    )
    errors = [p["errorText"] for p in parts(encoded) if p["type"] == "tool-output-error"]
    assert errors[0].startswith("the tool's output is not JSON")
    assert errors[1] == NO_BOOK


def test_tools_are_not_called_unless_asked(server: ReplayServer) -> None:
    called: list[str] = []

    def get_weather(city: str, unit: str = "celsius") -> str:
        """Current weather for a city."""
        called.append(city)
        return "sunny"

    encoded, _ = run_calling(
        server,
        "openai",
        "openai_chat.tools_parallel.sse",
        tools=[get_weather, format_book],
        call_tools=False,
    )
    assert called == []
    assert not any("output" in p["type"] for p in parts(encoded))


def test_the_generic_edges_call_tools_for_an_encoder_that_does(server: ReplayServer) -> None:
    """``encode`` / ``aencode`` (what ``streaming_response`` drives) with the encoder given."""
    from streamcall import llm

    provider = PROVIDERS["openai"]
    url = server.route(
        Reply(body=body_of("openai_chat.tools_parallel.sse"), content_type=provider.content_type)
    )
    client = provider.make_client(url)

    @llm.call(
        "openai", provider.model, stream=True, tools=[get_weather, format_book], client=client
    )
    def ask() -> str:
        return "Use the tools."

    stream = ask()
    assert not stream.is_async
    check_outputs(b"".join(encode(stream, VercelEncoder(call_tools=True))), stream)
    client.close()

    @llm.call("openai", provider.model, stream=True, tools=async_tools(), client=client)
    async def ask_async() -> str:
        return "Use the tools."

    async def run() -> tuple[bytes, Any]:
        stream = await ask_async()
        assert stream.is_async
        try:
            out = b"".join([p async for p in aencode(stream, VercelEncoder(call_tools=True))])
        finally:
            await client.aclose()
        return out, stream

    check_outputs(*asyncio.run(run()))


class _Wrapper:
    """A stream wrapper of one's own: only ``is_async`` says how to drive it."""

    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async


def test_the_edges_tell_an_async_stream_by_is_async(server: ReplayServer) -> None:
    assert _is_async(_Wrapper(True))
    assert not _is_async(_Wrapper(False))
    inner = _Wrapper(True)
    outer = type("Outer", (), {"stream": inner})()
    assert _is_async(outer)  # a wrapper without it: the stream it wraps says
