"""``Timeouts.first_byte`` runs until the response *body* starts; the headers do not end it.

Streaming servers (llama.cpp, vLLM, anything behind a proxy) send the headers at once and the
first token seconds later. The replay server's ``body_delay`` does exactly that.
"""

from __future__ import annotations

import time

import pytest

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage
from streamcall.errors import StreamTimeoutError
from streamcall.transport import RetryPolicy, Timeouts
from streamcall.transport.timeouts import Deadline
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import fixtures

TEXT = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
MESSAGES = [UserMessage(content="hi")]
FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
WHOLE = (
    b'{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
)


def client_for(url: str, timeouts: Timeouts, retries: int | RetryPolicy = 0) -> Mistral:
    return Mistral(api_key="k", server_url=url, timeouts=timeouts, retries=retries)


def text_of(client: Mistral) -> str:
    with client.chat.stream("m", MESSAGES) as stream:
        return "".join(c for e in stream if isinstance(c := e.data.choices[0].delta.content, str))


async def text_of_async(client: Mistral) -> str:
    async with await client.chat.stream_async("m", MESSAGES) as stream:
        return "".join(
            [c async for e in stream if isinstance(c := e.data.choices[0].delta.content, str)]
        )


# -- the policy -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def budget(deadline: Deadline) -> tuple[float | None, str]:
    """The next read's budget and the limit it comes from."""
    return deadline.read_budget(), deadline.tripped


def test_deadline_waits_for_the_body_under_first_byte_then_idle() -> None:
    clock = Clock()
    deadline = Deadline(Timeouts(first_byte=10, idle=2, total=100), clock=clock)
    clock.now += 3  # the headers arrived: nothing changes, the budget is still first-byte
    assert budget(deadline) == (7.0, "first_byte")
    deadline.body_started()
    clock.now += 1
    assert budget(deadline) == (2.0, "idle")
    deadline.new_attempt()  # a retry waits for a first body byte again, within the call's
    assert budget(deadline) == (6.0, "first_byte")  # budget: 10 s from the call's start
    clock.now += 9.5  # the total caps the first-byte wait
    deadline = Deadline(Timeouts(first_byte=10, idle=2, total=4), clock=clock)
    assert budget(deadline) == (4.0, "total")


# -- headers at once, body later: sync --------------------------------------------------------


def test_body_after_the_idle_limit_but_within_first_byte_succeeds(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, body_delay=1.0))
    client = client_for(url, Timeouts(first_byte=1.5, idle=0.5))
    assert text_of(client) == TEXT.expected["text"]
    client.close()


def test_body_later_than_first_byte_times_out_at_first_byte(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, body_delay=1.5))
    client = client_for(url, Timeouts(first_byte=0.5, idle=5))
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError, match="first byte") as info:
        text_of(client)
    elapsed = time.monotonic() - start
    assert info.value.kind == "first_byte"
    assert info.value.timeout == 0.5
    assert 0.45 < elapsed < 1.2
    client.close()


def test_first_byte_counts_from_the_request_not_from_the_headers(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, headers_delay=0.4, body_delay=0.4))
    client = client_for(url, Timeouts(first_byte=0.6, idle=5))
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        text_of(client)
    assert info.value.kind == "first_byte"
    assert time.monotonic() - start < 0.75
    slow_headers = server.route(Reply(body=TEXT.body, headers_delay=0.3, body_delay=0.3))
    client = client_for(slow_headers, Timeouts(first_byte=1.5, idle=0.2))
    assert text_of(client) == TEXT.expected["text"]
    client.close()


def test_a_silent_body_uses_the_calls_first_byte_budget(server: ReplayServer) -> None:
    # The first-byte wait is the call's budget, not one per attempt: a silent attempt that
    # used it up is not retried; a quick failure before it is.
    url = server.route(Reply(body=TEXT.body, body_delay=1.0), Reply(body=TEXT.body))
    client = client_for(url, Timeouts(first_byte=0.3, idle=5), retries=FAST_RETRY)
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        text_of(client)
    assert info.value.kind == "first_byte"
    assert time.monotonic() - start < 0.8
    assert len(server.requests(url)) == 1
    quick = server.route(Reply(status=503, body=b"{}"), Reply(body=TEXT.body, body_delay=0.1))
    client = client_for(quick, Timeouts(first_byte=1.0, idle=5), retries=FAST_RETRY)
    assert text_of(client) == TEXT.expected["text"]
    assert len(server.requests(quick)) == 2
    client.close()


