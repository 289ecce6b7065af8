"""A stalled stream fails within about a minute by default, whatever the server sends.

Each limit of ``Timeouts`` against the server it protects from: one that never answers (the
first-byte budget of the whole call, retries included), one that goes silent (``idle``: any
bytes count), one that drips bytes or sends only keep-alive comments (``progress``: only a
complete event counts), and a legitimate long stream that keeps sending events, which no
default cuts (``total`` is off). The defaults are checked on the pure policy with a fake clock;
the behaviour against the local hostile server with small limits. Also: a kept-alive
connection the server has closed costs a reconnect, not a backoff.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage
from streamcall.errors import APIConnectionError, APIStatusError, StreamTimeoutError
from streamcall.transport import RetryPolicy, Timeouts
from streamcall.transport.timeouts import DEFAULT_TIMEOUTS, Deadline
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import fixtures

TEXT = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
EVENTS = [e + b"\n\n" for e in TEXT.body.split(b"\n\n") if e.strip()]
"""The fixture's SSE events: a role event, content events, a finish event, ``[DONE]``."""
MESSAGES = [UserMessage(content="hi")]
FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
SLOW_RETRY = RetryPolicy(initial_delay=1.0, jitter=0.0)
"""A backoff long enough that a reconnect without one is unmistakable."""
LONG = EVENTS[0] + EVENTS[1] * 10 + EVENTS[-2] + EVENTS[-1]
"""A longer stream: 12 events (the last one finishes the answer) and ``[DONE]``."""
KEEP_ALIVE = b": keep-alive\n\n"
# Small limits for the live tests: the first event is due within max(first_byte, progress).
SMALL = Timeouts(connect=2, first_byte=0.5, idle=0.3, progress=0.5)


def client_for(url: str, timeouts: Timeouts = SMALL, retries: int | RetryPolicy = 0) -> Mistral:
    return Mistral(api_key="k", server_url=url, timeouts=timeouts, retries=retries)


def read_all(client: Mistral, seen: list[Any] | None = None) -> list[Any]:
    seen = [] if seen is None else seen
    with client.chat.stream("m", MESSAGES) as stream:
        seen.extend(stream)
    return seen


async def read_all_async(client: Mistral, seen: list[Any] | None = None) -> list[Any]:
    seen = [] if seen is None else seen
    async with await client.chat.stream_async("m", MESSAGES) as stream:
        async for event in stream:
            seen.append(event)
    return seen


def timed_out(client: Mistral, seen: list[Any] | None = None) -> tuple[StreamTimeoutError, float]:
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        read_all(client, seen)
    return info.value, time.monotonic() - start


async def timed_out_async(
    client: Mistral, seen: list[Any] | None = None
) -> tuple[StreamTimeoutError, float]:
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        await read_all_async(client, seen)
    return info.value, time.monotonic() - start


# -- the default limits, on the pure policy with a fake clock ---------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def stall(
    timeouts: Timeouts,
    *,
    body_at: float | None,
    every: float,
    event_every: int = 0,
    caller: float = 0.0,
    horizon: float = 3600.0,
) -> tuple[float | None, str]:
    """When a call under ``timeouts`` fails, counted from its start, and which limit fails it
    (``None``: it runs to the horizon), against a server whose body starts at ``body_at``
    (``None``: never) and then sends something every ``every`` seconds: a complete event on
    every ``event_every``-th read (0: never; a byte or a keep-alive comment otherwise). After
    each event the caller spends ``caller`` seconds before reading on."""
    clock = Clock()
    start = clock.now
    deadline = Deadline(timeouts, clock=clock)
    budget = deadline.read_budget()
    if body_at is None or (budget is not None and budget <= body_at):
        return (None, "") if budget is None else (budget, deadline.tripped)
    clock.now += body_at
    deadline.body_started()
    deadline.read_ended([])  # the first body bytes: a keep-alive, not an event
    reads = 0
    while clock.now - start < horizon:
        budget = deadline.read_budget()
        if budget is not None and budget <= every:
            return clock.now + budget - start, deadline.tripped
        clock.now += every
        reads += 1
        event = bool(event_every) and reads % event_every == 0
        deadline.read_ended([object()] if event else [])
        if event:
            clock.now += caller
    return None, ""


