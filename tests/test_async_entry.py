"""Every client's async streaming entry point works both ways.

``async with client.chat.stream_async(...) as stream`` (the documented form) and the official
SDKs' ``res = await client.chat.stream_async(...)`` then ``async with res as stream`` or
``async for event in res``. The events must equal the sync stream's on the same bytes, and
``break`` inside ``async with`` must close the connection.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest

from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients.anthropic import Anthropic
from streamcall.clients.azure import AzureOpenAI
from streamcall.clients.cohere import ClientV2
from streamcall.clients.gemini import Gemini
from streamcall.clients.mistral import Mistral
from streamcall.clients.ollama import Ollama
from streamcall.clients.openai import AsyncOpenAI, OpenAI
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, all_fixtures

MESSAGES = [{"role": "user", "content": "hi"}]
NDJSON = "application/x-ndjson"


def fixture(name: str) -> WireFixture:
    return next(f for f in all_fixtures() if f.name == name)


@dataclass(frozen=True)
class Case:
    """One provider's sync stream and async streaming entry point on one client."""

    id: str
    fixture: str
    client: Callable[[str], Any]  # base URL -> the client the entry point is called on
    sync: Callable[[str], Any]  # base URL -> the sync EventStream (the reference)
    entry: Callable[[Any], Any]  # client -> what the async entry point returns

    @property
    def content_type(self) -> str:
        return NDJSON if self.fixture.endswith(".ndjson") else "text/event-stream"


def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": MESSAGES, **extra}


CASES = [
    Case(
        "mistral",
        "mistral.text.sse",
        lambda url: Mistral(api_key="k", server_url=url),
        lambda url: Mistral(api_key="k", server_url=url).chat.stream(**_chat()),
        lambda c: c.chat.stream_async(**_chat()),
    ),
    Case(
        "cohere",
        "cohere_v2.text.sse",
        lambda url: ClientV2(api_key="k", base_url=url),
        lambda url: ClientV2(api_key="k", base_url=url).chat_stream(**_chat()),
        lambda c: c.chat_stream_async(**_chat()),
    ),
    Case(
        "openai",
        "openai_chat.usage.sse",
        lambda url: OpenAI(api_key="k", base_url=url),
        lambda url: OpenAI(api_key="k", base_url=url).chat.completions.create(**_chat(stream=True)),
        lambda c: c.chat.completions.create_async(**_chat(stream=True)),
    ),
    Case(
        "async-openai",
        "openai_chat.usage.sse",
        lambda url: AsyncOpenAI(api_key="k", base_url=url),
        lambda url: OpenAI(api_key="k", base_url=url).chat.completions.create(**_chat(stream=True)),
        lambda c: c.chat.completions.create(**_chat(stream=True)),
    ),
    Case(
        "openai-responses",
        "openai_responses.text.sse",
        lambda url: OpenAI(api_key="k", base_url=url),
        lambda url: OpenAI(api_key="k", base_url=url).responses.create(
            model="m", input="hi", stream=True
        ),
        lambda c: c.responses.create_async(model="m", input="hi", stream=True),
    ),
    Case(
        "anthropic",
        "anthropic.text.sse",
        lambda url: Anthropic(api_key="k", base_url=url),
        lambda url: Anthropic(api_key="k", base_url=url).messages.create(
            **_chat(max_tokens=64, stream=True)
        ),
        lambda c: c.messages.create_async(**_chat(max_tokens=64, stream=True)),
    ),
    Case(
        "gemini",
        "gemini.text.sse",
        lambda url: Gemini(api_key="k", base_url=url),
        lambda url: Gemini(api_key="k", base_url=url).models.generate_content_stream(
            model="m", contents="hi"
        ),
        lambda c: c.models.generate_content_stream_async(model="m", contents="hi"),
    ),
    Case(
        "ollama",
        "ollama_chat.text.ndjson",
        lambda url: Ollama(base_url=url),
        lambda url: Ollama(base_url=url).chat(**_chat(stream=True)),
        lambda c: c.chat_async(**_chat(stream=True)),
    ),
    Case(
        "azure",
        "openai_chat.usage.sse",
        lambda url: AzureOpenAI(api_key="k", azure_endpoint=url),
        lambda url: AzureOpenAI(api_key="k", azure_endpoint=url).chat.completions.create(
            **_chat(stream=True)
        ),
        lambda c: c.chat.completions.create_async(**_chat(stream=True)),
    ),
    Case(
        "azure-asynchronous",
        "openai_chat.usage.sse",
        lambda url: AzureOpenAI(api_key="k", azure_endpoint=url, asynchronous=True),
        lambda url: AzureOpenAI(api_key="k", azure_endpoint=url).chat.completions.create(
            **_chat(stream=True)
        ),
        lambda c: c.chat.completions.create(**_chat(stream=True)),
    ),
]
ids = [c.id for c in CASES]


def encoded(events: list[Any]) -> list[bytes]:
    return [msgspec.json.encode(e) for e in events]


def reference(server: ReplayServer, case: Case) -> list[bytes]:
    body = fixture(case.fixture).body
    url = server.route(Reply(body=body, content_type=case.content_type))
    with case.sync(url) as stream:
        events = encoded(list(stream))
    assert events
    return events


