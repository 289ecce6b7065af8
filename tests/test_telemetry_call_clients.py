"""A call made without ``client=`` makes its own client; the call layer closes it when the call
ends (a whole response returned or refused; a stream complete, cancelled or failed), sync and
async, so no pooled connection is left to the garbage collector (an "unclosed transport"
``ResourceWarning`` once the loop has ended). The call's telemetry still ends first."""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from streamcall import llm
from streamcall.errors import AuthenticationError
from streamcall.telemetry import CallEnd, CallInfo, hooks
from tests.replay import ReplayServer, Reply
from tests.test_telemetry import WHOLE, body


@pytest.fixture
def openai_at(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Point the default OpenAI client at a route of the replay server."""

    def route(*replies: Reply) -> str:
        url = server.route(*replies)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-own-client")
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        return url

    return route


@pytest.fixture
def ends() -> Iterator[list[str]]:
    seen: list[str] = []

    def on_finish(call: CallInfo, end: CallEnd) -> None:
        seen.append(end.state)

    hooks.on_finish(on_finish)
    yield seen
    hooks.clear()


def leaks(run: Callable[[], Any]) -> list[str]:
    """What ``run`` left to the collector: every ``ResourceWarning`` (as an error) raised in a
    finalizer, during ``run`` or at the collection after it."""
    found: list[str] = []
    hook = sys.unraisablehook
    sys.unraisablehook = lambda u: found.append(f"{u.exc_type.__name__}: {u.exc_value}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            run()
            gc.collect()
    finally:
        sys.unraisablehook = hook
    return found


def whole_reply() -> Reply:
    return Reply(
        body=json.dumps(WHOLE["openai"]).encode(),
        content_type="application/json",
        content_length=True,
    )


@llm.call("openai", "my-model", stream=True)
async def ask_stream() -> str:
    return "Recommend a book"


@llm.call("openai", "my-model")
async def ask_whole() -> str:
    return "Recommend a book"


@llm.call("openai", "my-model", stream=True)
def ask_stream_sync() -> str:
    return "Recommend a book"


@llm.call("openai", "my-model")
def ask_whole_sync() -> str:
    return "Recommend a book"


@pytest.mark.parametrize("how", ["complete", "break", "aclose", "bare_break"])
def test_an_async_stream_closes_the_client_made_for_it(
    openai_at: Callable[..., str], ends: list[str], how: str
) -> None:
    openai_at(Reply(body=body("openai")))
    streams: list[Any] = []

    async def run() -> None:
        stream = await ask_stream()
        streams.append(stream)
        if how == "bare_break":  # closed by the loop's async generator finalizer
            async for _ in stream:
                break
            return
        async with stream:
            async for _ in stream:
                if how != "complete":
                    break
            if how == "aclose":
                await stream.aclose()

    assert leaks(lambda: asyncio.run(run())) == []
    owned = streams[0].stream._owned
    assert owned is not None
    assert owned._async.client is None  # closed (its own httpx2 client dropped)
    assert ends == ["complete" if how == "complete" else "cancelled"]


def test_an_async_whole_call_closes_the_client_made_for_it(
    openai_at: Callable[..., str], ends: list[str]
) -> None:
    openai_at(whole_reply())

    async def run() -> None:
        response = await ask_whole()
        assert response.content == "Hi"

    assert leaks(lambda: asyncio.run(run())) == []
    assert ends == ["complete"]


def test_a_refused_async_call_closes_the_client_made_for_it(
    openai_at: Callable[..., str], ends: list[str]
) -> None:
    refused = Reply(
        status=401, body=b'{"error": {"message": "no"}}', content_type="application/json"
    )
    openai_at(refused, refused)

    async def run() -> None:
        with pytest.raises(AuthenticationError):
            await ask_whole()
        with pytest.raises(AuthenticationError):
            await ask_stream()

    assert leaks(lambda: asyncio.run(run())) == []
    assert ends == ["failed", "failed"]


def test_sync_calls_close_the_client_made_for_them(
    openai_at: Callable[..., str], ends: list[str]
) -> None:
    openai_at(Reply(body=body("openai")), whole_reply(), Reply(body=body("openai")))

    def run() -> None:
        stream = ask_stream_sync()
        assert "".join(chunk.content for chunk, _ in stream)
        assert stream.stream._owned._sync.client is None
        assert ask_whole_sync().content == "Hi"
        cancelled = ask_stream_sync()
        cancelled.close()
        assert cancelled.stream._owned._sync.client is None

    assert leaks(run) == []
    assert ends == ["complete", "complete", "cancelled"]


def test_a_client_given_is_left_open(server: ReplayServer) -> None:
    from streamcall.clients.openai import OpenAI

    url = server.route(Reply(body=body("openai")), whole_reply())
    with OpenAI(api_key="sk-given", base_url=url) as client:

        @llm.call("openai", "my-model", stream=True, client=client)
        def streamed() -> str:
            return "Recommend a book"

        @llm.call("openai", "my-model", client=client)
        def whole() -> str:
            return "Recommend a book"

        stream = streamed()
        list(stream)
        assert stream.stream._owned is None
        assert whole().content == "Hi"  # the same client, still open