def test_the_defaults() -> None:
    assert (
        Timeouts(connect=10, first_byte=60, idle=30, total=None, progress=60, whole=600)
        == DEFAULT_TIMEOUTS
    )


@pytest.mark.parametrize(
    ("server_does", "body_at", "every", "fails_at", "kind"),
    [
        ("never answers", None, 1.0, 60.0, "first_byte"),
        ("drips a byte every 5 s", 0.5, 5.0, 60.0, "progress"),
        ("sends only keep-alive comments, every 15 s", 0.5, 15.0, 60.0, "progress"),
        ("sends its first keep-alive late, then more", 59.0, 15.0, 60.0, "progress"),
        ("sends headers and one keep-alive, then nothing", 1.0, 3600.0, 31.0, "idle"),
    ],
)
def test_default_limits_fail_a_stalled_stream_within_a_minute(
    server_does: str, body_at: float | None, every: float, fails_at: float, kind: str
) -> None:
    assert stall(DEFAULT_TIMEOUTS, body_at=body_at, every=every) == (fails_at, kind), server_does


def test_default_limits_never_cut_a_stream_that_keeps_sending_events() -> None:
    # An hour of events every 20 s, with keep-alives every 5 s between them, and a caller that
    # spends two minutes on each event: nothing fires (no total by default; caller time is not
    # read time).
    assert stall(DEFAULT_TIMEOUTS, body_at=2.0, every=20.0, event_every=1) == (None, "")
    assert stall(DEFAULT_TIMEOUTS, body_at=2.0, every=5.0, event_every=4) == (None, "")
    assert stall(DEFAULT_TIMEOUTS, body_at=2.0, every=1.0, event_every=1, caller=120.0) == (
        None,
        "",
    )
    # ...but events further apart than the progress limit, keep-alives between them, fail.
    assert stall(DEFAULT_TIMEOUTS, body_at=2.0, every=10.0, event_every=7)[1] == "progress"


def test_an_explicit_total_still_caps_a_long_stream() -> None:
    timeouts = Timeouts(total=600)
    assert stall(timeouts, body_at=2.0, every=20.0, event_every=1) == (600.0, "total")


def test_the_first_byte_budget_is_the_calls_across_attempts() -> None:
    clock = Clock()
    deadline = Deadline(DEFAULT_TIMEOUTS, clock=clock)
    clock.now += 50  # a first attempt failed after 50 s (a 503 after a long wait)
    deadline.new_attempt()
    assert deadline.read_budget() == 10.0
    assert deadline.tripped == "first_byte"
    assert deadline.start_remaining() == 10.0


def test_whole_calls_wait_for_their_body_under_whole_without_a_progress_limit() -> None:
    client = Mistral(api_key="k", server_url="http://127.0.0.1:1")
    whole = client.call_config(stream=False).timeouts
    assert (whole.first_byte, whole.progress, whole.total) == (600, None, None)
    streamed = client.call_config(stream=True).timeouts
    assert (streamed.first_byte, streamed.progress, streamed.total) == (60, 60, None)
    capped = client.call_config(stream=False, timeout_ms=5000).timeouts
    assert capped.total == 5.0  # an SDK-style timeout_ms is the total: it caps the whole wait


def test_progress_must_be_positive() -> None:
    with pytest.raises(ValueError, match="progress"):
        Timeouts(progress=0)
    with pytest.raises(ValueError, match="whole"):
        Timeouts(whole=-1)


# -- what each limit counts, against the local server: sync -----------------------------------


def test_a_drip_fails_at_the_progress_limit(server: ReplayServer) -> None:
    # A byte every 20 ms: never silent for the idle limit, but no event completes in time.
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.fixed(1), delay=0.02))
    error, elapsed = timed_out(client_for(url))
    assert error.kind == "progress"
    assert error.timeout == 0.5
    assert "Timeouts.progress" in str(error)
    assert 0.4 < elapsed < 1.5


