"""No stream leaks a file descriptor or a socket, however it ends.

Each test counts the process's open descriptors and sockets (``/proc/self/fd``: the local
servers' sockets are in this process too, so their side is counted and given up to 2 s to
close), runs many streams that end one way (completed, ``break``, closed in the middle, failed
by each fault of the hostile server, cancelled), and checks that, with the client still open,
only its pooled keep-alive connections remain, and that after closing the client the counts are
back where they started. A sync client dropped without ``close()`` and with the cyclic garbage
collector off frees everything by reference counting alone.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from streamcall.errors import StreamcallError
from streamcall.transport.timeouts import Timeouts
from tests.faults.cases import (
    CASES,
    MESSAGES,
    ask_async,
    ask_sync,
    make_client,
    open_fds,
    open_sockets,
    settle,
)
from tests.faults.hostile import Fault, HostileServer, Kind
from tests.replay import ReplayServer, Reply

pytestmark = [
    pytest.mark.timeout(20),
    pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd"),
]

N = 200  # streams per way of ending
N_FAULTS = 40  # streams per fault kind (each opens a connection of its own)
N_TIMEOUTS = 10  # streams per timeout (each waits 50 ms)
POOLED = 2  # descriptors a pooled keep-alive connection holds here: the client's, the server's
PROVIDER = "anthropic"
CASE = CASES[PROVIDER]
FAULTS = [
    Kind.RESET_BEFORE_HEADERS,
    Kind.RESET_MID_HEADERS,
    Kind.RESET_MID_BODY,
    Kind.BAD_CHUNK_SIZE,
    Kind.CHUNK_OVERRUN,
    Kind.NO_TERMINAL_CHUNK,
    Kind.SHORT_CONTENT_LENGTH,
    Kind.GARBAGE_STATUS_LINE,
    Kind.HTTP10_CLOSE,
]


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


class Counts:
    """The open descriptors and sockets when the test started."""

    def __init__(self) -> None:
        gc.collect()
        self.fds = settle(open_fds())
        self.sockets = open_sockets()

    def check(self, extra: int = 0) -> None:
        """Back to the start, but for ``extra`` descriptors (pooled connections)."""
        fds = settle(self.fds + extra)
        sockets = settle(self.sockets + extra, open_sockets)
        assert fds <= self.fds + extra, f"{fds - self.fds} descriptors more than at the start"
        assert sockets <= self.sockets + extra, f"{sockets - self.sockets} sockets more"


def whole(replay: ReplayServer) -> str:
    return replay.route(Reply(body=CASE.body, content_type=CASE.content_type))


def stalled(replay: ReplayServer) -> str:
    """Sends the text and a finished tool call, then holds the connection open."""
    return replay.route(
        Reply(body=CASE.body, content_type=CASE.content_type, stall_after=len(CASE.prefix))
    )


# -- sync -----------------------------------------------------------------------------------


def complete(stream: Any) -> None:
    for _ in stream:
        pass
    assert stream.state == "complete"


def break_early(stream: Any) -> None:
    for _ in stream:
        break
    assert stream.state == "cancelled"


def close_midway(stream: Any) -> None:
    for chunk, _ in stream:
        if chunk.content:
            stream.close()
    assert stream.state == "cancelled"


def fail(ask: Callable[[], Any]) -> None:
    """A call that fails: while sending (no usable response) or while streaming."""
    with pytest.raises(StreamcallError):
        for _ in ask():
            pass


SYNC_ENDINGS: dict[str, tuple[Callable[[ReplayServer], str], Callable[[Any], None]]] = {
    "complete": (whole, complete),
    "break": (stalled, break_early),
    "close": (stalled, close_midway),
}


@pytest.mark.parametrize("ending", sorted(SYNC_ENDINGS))
def test_sync_streams_leak_nothing(replay: ReplayServer, ending: str) -> None:
    route, end = SYNC_ENDINGS[ending]
    url = route(replay)
    counts = Counts()
    with make_client(PROVIDER, url) as client:
        ask = ask_sync(PROVIDER, client)
        for _ in range(N):
            end(ask())
        counts.check(extra=POOLED)  # at most the one pooled connection
    counts.check()


def test_sync_low_level_streams_leak_nothing(replay: ReplayServer) -> None:
    url = stalled(replay)
    counts = Counts()
    with make_client(PROVIDER, url) as client:
        for _ in range(N // 2):
            with client.messages.create(
                model="m", max_tokens=10, messages=MESSAGES, stream=True
            ) as stream:
                for _ in stream:
                    break
            assert stream.closed
        counts.check(extra=POOLED)
    counts.check()


@pytest.mark.parametrize("kind", FAULTS, ids=lambda k: k.name)
def test_failed_streams_leak_nothing(hostile: HostileServer, kind: Kind) -> None:
    url = hostile.route(Fault(kind, body=CASE.prefix, content_type=CASE.content_type, pause=0))
    counts = Counts()
    with make_client(PROVIDER, url) as client:
        ask = ask_sync(PROVIDER, client)
        for _ in range(N_FAULTS):
            fail(ask)
        counts.check()  # a broken connection is never pooled
    counts.check()


@pytest.mark.parametrize("kind", [Kind.STALL, Kind.SILENT], ids=lambda k: k.name)
def test_timed_out_streams_leak_nothing(hostile: HostileServer, kind: Kind) -> None:
    """A stream that stalls (idle) or a call never answered (first byte) times out."""
    body = CASE.prefix if kind is Kind.STALL else b""
    url = hostile.route(Fault(kind, body=body, content_type=CASE.content_type))
    timeouts = Timeouts(connect=1, first_byte=0.05, idle=0.05, total=5)
    counts = Counts()
    with make_client(PROVIDER, url, timeouts=timeouts) as client:
        ask = ask_sync(PROVIDER, client)
        for _ in range(N_TIMEOUTS):
            fail(ask)
        counts.check()
    counts.check()


@pytest.mark.parametrize("ending", sorted(SYNC_ENDINGS))
def test_a_dropped_sync_client_frees_its_streams_without_the_cyclic_gc(
    replay: ReplayServer, ending: str, no_cyclic_gc: None
) -> None:
    route, end = SYNC_ENDINGS[ending]
    url = route(replay)
    counts = Counts()
    for _ in range(N // 10):
        client = make_client(PROVIDER, url)
        end(ask_sync(PROVIDER, client)())
        del client  # never closed: reference counting alone
    counts.check()
    assert gc.isenabled() is False


def test_a_dropped_sync_client_frees_a_failed_stream_without_the_cyclic_gc(
    hostile: HostileServer, no_cyclic_gc: None
) -> None:
    url = hostile.route(
        Fault(Kind.RESET_MID_BODY, body=CASE.prefix, content_type=CASE.content_type, pause=0)
    )
    counts = Counts()
    for _ in range(N // 10):
        client = make_client(PROVIDER, url)
        fail(ask_sync(PROVIDER, client))
        del client
    counts.check()


# -- async ----------------------------------------------------------------------------------


async def acomplete(stream: Any) -> None:
    async for _ in stream:
        pass
    assert stream.state == "complete"


async def abreak(stream: Any) -> None:
    async with stream:
        async for _ in stream:
            break
    assert stream.state == "cancelled"


async def abreak_bare(stream: Any) -> None:
    """``break`` without ``async with``: the event loop finalizes the loop's generator later."""
    async for _ in stream:
        break