def test_after_the_first_body_byte_idle_applies_not_first_byte(server: ReplayServer) -> None:
    # Pieces 0.25 s apart for well over first_byte: the stream is not cut at 0.5 s.
    drip = Reply(body=TEXT.body, chunking=Chunking.fixed(len(TEXT.body) // 5 + 1), delay=0.25)
    url = server.route(drip)
    client = client_for(url, Timeouts(first_byte=0.5, idle=1.0))
    assert text_of(client) == TEXT.expected["text"]
    stalled = server.route(Reply(body=TEXT.body, body_delay=0.3, stall_after=600))
    client = client_for(stalled, Timeouts(first_byte=1.0, idle=0.3))
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        text_of(client)
    assert info.value.kind == "idle"
    assert time.monotonic() - start < 1.5
    client.close()


def test_total_caps_the_wait_for_the_first_body_byte(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, body_delay=1.5))
    client = client_for(url, Timeouts(first_byte=5, idle=5, total=0.5))
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        text_of(client)
    assert info.value.kind == "total"
    assert time.monotonic() - start < 1.2
    client.close()


def test_whole_response_waits_for_its_body_under_the_total(server: ReplayServer) -> None:
    # A non-streamed body arrives when the answer is finished: its first-byte limit is the total.
    url = server.route(
        Reply(body=WHOLE, content_type="application/json", content_length=True, body_delay=0.8)
    )
    client = client_for(url, Timeouts(first_byte=0.3, idle=0.3, total=5))
    response = client.chat.complete("m", MESSAGES)
    assert response.choices[0].message.content == "done"
    client.close()


# -- headers at once, body later: async -------------------------------------------------------


@pytest.mark.anyio
async def test_async_body_after_the_idle_limit_but_within_first_byte_succeeds(
    server: ReplayServer,
) -> None:
    url = server.route(Reply(body=TEXT.body, body_delay=1.0))
    client = client_for(url, Timeouts(first_byte=1.5, idle=0.5))
    assert await text_of_async(client) == TEXT.expected["text"]
    await client.aclose()


@pytest.mark.anyio
async def test_async_body_later_than_first_byte_times_out_at_first_byte(
    server: ReplayServer,
) -> None:
    url = server.route(Reply(body=TEXT.body, body_delay=1.5))
    client = client_for(url, Timeouts(first_byte=0.5, idle=5))
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError, match="first byte") as info:
        await text_of_async(client)
    elapsed = time.monotonic() - start
    assert info.value.kind == "first_byte"
    assert 0.45 < elapsed < 1.2
    await client.aclose()


@pytest.mark.anyio
async def test_async_silent_body_uses_the_calls_budget_and_whole_response_waits(
    server: ReplayServer,
) -> None:
    url = server.route(Reply(body=TEXT.body, body_delay=1.0), Reply(body=TEXT.body))
    client = client_for(url, Timeouts(first_byte=0.3, idle=5), retries=FAST_RETRY)
    with pytest.raises(StreamTimeoutError) as info:
        await text_of_async(client)
    assert info.value.kind == "first_byte"
    assert len(server.requests(url)) == 1
    await client.aclose()
    quick = server.route(Reply(status=503, body=b"{}"), Reply(body=TEXT.body))
    client = client_for(quick, Timeouts(first_byte=1.0, idle=5), retries=FAST_RETRY)
    assert await text_of_async(client) == TEXT.expected["text"]
    assert len(server.requests(quick)) == 2
    await client.aclose()
    whole = server.route(
        Reply(body=WHOLE, content_type="application/json", content_length=True, body_delay=0.8)
    )
    client = client_for(whole, Timeouts(first_byte=0.3, idle=0.3, total=5))
    response = await client.chat.complete_async("m", MESSAGES)
    assert response.choices[0].message.content == "done"
    await client.aclose()
