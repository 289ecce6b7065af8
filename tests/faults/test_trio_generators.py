"""An async stream ended early leaves none of streamcall's async generators to the garbage
collector, on asyncio and on trio (trio reports each one it finalizes, where asyncio closes them
silently): leaving ``async with`` after a ``break`` closes the call layer's loop, and closing a
body loop closes httpx2's body iterator.

One generator is still left, and not by streamcall: httpx2's ``AsyncResponseStream.__aiter__``
iterates httpcore2's ``PoolByteStream.__aiter__`` without closing it when it is closed itself,
so on trio that inner generator is reported (the connection is closed all the same). These
tests record what the interpreter reports instead of failing on it, and check that nothing of
streamcall's is among it.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator

import anyio
import pytest

from tests.faults.cases import MESSAGES, ask_async, make_client
from tests.faults.hostile import Fault, HostileServer, Kind
from tests.faults.test_cancellation import closed_by_client, stall_after_prefix

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(20)]

UPSTREAM = ("PoolByteStream.__aiter__",)
"""Generators httpx2 leaves behind (see the module docstring)."""


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def reported() -> Iterator[list[str]]:
    """What the interpreter reports as unraisable (finalized generators, unclosed sockets)
    while the test runs, as text."""
    seen: list[str] = []
    previous = sys.unraisablehook

    def hook(info: sys.UnraisableHookArgs) -> None:
        seen.append(f"{info.object!r}: {info.exc_value!r}")

    sys.unraisablehook = hook
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = previous


def ours(reported: list[str]) -> list[str]:
    return [line for line in reported if not any(name in line for name in UPSTREAM)]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_a_break_inside_async_with_leaves_no_generator_of_ours(
    hostile: HostileServer, provider: str, reported: list[str]
) -> None:
    url = stall_after_prefix(hostile, provider)
    async with make_client(provider, url) as client:
        stream = await ask_async(provider, client)()
        async with stream:
            async for _ in stream:
                break
        gc.collect()
        await anyio.sleep(0.05)
        assert await closed_by_client(hostile, url)
        assert stream.state == "cancelled"
    gc.collect()
    assert ours(reported) == []


async def test_aclose_midway_leaves_no_generator_of_ours(
    hostile: HostileServer, reported: list[str]
) -> None:
    url = stall_after_prefix(hostile, "openai")
    async with make_client("openai", url) as client:
        stream = await client.chat.completions.create_async(
            model="m", messages=MESSAGES, stream=True
        )
        async for _ in stream:
            await stream.aclose()
        gc.collect()
        await anyio.sleep(0.05)
        assert await closed_by_client(hostile, url)
    gc.collect()
    assert ours(reported) == []


async def test_a_dropped_open_async_stream_is_closed_on_either_loop(
    hostile: HostileServer, reported: list[str]
) -> None:
    """A low-level async stream garbage-collected while open warns (by design: it should have
    been closed) and its connection is closed on the running loop, trio's as asyncio's."""
    url = stall_after_prefix(hostile, "openai")
    async with make_client("openai", url) as client:
        stream = await client.chat.completions.create_async(
            model="m", messages=MESSAGES, stream=True
        )
        await stream.__anext__()
        with pytest.warns(ResourceWarning, match="garbage-collected while open"):
            del stream
            gc.collect()
        assert await closed_by_client(hostile, url)


@pytest.mark.parametrize("wrapper", ["llm", "response_model"])
async def test_a_break_inside_async_with_a_wrapper_leaves_no_generator_of_ours(
    hostile: HostileServer, wrapper: str, reported: list[str]
) -> None:
    """The same through the wrappers of a stream: ``llm.Stream`` and a response model's
    ``StructuredStream`` close their own loop, then the provider stream's, on leaving."""
    from pydantic import BaseModel

    from streamcall import llm

    class Weather(BaseModel):
        city: str

    if wrapper == "llm":
        url = stall_after_prefix(hostile, "openai")
    else:  # a partial Weather, then nothing
        call = {"index": 0, "id": "call_1", "type": "function"}
        call["function"] = {"name": "Weather", "arguments": '{"city": "Lis'}
        delta = {"role": "assistant", "tool_calls": [call]}
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
        chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
        body = b"data: " + json.dumps(chunk).encode() + b"\n\n"
        url = hostile.route(Fault(Kind.STALL, body=body, content_type="text/event-stream"))
    async with make_client("openai", url) as client:
        if wrapper == "llm":
            decorator = llm.call(provider="openai", model="m", stream=True, client=client)
        else:
            decorator = llm.call(
                provider="openai", model="m", stream=True, client=client, response_model=Weather
            )

        @decorator
        async def ask() -> str:
            return "The weather in Lisbon?"

        stream = await ask()
        async with stream:
            async for _ in stream:
                break
        gc.collect()
        await anyio.sleep(0.05)
        assert stream.state == "cancelled"
    gc.collect()
    assert ours(reported) == []
