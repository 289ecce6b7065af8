"""Whole (non-streamed) bodies are bounded: ``max_body_size`` (default 64 MiB).

A body larger than the bound stops the read as soon as it passes it, with
``ResponseTooLargeError``: the client never holds more than the bound (and one network read).
The servers here announce a large body and then hold the connection open after sending part
of it, so a client that read on would hang until its total deadline instead of failing at once.
Streams are bounded per event (``max_event_size``), not by ``max_body_size``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from streamcall.clients._base import DEFAULT_MAX_BODY_SIZE
from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage
from streamcall.clients.openai import AsyncOpenAI, OpenAI
from streamcall.errors import (
    ConfigurationError,
    ResponseTooLargeError,
    StreamDecodeError,
)
from streamcall.transport import Timeouts
from tests.replay import Chunking, ReplayServer, Reply, sse_body

LIMIT = 64 * 1024
MESSAGES = [UserMessage(content="hi")]
OPENAI_MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]
TIMEOUTS = Timeouts(connect=5, first_byte=10, idle=10, total=10)


def completion(content: str) -> bytes:
    """A whole chat completion, as both OpenAI and Mistral send it."""
    return json.dumps(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()


HUGE = completion("x" * (4 * 1024 * 1024))  # 4 MiB announced ...
SENT = 1024 * 1024  # ... of which 1 MiB is sent, then the server waits for the client


def huge_reply(content_length: bool) -> Reply:
    return Reply(
        body=HUGE,
        content_type="application/json",
        content_length=content_length,
        chunking=Chunking.fixed(16 * 1024),
        stall_after=SENT,
    )


def openai(url: str, **options: Any) -> OpenAI:
    return OpenAI(api_key="k", base_url=url, timeouts=TIMEOUTS, retries=0, **options)


def mistral(url: str, **options: Any) -> Mistral:
    return Mistral(api_key="k", server_url=url, timeouts=TIMEOUTS, retries=0, **options)


def check_stopped_early(server: ReplayServer, url: str, error: ResponseTooLargeError) -> None:
    assert error.limit == LIMIT
    assert "max_body_size" in str(error)
    assert str(LIMIT) in str(error)
    assert isinstance(error, StreamDecodeError)
    # The client closed the connection while the server still had most of the body to send.
    assert server.route_of(url).client_closed_early.wait(5)
    assert server.route_of(url).finished_responses == 0


@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "chunked"])
def test_openai_whole_call_over_the_bound_stops_reading(
    server: ReplayServer, content_length: bool
) -> None:
    url = server.route(huge_reply(content_length))
    started = time.monotonic()
    with openai(url, max_body_size=LIMIT) as client, pytest.raises(ResponseTooLargeError) as info:
        client.chat.completions.create(model="m", messages=OPENAI_MESSAGES, stream=False)
    assert time.monotonic() - started < 5  # not the total deadline: it did not read on
    check_stopped_early(server, url, info.value)


@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "chunked"])
def test_mistral_whole_call_over_the_bound_stops_reading(
    server: ReplayServer, content_length: bool
) -> None:
    url = server.route(huge_reply(content_length))
    with mistral(url, max_body_size=LIMIT) as client, pytest.raises(ResponseTooLargeError) as info:
        client.chat.complete("m", MESSAGES)
    check_stopped_early(server, url, info.value)


@pytest.mark.anyio
async def test_async_whole_calls_over_the_bound_stop_reading(server: ReplayServer) -> None:
    url = server.route(huge_reply(True))
    client = AsyncOpenAI(
        api_key="k", base_url=url, timeouts=TIMEOUTS, retries=0, max_body_size=LIMIT
    )
    async with client:
        with pytest.raises(ResponseTooLargeError) as info:
            await client.chat.completions.create(model="m", messages=OPENAI_MESSAGES, stream=False)
    check_stopped_early(server, url, info.value)

    url = server.route(huge_reply(False))
    async with mistral(url, max_body_size=LIMIT) as other:
        with pytest.raises(ResponseTooLargeError) as info:
            await other.chat.complete_async("m", MESSAGES)
    check_stopped_early(server, url, info.value)


def test_a_body_within_the_bound_is_read(server: ReplayServer) -> None:
    body = completion("y" * (LIMIT - 400))
    assert LIMIT - 400 < len(body) <= LIMIT
    url = server.route(
        Reply(body=body, content_type="application/json", chunking=Chunking.fixed(1000))
    )
    with mistral(url, max_body_size=LIMIT) as client:
        response = client.chat.complete("m", MESSAGES)
    assert response.choices[0].message.content == "y" * (LIMIT - 400)
    with mistral(url, max_body_size=len(body)) as client:  # exactly the bound: still read
        assert client.chat.complete("m", MESSAGES).choices[0].message.content


def test_the_default_bound_is_64_mib() -> None:
    assert DEFAULT_MAX_BODY_SIZE == 64 * 1024 * 1024
    with Mistral(api_key="k") as client:
        assert client.max_body_size == DEFAULT_MAX_BODY_SIZE
    with OpenAI(api_key="k", max_body_size=10) as other:
        assert other.max_body_size == 10


@pytest.mark.parametrize("value", [0, -5, 1.5, None, "1"])
def test_a_bad_bound_is_a_configuration_error(value: object) -> None:
    with pytest.raises(ConfigurationError, match="max_body_size"):
        Mistral(api_key="k", max_body_size=value)  # type: ignore[arg-type]


def chunk(content: str, finish: str | None = None) -> str:
    return json.dumps(
        {
            "id": "abc",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
        }
    )


def test_streams_are_bounded_per_event_not_by_max_body_size(server: ReplayServer) -> None:
    # 200 events of ~1 KiB: the body is three times max_body_size, every event is small.
    pieces = ["z" * 1000] * 200
    body = sse_body([chunk(p) for p in pieces] + [chunk("", "stop")])
    assert len(body) > 3 * LIMIT
    url = server.route(Reply(body=body, chunking=Chunking.events()))
    with mistral(url, max_body_size=LIMIT) as client, client.chat.stream("m", MESSAGES) as s:
        text = "".join(c for e in s if isinstance(c := e.data.choices[0].delta.content, str))
    assert text == "".join(pieces)

    # One event over max_event_size is still refused as before, whatever max_body_size is.
    big = sse_body([chunk("w" * 5000, "stop")])
    url = server.route(Reply(body=big))
    with (
        mistral(url, max_body_size=LIMIT, max_event_size=4096) as client,
        pytest.raises(StreamDecodeError, match="max_event_size") as info,
    ):
        list(client.chat.stream("m", MESSAGES))
    assert not isinstance(info.value, ResponseTooLargeError)