async def aclose_midway(stream: Any) -> None:
    async for chunk, _ in stream:
        if chunk.content:
            await stream.aclose()
    assert stream.state == "cancelled"


async def acancel_task(stream: Any) -> None:
    """The task iterating the stream is cancelled while it waits for more (it stalled)."""
    with anyio.move_on_after(0.02) as scope:
        async for _ in stream:
            pass
    assert scope.cancelled_caught
    assert stream.state == "cancelled"


async def afail(ask: Callable[[], Any]) -> None:
    with pytest.raises(StreamcallError):
        async for _ in await ask():
            pass


ASYNC_ENDINGS: dict[str, tuple[Callable[[ReplayServer], str], Callable[[Any], Any], int]] = {
    "complete": (whole, acomplete, N),
    "break": (stalled, abreak, N),
    "break-bare": (stalled, abreak_bare, N // 4),
    "aclose": (stalled, aclose_midway, N),
    "cancel": (stalled, acancel_task, N // 4),  # each waits 20 ms
}


@pytest.mark.anyio
@pytest.mark.parametrize("ending", sorted(ASYNC_ENDINGS))
async def test_async_streams_leak_nothing(replay: ReplayServer, ending: str) -> None:
    route, end, n = ASYNC_ENDINGS[ending]
    url = route(replay)
    counts = Counts()
    async with make_client(PROVIDER, url) as client:
        ask = ask_async(PROVIDER, client)
        for _ in range(n):
            await end(await ask())
        gc.collect()
        await anyio.sleep(0.05)  # the closes the event loop scheduled for finalized generators
        counts.check(extra=POOLED)
    counts.check()


@pytest.mark.anyio
@pytest.mark.parametrize("kind", FAULTS, ids=lambda k: k.name)
async def test_failed_async_streams_leak_nothing(hostile: HostileServer, kind: Kind) -> None:
    url = hostile.route(Fault(kind, body=CASE.prefix, content_type=CASE.content_type, pause=0))
    counts = Counts()
    async with make_client(PROVIDER, url) as client:
        ask = ask_async(PROVIDER, client)
        for _ in range(N_FAULTS // 2):
            await afail(ask)
        counts.check()
    counts.check()
