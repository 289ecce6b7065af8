"""One stream lifecycle on every provider: ``state`` new -> streaming -> complete, cancelled
(``break``, ``close()``, ``cancel()``) or failed (``error``), sync and async, through the
provider stream, ``llm.Stream`` and a ``response_model`` stream.

Each test runs in both modes (the ``replay`` fixture): ``stream={"replay": True}``, where a
consumed stream iterated again replays its chunks, and the default ``stream=True``, where it
keeps none and a second iteration yields nothing with a ``ReplayWarning`` (a failed stream
raises its error again either way)."""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from streamcall import llm
from streamcall.core.base import ReplayWarning
from streamcall.core.base.stream import BaseStream
from streamcall.errors import StreamcallError
from streamcall.registry import PROVIDERS, call_decorator
from tests.replay import ReplayServer, Reply, sse_body
from tests.replay_modes import stream_option
from tests.wire_fixtures import fixtures

# The text fixture of each wire format; every provider over HTTP, from the registry.
TEXT_BODIES = {
    "openai-chat": "openai_chat.usage.sse",
    "azure": "openai_chat.usage.sse",
    "mistral": "mistral.text.sse",
    "cohere": "cohere_v2.text.sse",
    "anthropic": "anthropic.text.sse",
    "gemini": "gemini.text.sse",
    "ollama": "ollama_chat.text.ndjson",
    "openai-responses": "openai_responses.text.sse",
}
PROVIDER_NAMES = sorted(name for name, entry in PROVIDERS.items() if entry.wire != "local")
BODIES = {name: TEXT_BODIES[PROVIDERS[name].wire] for name in PROVIDER_NAMES}
MODELS = {name: PROVIDERS[name].default_model or "my-deployment" for name in PROVIDER_NAMES}

# The provider's own streams of an error reported inside the stream.
IN_STREAM_ERRORS = {
    "openai": "openai_chat.error_midstream.sse",
    "anthropic": "anthropic.error_overloaded.sse",
    "openai-responses": "openai_responses.error.sse",
}


def wire(name: str) -> Any:
    return next(f for f in fixtures("") if f.name == name)


def content_type(provider: str) -> str:
    return "application/x-ndjson" if provider == "ollama" else "text/event-stream"


def route(server: ReplayServer, provider: str, body: bytes | None = None, **reply: Any) -> str:
    body = wire(BODIES[provider]).body if body is None else body
    return server.route(Reply(body=body, content_type=content_type(provider), **reply))


@contextlib.contextmanager
def second_iteration(stream: Any, replay: bool) -> Iterator[list[Any]]:
    """Checks a second iteration of a consumed (complete, cancelled or failed) stream, which
    the body runs, appending what it yields to the list given: with ``replay`` the stream
    replays its chunks and warns nothing; by default it yields nothing, with a
    ``ReplayWarning``. A failed stream raises its own error (the same object) again at the end,
    in both modes."""
    error = stream.error
    items: list[Any] = []
    with contextlib.ExitStack() as checks:
        if replay:
            checks.enter_context(warnings.catch_warnings())
            warnings.simplefilter("error", ReplayWarning)
        else:
            checks.enter_context(pytest.warns(ReplayWarning))
        if error is None:
            yield items
        else:
            with pytest.raises(type(error)) as raised:
                yield items
            assert raised.value is error
    if not replay:
        assert items == []


def iterate_again(stream: Any, replay: bool) -> list[Any]:
    """What a second ``for`` over a consumed stream yields (see :func:`second_iteration`)."""
    with second_iteration(stream, replay) as items:
        for item in stream:
            items.append(item)
    return items


async def aiterate_again(stream: Any, replay: bool) -> list[Any]:
    """What a second ``async for`` over a consumed stream yields (see
    :func:`second_iteration`)."""
    with second_iteration(stream, replay) as items:
        async for item in stream:
            items.append(item)
    return items


def text_of(pairs: list[Any]) -> str:
    return "".join(chunk.content for chunk, _ in pairs)


OPEN_CLIENTS: list[Any] = []


@pytest.fixture
async def async_clients() -> AsyncIterator[None]:
    """Closes the clients an async test made (their async HTTP clients cannot be closed by
    garbage collection)."""
    yield
    while OPEN_CLIENTS:
        await OPEN_CLIENTS.pop().aclose()


