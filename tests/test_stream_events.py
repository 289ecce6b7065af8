"""Neutral stream events on every provider fixture: ``stream.events()`` / ``aevents()`` say
exactly what the stream says (text, thinking, tool calls, usage, finish reasons), live, and
once consumed: replayed by a stream made with ``stream={"replay": True}``, nothing (with a
``ReplayWarning``) by one made with the default ``stream=True``. Each test runs in both modes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from streamcall import llm
from streamcall.core.base.events import (
    ErrorEvent,
    Finish,
    RawEvent,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from streamcall.errors import StreamcallError, UnknownToolError
from streamcall.registry import PROVIDERS, call_decorator
from tests.replay import ReplayServer, Reply
from tests.replay_modes import iterated_again, stream_option
from tests.test_llm import MODELS as LLM_MODELS
from tests.wire_fixtures import WireFixture, all_fixtures

PROVIDER_OF = {
    "anthropic.": "anthropic",
    "cohere_v2.": "cohere",
    "gemini.": "gemini",
    "mistral.": "mistral",
    "ollama_chat.": "ollama",
    "openai_chat.": "openai",
    "openai_compat.": "openai",
    "openai_responses.": "openai-responses",
}
MODELS = {name: model for name, model in LLM_MODELS.items() if name != "azure"}  # no fixtures


def provider_of(fixture: WireFixture) -> str:
    return next(p for prefix, p in PROVIDER_OF.items() if fixture.name.startswith(prefix))


ANSWERS = [f for f in all_fixtures() if not f.expected.get("error")]
FAILURES = [f for f in all_fixtures() if f.expected.get("error")]
assert {provider_of(f) for f in ANSWERS} == set(MODELS)


def get_weather(city: str, unit: str = "celsius") -> str:
    """The weather in a city."""
    return f"sunny in {city} ({unit})"


def format_book(title: str, author: str, year: int) -> str:
    """A book as one line."""
    return f"{title} by {author} ({year})"


OPEN_CLIENTS: list[Any] = []


@pytest.fixture
async def async_clients() -> AsyncIterator[None]:
    """Closes the clients an async test made."""
    yield
    while OPEN_CLIENTS:
        await OPEN_CLIENTS.pop().aclose()


def make(
    server: ReplayServer,
    fixture: WireFixture,
    layer: str = "provider",
    tools: Any = None,
    replay: bool = False,
) -> Callable[..., Any]:
    provider = provider_of(fixture)
    content_type = "application/x-ndjson" if fixture.is_ndjson else "text/event-stream"
    url = server.route(Reply(body=fixture.body, content_type=content_type))
    client = PROVIDERS[provider].make_client(api_key="k", base_url=url)
    OPEN_CLIENTS.append(client)
    tools = [get_weather, format_book] if tools is None else tools
    if layer == "llm":
        stream = stream_option(replay)
        return llm.call(provider, MODELS[provider], stream=stream, client=client, tools=tools)
    made: Callable[..., Any] = call_decorator(provider)(
        MODELS[provider], stream=stream_option(replay), client=client, tools=tools
    )
    return made


def open_stream(server: ReplayServer, fixture: WireFixture, **options: Any) -> Any:
    @make(server, fixture, **options)
    def ask() -> str:
        return "Recommend a book"

    return ask()


def of(events: list[StreamEvent], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def check_events(stream: Any, events: list[StreamEvent]) -> None:
    """The events say what the stream says."""
    assert "".join(e.text for e in of(events, TextDelta)) == stream.content
    assert "".join(e.text for e in of(events, ThinkingDelta)) == stream.thinking
    calls = [e.call for e in of(events, ToolCallEnd)]
    assert calls == stream.tool_calls
    starts = of(events, ToolCallStart)
    assert [s.name for s in starts] == [c.name for c in stream.tool_calls]
    deltas = of(events, ToolCallDelta)
    for call in stream.tool_calls:  # every fixture's calls have ids (or stable ones)
        assert "".join(d.arguments for d in deltas if d.id == call.id) == call.arguments_json
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert len(of(events, Finish)) == 1
    assert finish.provider_reasons == stream.finish_reasons
    assert finish.reasons == stream.common_finish_reasons
    usages = of(events, UsageUpdate)
    if usages:
        assert usages[-1].usage == stream.common_usage
    else:
        assert stream.common_usage is None


@pytest.mark.parametrize("fixture", ANSWERS, ids=lambda f: f.name)
def test_events_say_what_the_stream_says(
    server: ReplayServer, fixture: WireFixture, replay: bool
) -> None:
    stream = open_stream(server, fixture, replay=replay)
    events = list(stream.events())
    assert stream.state == "complete"
    assert stream.content == fixture.expected["text"]
    assert [c.name for c in stream.tool_calls] == [
        c["name"] for c in fixture.expected["tool_calls"] or []
    ]
    check_events(stream, events)
    with iterated_again(events, replay) as again:  # replayed, or nothing
        again.extend(stream.events())
    # raw=True adds each provider event (equal to those a stream with a replay keeps) before the
    # events made from it, live and replayed.
    recorded = open_stream(server, fixture, replay=True)
    list(recorded)
    raw_stream = open_stream(server, fixture, replay=replay)
    raw = list(raw_stream.events(raw=True))
    assert [e.raw for e in of(raw, RawEvent)] == recorded._raw_events()
    assert [e for e in raw if not isinstance(e, RawEvent)] == events
    with iterated_again(raw, replay) as again:
        again.extend(raw_stream.events(raw=True))


@pytest.mark.parametrize("fixture", ANSWERS, ids=lambda f: f.name)
def test_tool_call_ends_are_the_streams_own_calls(
    server: ReplayServer, fixture: WireFixture, replay: bool
) -> None:
    stream = open_stream(server, fixture, replay=replay)
    ends = [e.call for e in stream.events() if isinstance(e, ToolCallEnd)]
    assert len(ends) == len(stream.tool_calls)
    assert all(a is b for a, b in zip(ends, stream.tool_calls, strict=True))


@pytest.mark.parametrize("fixture", ANSWERS, ids=lambda f: f.name)
def test_events_while_the_stream_runs_through_llm(
    server: ReplayServer, fixture: WireFixture, replay: bool
) -> None:
    stream = open_stream(server, fixture, layer="llm", replay=replay)
    assert isinstance(stream, llm.Stream)
    states = set()
    events = []
    for event in stream.events():
        states.add(stream.state)
        events.append(event)
    assert states == {"streaming", "complete"}  # live: the Finish comes once it has ended
    assert "".join(e.text for e in of(events, TextDelta)) == stream.content
    finish = events[-1]
    assert isinstance(finish, Finish)
    assert finish.reasons == stream.finish_reasons  # llm.Stream's are the common ones


@pytest.mark.anyio
@pytest.mark.usefixtures("async_clients")
@pytest.mark.parametrize("fixture", ANSWERS, ids=lambda f: f.name)
async def test_aevents_match_events(
    server: ReplayServer, fixture: WireFixture, replay: bool
) -> None:
    @make(server, fixture, replay=replay)
    async def ask() -> str:
        return "Recommend a book"

    stream = await ask()
    events = [event async for event in stream.aevents()]
    assert stream.state == "complete"
    check_events(stream, events)
    with iterated_again(events, replay) as again:
        again.extend([event async for event in stream.aevents()])
    with iterated_again(events, replay) as again:
        again.extend(stream.events())
    sync = open_stream(server, fixture, replay=replay)
    assert list(sync.events()) == events


def test_thinking_signature_and_usage_order(server: ReplayServer, replay: bool) -> None:
    fixture = next(f for f in ANSWERS if f.name == "anthropic.thinking.sse")
    stream = open_stream(server, fixture, replay=replay)
    events = list(stream.events())
    signatures = of(events, ThinkingSignature)
    assert signatures
    assert all(s.signature for s in signatures)
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    last_thinking = max(i for i, e in enumerate(events) if isinstance(e, ThinkingDelta))
    assert last_thinking < first_text
    usages = [e.usage for e in of(events, UsageUpdate)]
    assert len(usages) >= 2
    assert len({id(u) for u in usages}) == len(usages)  # each event keeps its own figures


@pytest.mark.parametrize("fixture", FAILURES, ids=lambda f: f.name)
def test_an_error_is_an_event_then_raised(
    server: ReplayServer, fixture: WireFixture, replay: bool
) -> None:
    stream = open_stream(server, fixture, replay=replay)
    events: list[StreamEvent] = []
    with pytest.raises(StreamcallError) as raised:
        events.extend(stream.events())
    assert stream.state == "failed"
    last = events[-1]
    assert isinstance(last, ErrorEvent)
    assert last.error is raised.value is stream.error
    assert not of(events, Finish)
    assert "".join(e.text for e in of(events, TextDelta)) == stream.content
    with (
        iterated_again(events, replay, leftover=[last]) as again,  # default: the error alone
        pytest.raises(StreamcallError) as reraised,
    ):
        again.extend(stream.events())
    assert reraised.value is stream.error  # the same error again


def test_a_tool_error_comes_after_finish(server: ReplayServer, replay: bool) -> None:
    fixture = next(f for f in ANSWERS if f.name == "openai_chat.tools_parallel.sse")
    stream = open_stream(server, fixture, tools=[get_weather], replay=replay)
    events: list[StreamEvent] = []
    with pytest.raises(UnknownToolError):
        events.extend(stream.events())
    assert isinstance(events[-2], Finish)
    assert isinstance(events[-1], ErrorEvent)
    assert [e.call for e in of(events, ToolCallEnd)] == stream.tool_calls  # both calls


def test_cancelled_stream_events_stop_where_it_stopped(server: ReplayServer, replay: bool) -> None:
    fixture = next(f for f in ANSWERS if f.name == "mistral.text.sse")
    url = server.route(Reply(body=fixture.body, stall_after=len(fixture.body) // 2))
    client = PROVIDERS["mistral"].make_client(api_key="k", base_url=url)

    @call_decorator("mistral")("mistral-small-latest", stream=stream_option(replay), client=client)
    def ask() -> str:
        return "Recommend a book"

    stream = ask()
    events = []
    for event in stream.events():
        events.append(event)
        if isinstance(event, TextDelta):
            stream.cancel()
    assert stream.state == "cancelled"
    assert [e.text for e in of(events, TextDelta)] == [stream.content]
    assert not of(events, Finish)
    with iterated_again(events, replay) as again:
        again.extend(stream.events())
    assert server.route_of(url).client_closed_early.wait(2)