def test_keep_alive_comments_and_blank_lines_are_not_progress(server: ReplayServer) -> None:
    url = server.route(
        Reply(body=(KEEP_ALIVE + b"\n") * 40, chunking=Chunking.events(b"\n"), delay=0.05)
    )
    error, elapsed = timed_out(client_for(url))
    assert error.kind == "progress"
    assert 0.4 < elapsed < 1.5


def test_progress_counts_from_the_last_event(server: ReplayServer) -> None:
    # Two events, then keep-alives only: the events arrive, then the stream fails.
    body = EVENTS[0] + EVENTS[1] + KEEP_ALIVE * 40
    url = server.route(Reply(body=body, chunking=Chunking.events(), delay=0.05))
    seen: list[Any] = []
    error, elapsed = timed_out(client_for(url), seen)
    assert error.kind == "progress"
    assert len(seen) == 2
    assert elapsed < 1.5


def test_a_keep_alive_ends_the_first_byte_wait_and_idle_counts_any_bytes(
    server: ReplayServer,
) -> None:
    # A keep-alive at once, the first event 0.8 s later: past first_byte (0.5 s), which the
    # keep-alive ended; within progress (1.2 s).
    body = KEEP_ALIVE + TEXT.body
    url = server.route(
        Reply(body=body, chunking=Chunking.fixed(len(KEEP_ALIVE), len(TEXT.body)), delay=0.8)
    )
    timeouts = Timeouts(first_byte=0.5, idle=1.0, progress=1.2)
    assert len(read_all(client_for(url, timeouts))) == len(EVENTS) - 1
    # Keep-alives every 0.1 s keep an idle limit of 0.3 s from firing for 1 s.
    body = KEEP_ALIVE * 10 + TEXT.body
    pieces = Chunking.fixed(*[len(KEEP_ALIVE)] * 10, len(TEXT.body))
    url = server.route(Reply(body=body, chunking=pieces, delay=0.1))
    timeouts = Timeouts(first_byte=0.5, idle=0.3, progress=3)
    assert len(read_all(client_for(url, timeouts))) == len(EVENTS) - 1


def test_a_server_that_never_answers_fails_within_first_byte_across_retries(
    server: ReplayServer,
) -> None:
    url = server.route(Reply(body=TEXT.body, headers_delay=3.0))
    error, elapsed = timed_out(client_for(url, retries=FAST_RETRY))
    assert error.kind == "first_byte"
    assert elapsed < 1.0  # not three attempts of 0.5 s
    assert len(server.requests(url)) == 1


def test_quick_failures_are_retried_within_the_first_byte_budget(server: ReplayServer) -> None:
    failing = Reply(status=503, body=b"{}", content_type="application/json")
    url = server.route(failing, failing, Reply(body=TEXT.body))
    timeouts = Timeouts(first_byte=1.0, idle=0.5, progress=1.0)
    assert len(read_all(client_for(url, timeouts, FAST_RETRY))) == len(EVENTS) - 1
    assert len(server.requests(url)) == 3
    # A backoff that would end past the budget is not slept: the status error comes at once.
    later = Reply(
        status=503, body=b"{}", content_type="application/json", headers={"Retry-After": "5"}
    )
    url = server.route(later, Reply(body=TEXT.body))
    start = time.monotonic()
    with pytest.raises(APIStatusError):
        read_all(client_for(url, timeouts, FAST_RETRY))
    assert time.monotonic() - start < 0.5
    assert len(server.requests(url)) == 1


def test_a_stream_that_keeps_sending_events_is_not_cut(server: ReplayServer) -> None:
    # 12 events and [DONE] 0.2 s apart: 2.4 s, far past progress, idle and first_byte.
    body = LONG
    url = server.route(Reply(body=body, chunking=Chunking.events(), delay=0.2))
    timeouts = Timeouts(first_byte=0.5, idle=0.6, progress=0.7)
    assert len(read_all(client_for(url, timeouts))) == 12


def test_time_the_caller_spends_is_not_counted(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.events(), delay=0.02))
    seen = []
    with client_for(url).chat.stream("m", MESSAGES) as stream:
        for event in stream:
            if not seen:
                time.sleep(0.8)  # longer than progress and idle: not a stall of the stream
            seen.append(event)
    assert len(seen) == len(EVENTS) - 1