def decorator(
    provider: str, url: str, layer: str, replay: bool, **options: Any
) -> Callable[..., Any]:
    client = PROVIDERS[provider].make_client(api_key="k", base_url=url)
    OPEN_CLIENTS.append(client)
    stream = stream_option(replay)
    if layer == "llm":
        return llm.call(provider, MODELS[provider], stream=stream, client=client, **options)
    made: Callable[..., Any] = call_decorator(provider)(
        MODELS[provider], stream=stream, client=client, **options
    )
    return made


def open_stream(provider: str, url: str, replay: bool, layer: str = "provider") -> Any:
    @decorator(provider, url, layer, replay)
    def ask() -> str:
        return "Recommend a book"

    return ask()


async def open_stream_async(provider: str, url: str, replay: bool, layer: str = "provider") -> Any:
    @decorator(provider, url, layer, replay)
    async def ask() -> str:
        return "Recommend a book"

    return await ask()


def closed_early(server: ReplayServer, url: str) -> bool:
    return server.route_of(url).client_closed_early.wait(2)


# -- complete -------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["provider", "llm"])
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_new_streaming_complete(
    server: ReplayServer, provider: str, layer: str, replay: bool
) -> None:
    expected = wire(BODIES[provider]).expected
    stream = open_stream(provider, route(server, provider), replay, layer)
    assert isinstance(stream, llm.Stream if layer == "llm" else BaseStream)
    assert stream.state == "new"
    states = {stream.state for _ in stream}
    assert states == {"streaming"}
    assert stream.state == "complete"
    assert stream.error is None
    assert stream.content == expected["text"]
    assert stream.finish_reasons
    stream.close()  # after the end: nothing changes
    assert stream.state == "complete"
    again = text_of(iterate_again(stream, replay))  # a replay, or nothing by default
    assert again == (expected["text"] if replay else "")
    assert stream.state == "complete"
    assert stream.content == expected["text"]  # kept in both modes


@pytest.mark.anyio
@pytest.mark.usefixtures("async_clients")
@pytest.mark.parametrize("layer", ["provider", "llm"])
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_new_streaming_complete_async(
    server: ReplayServer, provider: str, layer: str, replay: bool
) -> None:
    expected = wire(BODIES[provider]).expected
    stream = await open_stream_async(provider, route(server, provider), replay, layer)
    assert stream.state == "new"
    states = {stream.state async for _ in stream}
    assert states == {"streaming"}
    assert stream.state == "complete"
    assert stream.content == expected["text"]
    await stream.aclose()
    assert stream.state == "complete"
    again = text_of(await aiterate_again(stream, replay))  # a replay, or nothing by default
    assert again == (expected["text"] if replay else "")
    assert stream.state == "complete"
    assert stream.content == expected["text"]


# -- cancelled ------------------------------------------------------------------------------


