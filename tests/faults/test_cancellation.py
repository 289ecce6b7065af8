"""Cancellation on asyncio and on trio: a cancelled stream lets go of its connection at once.

Every test runs on both event loops (anyio). A task iterating a stream that stalled is
cancelled (a deadline scope, or another task cancelling it): the server sees the connection
closed within a second, the stream says ``cancelled`` and keeps what arrived, and no descriptor
is left open. The same for a call cancelled while it waits for the status line, and for a
stream's idle timeout in the middle of an async stream. An async client works under trio at
all: a plain streamed call completes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from streamcall.errors import StreamTimeoutError
from streamcall.transport.timeouts import Timeouts
from tests.faults.cases import (
    CASES,
    MESSAGES,
    ask_async,
    make_client,
    open_fds,
)
from tests.faults.hostile import Fault, HostileServer, Kind

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(20)]

CLOSE_BOUND = 1.0  # seconds for the server to see the client's close
PROVIDERS = ["anthropic", "openai", "ollama"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


async def closed_by_client(server: HostileServer, url: str, within: float = CLOSE_BOUND) -> bool:
    """Whether the server saw the client close the connection within ``within`` seconds
    (polled without blocking the event loop: a close may need it to run)."""
    end = time.monotonic() + within
    while not server.client_closed(url, 0):
        if time.monotonic() > end:
            return False
        await anyio.sleep(0.01)
    return True


async def settled_fds(expected: int, within: float = 2.0) -> int:
    end = time.monotonic() + within
    while (now := open_fds()) > expected and time.monotonic() < end:
        await anyio.sleep(0.01)
    return now


def stall_after_prefix(server: HostileServer, provider: str) -> str:
    case = CASES[provider]
    return server.route(Fault(Kind.STALL, body=case.prefix, content_type=case.content_type))


def whole(server: HostileServer, provider: str) -> str:
    case = CASES[provider]
    return server.route(Fault(Kind.FINE, body=case.body, content_type=case.content_type))


def check_kept(stream: Any, provider: str, text: str) -> None:
    case = CASES[provider]
    assert text == stream.content == case.text
    assert [call.name for call in stream.tool_calls] == list(case.tools)
    assert stream.construct_call_response().content == case.text


# -- an async client at all -----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_streamed_call_completes(hostile: HostileServer, provider: str) -> None:
    url = whole(hostile, provider)
    async with make_client(provider, url) as client:
        stream = await ask_async(provider, client)()
        text = ""
        async for chunk, _ in stream:
            text += chunk.content if chunk is not None else ""
    assert stream.state == "complete"
    assert text == stream.content
    assert stream.finish_reasons


async def test_a_low_level_stream_completes(hostile: HostileServer) -> None:
    url = whole(hostile, "openai")
    async with make_client("openai", url) as client:
        async with await client.chat.completions.create_async(
            model="m", messages=MESSAGES, stream=True
        ) as stream:
            events = [event async for event in stream]
        assert stream.closed
    assert len(events) == len(CASES["openai"].events) - 1  # all but [DONE]


# -- cancelling the task that iterates ------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_deadline_scope_cancels_a_stalled_stream(
    hostile: HostileServer, provider: str
) -> None:
    url = stall_after_prefix(hostile, provider)
    before = open_fds()
    async with make_client(provider, url) as client:
        stream = await ask_async(provider, client)()
        text = ""
        started = time.monotonic()
        with anyio.move_on_after(0.2) as scope:
            async for chunk, _ in stream:
                text += chunk.content if chunk is not None else ""
        assert scope.cancelled_caught
        assert time.monotonic() - started < 0.2 + CLOSE_BOUND
        assert await closed_by_client(hostile, url)
        assert stream.state == "cancelled"
        check_kept(stream, provider, text)
    assert await settled_fds(before) <= before


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_another_task_cancels_the_iterating_task(
    hostile: HostileServer, provider: str
) -> None:
    url = stall_after_prefix(hostile, provider)
    before = open_fds()
    received = anyio.Event()
    async with make_client(provider, url) as client:
        stream = await ask_async(provider, client)()

        async def consume() -> None:
            async for chunk, _ in stream:
                if chunk is not None and (chunk.content or CASES[provider].tools):
                    received.set()

        async with anyio.create_task_group() as group:
            group.start_soon(consume)
            await received.wait()
            await anyio.sleep(0.05)  # the consumer now waits for bytes that never come
            group.cancel_scope.cancel()
        assert await closed_by_client(hostile, url)
        assert stream.state == "cancelled"
        check_kept(stream, provider, stream.content)
    assert await settled_fds(before) <= before


async def test_a_call_cancelled_before_the_status_line(hostile: HostileServer) -> None:
    url = hostile.route(Fault(Kind.SILENT))
    before = open_fds()
    async with make_client("anthropic", url) as client:
        started = time.monotonic()
        with anyio.move_on_after(0.2) as scope:
            await ask_async("anthropic", client)()
        assert scope.cancelled_caught
        assert time.monotonic() - started < 0.2 + CLOSE_BOUND
        assert await closed_by_client(hostile, url)
    assert await settled_fds(before) <= before


async def test_a_low_level_stream_cancelled_midway(hostile: HostileServer) -> None:
    url = stall_after_prefix(hostile, "openai")
    async with make_client("openai", url) as client:
        stream = await client.chat.completions.create_async(
            model="m", messages=MESSAGES, stream=True
        )
        events = 0
        with anyio.move_on_after(0.2):
            async with stream:
                async for _ in stream:
                    events += 1
        assert stream.closed
        assert events == len(CASES["openai"].prefix.split(b"\n\n")) - 1
        assert await closed_by_client(hostile, url)


# -- a timeout in the middle ----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_idle_timeout_in_the_middle_of_an_async_stream(
    hostile: HostileServer, provider: str
) -> None:
    url = stall_after_prefix(hostile, provider)
    timeouts = Timeouts(connect=2, first_byte=2, idle=0.3, total=10)
    before = open_fds()
    async with make_client(provider, url, timeouts=timeouts) as client:
        stream = await ask_async(provider, client)()
        text = ""
        started = time.monotonic()
        with pytest.raises(StreamTimeoutError) as raised:
            async for chunk, _ in stream:
                text += chunk.content if chunk is not None else ""
        assert 0.3 <= time.monotonic() - started < 0.3 + CLOSE_BOUND
        assert raised.value.kind == "idle"
        assert stream.state == "failed"
        check_kept(stream, provider, text)
        assert await closed_by_client(hostile, url)
    assert await settled_fds(before) <= before


async def test_a_total_deadline_in_the_middle_of_an_async_stream(hostile: HostileServer) -> None:
    url = stall_after_prefix(hostile, "anthropic")
    timeouts = Timeouts(connect=2, first_byte=2, idle=5, total=0.4)
    async with make_client("anthropic", url, timeouts=timeouts) as client:
        stream = await ask_async("anthropic", client)()
        with pytest.raises(StreamTimeoutError) as raised:
            async for _ in stream:
                pass
        assert raised.value.kind == "total"
        check_kept(stream, "anthropic", stream.content)
        assert await closed_by_client(hostile, url)


# -- ending early without an exception --------------------------------------------------------
# `break` inside `async with`, `aclose()` midway and a dropped open stream are checked on both
# loops in faults/test_trio_generators.py. A bare `break` leaves the loop's generator to the
# event loop's finalizer: asyncio closes it silently, trio closes it and warns (as it does for
# any async generator not closed explicitly), so this one runs on asyncio only.
ASYNCIO_ONLY = pytest.mark.parametrize("anyio_backend", ["asyncio"])


@ASYNCIO_ONLY
@pytest.mark.parametrize("provider", ["anthropic", "openai"])
async def test_a_break_without_async_with_closes_the_connection(
    hostile: HostileServer, provider: str
) -> None:
    """The loop's generator is finalized by the event loop (asyncio's or trio's hooks)."""
    url = stall_after_prefix(hostile, provider)
    async with make_client(provider, url) as client:
        stream = await ask_async(provider, client)()
        async for _ in stream:
            break
        gc.collect()
        assert await closed_by_client(hostile, url)
        assert stream.state == "cancelled"