def stall_at(case: Case) -> int:
    """Half the body: past the first events, short of the end."""
    return len(fixture(case.fixture).body) // 2


def route(server: ReplayServer, case: Case, **reply: Any) -> str:
    body = fixture(case.fixture).body
    reply.setdefault("chunking", Chunking.random(seed=7))
    return server.route(Reply(body=body, content_type=case.content_type, **reply))


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_async_with_on_the_call(server: ReplayServer, case: Case) -> None:
    expected = reference(server, case)
    url = route(server, case)
    client = case.client(url)
    entry = case.entry(client)
    assert isinstance(entry, AwaitableStream)
    assert not server.requests(url)  # nothing is sent before it is entered
    async with entry as stream:
        events = [event async for event in stream]
    assert encoded(events) == expected
    assert stream.closed
    await client.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_await_then_async_with_or_async_for(server: ReplayServer, case: Case) -> None:
    expected = reference(server, case)
    url = route(server, case)
    client = case.client(url)
    res = await case.entry(client)  # the official SDKs' form
    async with res as stream:
        assert stream is res
        events = [event async for event in stream]
    assert encoded(events) == expected
    assert res.closed
    res = await case.entry(client)
    events = [event async for event in res]  # iterated to the end: released without `with`
    assert encoded(events) == expected
    assert res.closed
    assert len(server.requests(url)) == 2
    await client.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_break_inside_async_with_closes_the_connection(
    server: ReplayServer, case: Case
) -> None:
    url = route(server, case, chunking=Chunking.fixed(256), stall_after=stall_at(case))
    client = case.client(url)
    async with case.entry(client) as stream:
        async for _ in stream:
            break
    assert stream.closed
    assert server.route_of(url).client_closed_early.wait(2)
    await client.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=ids)
async def test_error_inside_async_with_closes_the_connection(
    server: ReplayServer, case: Case
) -> None:
    url = route(server, case, chunking=Chunking.fixed(256), stall_after=stall_at(case))
    client = case.client(url)
    with pytest.raises(RuntimeError, match="user code"):
        async with case.entry(client) as stream:
            async for _ in stream:
                raise RuntimeError("user code")
    assert stream.closed
    assert server.route_of(url).client_closed_early.wait(2)
    await client.aclose()


# -- stream=False stays a plain awaitable of the whole response -------------------------------

WHOLE: dict[str, tuple[bytes, Callable[[Any], Any], Callable[[Any], Any]]] = {
    "openai": (
        b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}]}',
        lambda c: c.chat.completions.create_async(**_chat()),
        lambda r: r.choices[0].message.content,
    ),
    "async-openai": (
        b'{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
        b'"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}]}',
        lambda c: c.chat.completions.create(**_chat()),
        lambda r: r.choices[0].message.content,
    ),
    "openai-responses": (
        b'{"id":"resp","object":"response","created_at":1,"model":"m","status":"completed",'
        b'"output":[{"type":"message","id":"m1","role":"assistant","status":"completed",'
        b'"content":[{"type":"output_text","text":"done","annotations":[]}]}]}',
        lambda c: c.responses.create_async(model="m", input="hi"),
        lambda r: r.output[0].content[0]["text"],
    ),
    "anthropic": (
        b'{"id":"msg","type":"message","role":"assistant","model":"m","content":[{"type":"text",'
        b'"text":"done"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}',
        lambda c: c.messages.create_async(**_chat(max_tokens=64)),
        lambda r: r.content[0].text,
    ),
    "ollama": (
        b'{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant",'
        b'"content":"done"},"done":true}',
        lambda c: c.chat_async(**_chat()),
        lambda r: r.message.content,
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(WHOLE))
async def test_without_stream_it_is_a_plain_awaitable_of_the_whole_response(
    server: ReplayServer, name: str
) -> None:
    body, call, text = WHOLE[name]
    url = server.route(Reply(body=body, content_type="application/json", content_length=True))
    client = next(c for c in CASES if c.id == name).client(url)
    pending = call(client)
    assert inspect.isawaitable(pending)
    assert not isinstance(pending, AwaitableStream)
    response = await pending
    assert text(response) == "done"
    await client.aclose()


# -- the local client (llama.cpp in-process) ---------------------------------------------------


@pytest.mark.anyio
async def test_local_create_async_both_ways() -> None:
    from tests.local_model import require_local_extra

    require_local_extra()
    from streamcall.clients.local import LocalModel

    client = LocalModel()
    kwargs: dict[str, Any] = {
        "messages": MESSAGES,
        "stream": True,
        "max_tokens": 6,
        "temperature": 0.0,
        "seed": 7,
    }
    async with client.chat.completions.create_async(**kwargs) as stream:
        first = [chunk async for chunk in stream]
    assert first
    assert stream.closed
    res = await client.chat.completions.create_async(**kwargs)
    async with res as stream:
        assert stream is res
        again = [chunk async for chunk in stream]
    assert [c.choices[0].delta.content for c in again if c.choices] == [
        c.choices[0].delta.content for c in first if c.choices
    ]
    async with client.chat.completions.create_async(**kwargs) as stream:
        async for _ in stream:
            break
    assert stream.closed  # the model is free again
    whole = await client.chat.completions.create_async(messages=MESSAGES, max_tokens=2)
    assert whole.usage is not None