def stalled(server: ReplayServer, provider: str) -> str:
    """A route that sends the first half of the answer and then holds the connection open."""
    body = wire(BODIES[provider]).body
    return route(server, provider, stall_after=len(body) // 2)


def assert_interrupted(stream: Any, provider: str, seen: str, replay: bool) -> None:
    assert stream.state == "cancelled"
    assert stream.error is None
    assert seen
    assert stream.content == seen
    assert wire(BODIES[provider]).expected["text"].startswith(seen)
    response = stream.construct_call_response()
    assert response.content == seen
    assert stream.finish_reasons is None  # the provider sent none before the cut
    if provider == "anthropic":  # usage so far: message_start carries the input tokens
        assert response.input_tokens == wire(BODIES[provider]).expected["usage"]["input_tokens"]
    # Iterated again, a cancelled stream replays what arrived, or by default yields nothing.
    assert text_of(iterate_again(stream, replay)) == (seen if replay else "")
    assert stream.state == "cancelled"
    assert stream.content == seen


@pytest.mark.parametrize("layer", ["provider", "llm"])
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_break_cancels_and_closes_the_connection(
    server: ReplayServer, provider: str, layer: str, replay: bool
) -> None:
    url = stalled(server, provider)
    stream = open_stream(provider, url, replay, layer)
    seen = ""
    for chunk, _ in stream:
        seen += chunk.content
        if seen:
            break
    assert closed_early(server, url)
    assert_interrupted(stream, provider, seen, replay)


@pytest.mark.parametrize("layer", ["provider", "llm"])
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_cancel_mid_stream_keeps_the_interrupted_response(
    server: ReplayServer, provider: str, layer: str, replay: bool
) -> None:
    url = stalled(server, provider)
    stream = open_stream(provider, url, replay, layer)
    seen = ""
    after_cancel = 0
    for chunk, _ in stream:
        if stream.state == "cancelled":
            after_cancel += 1
        seen += chunk.content
        if seen and stream.state == "streaming":
            stream.cancel()
    assert after_cancel == 0  # the loop ends at once
    assert closed_early(server, url)
    assert_interrupted(stream, provider, seen, replay)


@pytest.mark.anyio
@pytest.mark.usefixtures("async_clients")
@pytest.mark.parametrize("layer", ["provider", "llm"])
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_acancel_mid_stream_keeps_the_interrupted_response(
    server: ReplayServer, provider: str, layer: str, replay: bool
) -> None:
    url = stalled(server, provider)
    stream = await open_stream_async(provider, url, replay, layer)
    seen = ""
    async for chunk, _ in stream:
        assert stream.state == "streaming"
        seen += chunk.content
        if seen:
            await stream.acancel()
    assert closed_early(server, url)
    assert_interrupted(stream, provider, seen, replay)


@pytest.mark.anyio
@pytest.mark.usefixtures("async_clients")
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_async_break_inside_async_with_cancels(
    server: ReplayServer, provider: str, replay: bool
) -> None:
    url = stalled(server, provider)
    stream = await open_stream_async(provider, url, replay)
    seen = ""
    async with stream:
        async for chunk, _ in stream:
            seen += chunk.content
            if seen:
                break
    assert closed_early(server, url)
    assert_interrupted(stream, provider, seen, replay)


@pytest.mark.parametrize("provider", ["mistral", "anthropic"])
def test_close_before_iterating_cancels(server: ReplayServer, provider: str, replay: bool) -> None:
    url = stalled(server, provider)
    with open_stream(provider, url, replay) as stream:
        assert stream.state == "new"
    assert stream.state == "cancelled"
    assert closed_early(server, url)
    assert iterate_again(stream, replay) == []  # nothing arrived: nothing to replay
    assert stream.construct_call_response().content == ""
    assert stream.finish_reasons is None


def test_sync_close_of_an_async_stream_says_what_to_do(server: ReplayServer, replay: bool) -> None:
    import anyio

    async def main() -> None:
        stream = await open_stream_async("mistral", route(server, "mistral"), replay)
        with pytest.raises(TypeError, match="aclose"):
            stream.close()
        await stream.aclose()
        assert stream.state == "cancelled"
        await OPEN_CLIENTS.pop().aclose()

    anyio.run(main)


# -- failed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["provider", "llm"])
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
def test_connection_cut_mid_stream_fails_with_the_error(
    server: ReplayServer, provider: str, layer: str, replay: bool
) -> None:
    body = wire(BODIES[provider]).body
    url = route(server, provider, cut_after=len(body) // 2)
    stream = open_stream(provider, url, replay, layer)
    seen = ""
    with pytest.raises(StreamcallError) as raised:
        for chunk, _ in stream:
            seen += chunk.content
    assert stream.state == "failed"
    assert stream.error is raised.value
    assert stream.content == seen
    assert stream.construct_call_response().content == seen
    # Iterated again, it replays what arrived (or by default yields nothing), then raises the
    # same error again.
    assert text_of(iterate_again(stream, replay)) == (seen if replay else "")
    assert stream.state == "failed"
    assert stream.error is raised.value


@pytest.mark.anyio
@pytest.mark.usefixtures("async_clients")
@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_connection_cut_mid_stream_fails_async(
    server: ReplayServer, provider: str, replay: bool
) -> None:
    body = wire(BODIES[provider]).body
    url = route(server, provider, cut_after=len(body) // 2)
    stream = await open_stream_async(provider, url, replay)
    with pytest.raises(StreamcallError) as raised:
        async for _ in stream:
            pass
    assert stream.state == "failed"
    assert stream.error is raised.value


@pytest.mark.parametrize("provider", sorted(IN_STREAM_ERRORS))
def test_an_error_the_provider_reports_in_the_stream_fails_it(
    server: ReplayServer, provider: str, replay: bool
) -> None:
    fixture = wire(IN_STREAM_ERRORS[provider])
    stream = open_stream(provider, route(server, provider, fixture.body), replay)
    with pytest.raises(StreamcallError) as raised:
        for _ in stream:
            pass
    assert stream.state == "failed"
    assert stream.error is raised.value


# -- response_model -------------------------------------------------------------------------


class Book(BaseModel):
    title: str
    author: str


def json_body(parts: list[str]) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps(
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "gpt-5-mini",
                "choices": [choice],
            }
        )

    payloads = [chunk({"role": "assistant", "content": ""})]
    payloads += [chunk({"content": part}) for part in parts]
    payloads.append(chunk({}, "stop"))
    return sse_body(payloads)


BOOK_PARTS = ['{"title": "Du', 'ne", "au', 'thor": "Frank ', 'Herbert"}']


def book_stream(
    server: ReplayServer, stall: bool, asynchronous: bool, replay: bool
) -> tuple[str, Any]:
    body = json_body(BOOK_PARTS)
    url = server.route(Reply(body=body, stall_after=body.index(b"Frank") if stall else None))
    make = decorator("openai", url, "provider", replay, response_model=Book, json_mode=True)
    if asynchronous:

        async def ask_async() -> str:
            return "A book"

        return url, make(ask_async)()

    def ask() -> str:
        return "A book"

    return url, make(ask)()


def test_response_model_stream_complete_and_cancelled(server: ReplayServer, replay: bool) -> None:
    _, stream = book_stream(server, stall=False, asynchronous=False, replay=replay)
    assert stream.state == "new"
    items = list(stream)
    assert stream.state == "complete"
    assert items[-1] == Book(title="Dune", author="Frank Herbert")

    url, stream = book_stream(server, stall=True, asynchronous=False, replay=replay)
    partials = []
    for partial in stream:
        partials.append(partial)
        stream.cancel()
    assert stream.state == "cancelled"
    assert [p.title for p in partials] == ["Du"]  # a partial, and no whole model after it
    assert closed_early(server, url)
    assert stream.stream.construct_call_response().content == '{"title": "Du'


@pytest.mark.anyio
@pytest.mark.usefixtures("async_clients")
async def test_response_model_stream_acancel(server: ReplayServer, replay: bool) -> None:
    url, pending = book_stream(server, stall=True, asynchronous=True, replay=replay)
    stream = await pending
    partials = []
    async for partial in stream:
        partials.append(partial)
        await stream.acancel()
    assert stream.state == "cancelled"
    assert len(partials) == 1
    assert closed_early(server, url)


# -- the local model --------------------------------------------------------------------------


def local_stream(asynchronous: bool, replay: bool) -> Any:
    from tests.local_model import require_local_extra

    require_local_extra()
    from streamcall.core.local import local_call

    make = local_call(
        stream=stream_option(replay),
        call_params={"temperature": 0.0, "seed": 7, "max_tokens": 40},
    )
    if asynchronous:

        async def ask_async() -> str:
            return "Recommend a fantasy book"

        return make(ask_async)()

    def ask() -> str:
        return "Recommend a fantasy book"

    return make(ask)()


def test_cancelling_a_local_stream_releases_the_model(replay: bool) -> None:
    stream = local_stream(asynchronous=False, replay=replay)
    seen = ""
    for chunk, _ in stream:
        seen += chunk.content
        if len(seen) > 5:
            stream.cancel()
    assert stream.state == "cancelled"
    response = stream.construct_call_response()
    assert response.content == seen
    assert response.output_tokens is not None  # counted up to the cancel
    again = local_stream(asynchronous=False, replay=replay)  # same thread: the model is free again
    assert "".join(chunk.content for chunk, _ in again)
    assert again.state == "complete"


@pytest.mark.anyio
@pytest.mark.usefixtures("async_clients")
async def test_acancelling_a_local_stream_releases_the_model(replay: bool) -> None:
    stream = await local_stream(asynchronous=True, replay=replay)
    seen = ""
    async for chunk, _ in stream:
        seen += chunk.content
        if len(seen) > 5:
            await stream.acancel()
    assert stream.state == "cancelled"
    assert stream.construct_call_response().content == seen
    again = await local_stream(asynchronous=True, replay=replay)
    assert "".join([chunk.content async for chunk, _ in again])
    assert again.state == "complete"