# -- a kept-alive connection the server closed: reconnect at once -----------------------------


def stale_route(server: ReplayServer, *after: Reply) -> str:
    """A route whose second request meets a server closing its kept-alive connection."""
    return server.route(Reply(body=TEXT.body), Reply(hang_up=True), *after)


def test_a_stale_kept_alive_connection_is_replaced_at_once(server: ReplayServer) -> None:
    url = stale_route(server, Reply(body=TEXT.body))
    client = client_for(url, Timeouts(), retries=SLOW_RETRY)
    read_all(client)
    start = time.monotonic()
    assert len(read_all(client)) == len(EVENTS) - 1
    assert time.monotonic() - start < 0.5  # no backoff (1 s; the default's is ~0.4 s)
    assert len(server.requests(url)) == 3
    assert server.connections(url) == 2


def test_the_reconnect_is_not_a_retry_and_happens_once(server: ReplayServer) -> None:
    url = stale_route(server, Reply(body=TEXT.body))
    client = client_for(url, Timeouts(), retries=0)  # no retries: still reconnected
    read_all(client)
    assert len(read_all(client)) == len(EVENTS) - 1
    # Hung up on again, on the new connection: that is a failure (no retries allowed here).
    url = stale_route(server, Reply(hang_up=True), Reply(body=TEXT.body))
    client = client_for(url, Timeouts(), retries=0)
    read_all(client)
    with pytest.raises(APIConnectionError):
        read_all(client)
    assert len(server.requests(url)) == 3
    # A new connection hung up on is not a stale one: no reconnect without retries.
    url = server.route(Reply(hang_up=True), Reply(body=TEXT.body))
    with pytest.raises(APIConnectionError):
        read_all(client_for(url, Timeouts(), retries=0))
    assert len(server.requests(url)) == 1


# -- async -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_drip_and_keep_alive_fail_at_the_progress_limit(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.fixed(1), delay=0.02))
    client = client_for(url)
    error, elapsed = await timed_out_async(client)
    assert (error.kind, error.timeout) == ("progress", 0.5)
    assert 0.4 < elapsed < 1.5
    body = EVENTS[0] + KEEP_ALIVE * 40
    url = server.route(Reply(body=body, chunking=Chunking.events(), delay=0.05))
    seen: list[Any] = []
    error, elapsed = await timed_out_async(client_for(url), seen)
    assert error.kind == "progress"
    assert len(seen) == 1
    assert elapsed < 1.5
    await client.aclose()


@pytest.mark.anyio
async def test_async_never_answering_server_fails_within_first_byte(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, headers_delay=3.0))
    client = client_for(url, retries=FAST_RETRY)
    error, elapsed = await timed_out_async(client)
    assert error.kind == "first_byte"
    assert elapsed < 1.0
    assert len(server.requests(url)) == 1
    await client.aclose()


@pytest.mark.anyio
async def test_async_stream_that_keeps_sending_events_is_not_cut(server: ReplayServer) -> None:
    body = LONG
    url = server.route(Reply(body=body, chunking=Chunking.events(), delay=0.2))
    client = client_for(url, Timeouts(first_byte=0.5, idle=0.6, progress=0.7))
    seen: list[Any] = []
    async with await client.chat.stream_async("m", MESSAGES) as stream:
        async for event in stream:
            if len(seen) == 1:
                await asyncio.sleep(0.8)  # the caller's time: not counted
            seen.append(event)
    assert len(seen) == 12
    await client.aclose()


@pytest.mark.anyio
async def test_async_stale_kept_alive_connection_is_replaced_at_once(
    server: ReplayServer,
) -> None:
    url = stale_route(server, Reply(body=TEXT.body))
    client = client_for(url, Timeouts(), retries=SLOW_RETRY)
    await read_all_async(client)
    start = time.monotonic()
    assert len(await read_all_async(client)) == len(EVENTS) - 1
    assert time.monotonic() - start < 0.5
    assert server.connections(url) == 2
    await client.aclose()
