"""The connection pool: waiting for a free connection is not a connect failure.

A client opens at most ``max_connections`` connections (default 1000, as the OpenAI SDK); a call
that finds them all busy waits for one, within its first-byte limit, and is never retried for
it. The connect timeout does not apply to that wait. A wait past the limit is
``StreamTimeoutError(kind="pool")``, which says it is the pool.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest

from streamcall.clients._base import DEFAULT_MAX_CONNECTIONS, MAX_KEEPALIVE_CONNECTIONS
from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage
from streamcall.clients.ollama import Ollama
from streamcall.clients.openai import AsyncOpenAI
from streamcall.errors import ConfigurationError, StreamTimeoutError
from streamcall.transport import RetryPolicy, Timeouts
from tests.replay import Chunking, ReplayServer, Reply, sse_body

MESSAGES = [UserMessage(content="hi")]
RETRY = RetryPolicy(max_retries=3, initial_delay=0.01, max_delay=0.02)


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


BODY = sse_body([chunk("a"), chunk("b"), chunk("c", "stop")])
SLOW = Reply(body=BODY, chunking=Chunking.events(), delay=0.1)  # 4 writes: ~0.3 s


def pool_of(client: Mistral | AsyncOpenAI | Ollama, asynchronous: bool) -> Any:
    transport = client.async_transport() if asynchronous else client.sync_transport()
    return transport.client._transport._pool


async def text_async(client: Mistral) -> str:
    async with await client.chat.stream_async("m", MESSAGES) as stream:
        return "".join(
            [c async for e in stream if isinstance(c := e.data.choices[0].delta.content, str)]
        )


def text(client: Mistral) -> str:
    with client.chat.stream("m", MESSAGES) as stream:
        return "".join(c for e in stream if isinstance(c := e.data.choices[0].delta.content, str))


@pytest.mark.anyio
async def test_more_streams_than_connections_all_complete_without_retries(
    server: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.route(SLOW)
    # A connect timeout far shorter than the wait for a free connection (about 1.2 s here):
    # before, that wait counted as connecting, failed and was retried.
    timeouts = Timeouts(connect=0.2, first_byte=10, idle=5, total=30)
    client = Mistral(
        api_key="k", server_url=url, timeouts=timeouts, retries=RETRY, max_connections=2
    )
    results: list[str] = []

    async def one() -> None:
        results.append(await text_async(client))

    caplog.set_level(logging.INFO, logger="streamcall")
    started = time.monotonic()
    async with client:
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(one)
    elapsed = time.monotonic() - started
    assert results == ["abc"] * 10
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(server.requests(url)) == 10  # nothing was sent twice
    assert server.connections(url) <= 2
    assert elapsed >= 1.0  # five rounds of two ~0.3 s streams: they did wait for each other


def test_sync_threads_share_a_small_pool_without_retries(
    server: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.route(SLOW)
    timeouts = Timeouts(connect=0.2, first_byte=10, idle=5, total=30)
    caplog.set_level(logging.INFO, logger="streamcall")
    with Mistral(
        api_key="k", server_url=url, timeouts=timeouts, retries=RETRY, max_connections=1
    ) as client:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: text(client), range(4)))
    assert results == ["abc"] * 4
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(server.requests(url)) == 4
    assert server.connections(url) == 1


@pytest.mark.anyio
async def test_a_wait_past_the_first_byte_limit_is_a_pool_timeout_not_retried(
    server: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The one connection is held by a stream that lasts ~1.5 s; the second call may wait
    # 0.3 s for its first byte, and waiting for the connection is part of that.
    url = server.route(Reply(body=BODY, chunking=Chunking.events(), delay=0.5))
    timeouts = Timeouts(connect=5, first_byte=0.3, idle=5, total=30)
    caplog.set_level(logging.INFO, logger="streamcall")
    async with Mistral(
        api_key="k", server_url=url, timeouts=timeouts, retries=RETRY, max_connections=1
    ) as client:
        async with await client.chat.stream_async("m", MESSAGES) as holding:
            started = time.monotonic()
            with pytest.raises(StreamTimeoutError) as info:
                await client.chat.stream_async("m", MESSAGES)
            waited = time.monotonic() - started
            assert [c async for c in holding]  # the first stream is unharmed
    error = info.value
    assert error.kind == "pool"
    assert error.timeout == 0.3
    assert "pool" in str(error)
    assert "max_connections" in str(error)
    assert 0.25 <= waited < 1.2
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(server.requests(url)) == 1  # the second call never reached the server


@pytest.mark.parametrize("asynchronous", [False, True])
def test_max_connections_reaches_the_httpx2_pool(asynchronous: bool) -> None:
    client = AsyncOpenAI(api_key="k", base_url="http://127.0.0.1:9", max_connections=7)
    pool = pool_of(client, asynchronous)
    assert pool._max_connections == 7
    assert pool._max_keepalive_connections == 7
    client.close()


def test_the_default_pool_carries_an_async_service() -> None:
    assert DEFAULT_MAX_CONNECTIONS == 1000  # the OpenAI SDK's figure
    assert MAX_KEEPALIVE_CONNECTIONS == 100
    client = Ollama("http://127.0.0.1:9")  # JSON-lines clients take the option too
    assert client.max_connections == DEFAULT_MAX_CONNECTIONS
    for asynchronous in (False, True):
        pool = pool_of(client, asynchronous)
        assert pool._max_connections == 1000
        assert pool._max_keepalive_connections == 100
    client.close()
    unlimited = Mistral(api_key="k", server_url="http://127.0.0.1:9", max_connections=None)
    assert pool_of(unlimited, False)._max_connections == sys.maxsize  # httpcore2: no limit
    unlimited.close()


def test_the_pool_wait_is_bounded_by_first_byte_not_connect() -> None:
    timeout = Timeouts(connect=1, first_byte=20, idle=5, total=30).to_httpx()
    assert timeout.pool == 20
    assert Timeouts(connect=1, first_byte=None, total=30).to_httpx().pool == 30
    assert Timeouts(connect=1, first_byte=None, total=None).to_httpx().pool is None


@pytest.mark.parametrize("value", [0, -1, 2.5, "10", True])
def test_bad_max_connections_is_a_configuration_error(value: object) -> None:
    with pytest.raises(ConfigurationError, match="max_connections"):
        Mistral(api_key="k", max_connections=value)  # type: ignore[arg-type]
