"""A tool call the stream stopped in the middle of is kept, marked unfinished (issue 11,
item 9).

A connection cut (or an error, or a cancel) after a call started but before its arguments were
complete used to drop the call from ``stream.tool_calls`` and ``message_param``. Now the stream
raises its typed error after the events before it, as before, and keeps the call last in
``tool_calls`` (``finished=False``, the argument text received so far, ``error`` saying it is
unfinished), in ``message_param``, in the rebuilt response (which never makes a tool of it) and
as a ``ToolCallEnd`` before the ``ErrorEvent``: the same shared mechanism for every provider.

The stream tests run in both modes: the default (``stream=True``: a consumed stream keeps no
chunks, so iterating it again yields nothing, warns and raises its error again) and
``stream={"replay": True}`` (a consumed stream replays its pairs and events, then raises again).
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamcall import llm
from streamcall.core.base import ReplayWarning
from streamcall.core.base._accumulate import (
    UNFINISHED,
    AssembledToolCall,
    StreamAccumulator,
    ToolCallAssembler,
    ToolCallPart,
    keep_unfinished,
)
from streamcall.core.base.events import ErrorEvent, Finish, ToolCallEnd
from streamcall.errors import StreamcallError, StreamInterruptedError, ToolArgumentsError
from streamcall.registry import PROVIDERS, call_decorator
from tests.replay import ReplayServer, Reply
from tests.replay_modes import stream_option
from tests.wire_fixtures import WireFixture, all_fixtures

MODELS = {
    "openai": "gpt-4.1-mini",
    "anthropic": "claude-sonnet-4-5",
    "openai-responses": "gpt-5-mini",
    "cohere": "command-a-03-2025",
    "mistral": "mistral-small-latest",
}


def get_weather(city: str, unit: str = "celsius") -> str:
    """The weather in a city."""
    return f"sunny in {city} ({unit})"


def format_book(title: str, author: str, year: int) -> str:
    """A book as one line."""
    return f"{title} by {author} ({year})"


def fixture(name: str) -> WireFixture:
    return next(f for f in all_fixtures() if f.name == name)


def cut_after_event(body: bytes, marker: bytes) -> int:
    """The position just after the event that holds ``marker`` (which must be unique)."""
    at = body.index(marker)
    assert body.count(marker) == 1, marker
    return body.index(b"\n\n", at) + 2


OPEN_CLIENTS: list[Any] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Any:
    yield
    while OPEN_CLIENTS:
        client = OPEN_CLIENTS.pop()
        if hasattr(client, "close"):
            client.close()


def open_stream(
    server: ReplayServer,
    provider: str,
    body: bytes,
    *,
    replay: bool,
    layer: str = "provider",
    **reply: Any,
) -> Any:
    url = server.route(Reply(body=body, **reply))
    client = PROVIDERS[provider].make_client(api_key="k", base_url=url)
    OPEN_CLIENTS.append(client)
    tools = [get_weather, format_book]
    if layer == "llm":
        decorator: Any = llm.call(
            provider, MODELS[provider], stream=stream_option(replay), client=client, tools=tools
        )
    else:
        decorator = call_decorator(provider)(
            MODELS[provider], stream=stream_option(replay), client=client, tools=tools
        )

    @decorator
    def ask() -> str:
        return "Weather in Lisbon, and format my book"

    return ask()


def consume(stream: Any) -> tuple[list[Any], BaseException | None]:
    """The tools the stream yielded, and what it raised."""
    tools: list[Any] = []
    try:
        for _chunk, tool in stream:
            if tool is not None:
                tools.append(tool)
    except StreamcallError as exc:
        return tools, exc
    return tools, None


def iterate_again(stream: Any, replay: bool, *, events: bool = False) -> list[Any]:
    """Iterate a consumed, failed stream a second time (its pairs, or ``events()``): it raises
    the same error object again. With ``replay`` it returns what it replayed; by default it
    yields nothing (``events()``: only the ``ErrorEvent``) and warns (``ReplayWarning``)."""
    error = stream.error
    assert error is not None
    got: list[Any] = []
    warns: AbstractContextManager[Any] = nullcontext() if replay else pytest.warns(ReplayWarning)
    with warns, pytest.raises(StreamcallError) as raised:
        got.extend(stream.events() if events else stream)
    assert raised.value is error
    if not replay:
        if events:
            assert len(got) == 1
            assert isinstance(got[0], ErrorEvent)
            assert got[0].error is error
        else:
            assert got == []
    return got


def sent_calls(provider: str, param: Any) -> list[tuple[Any, str, Any]]:
    """``(id, name, arguments)`` of each tool call in an assistant ``message_param``, as the
    provider's format holds them (argument text, or Anthropic's ``input`` object)."""
    if provider == "openai":
        return [
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in param.get("tool_calls") or []
        ]
    if provider == "openai-responses":
        return [
            (item["call_id"], item["name"], item["arguments"])
            for item in param
            if item.get("type") == "function_call"
        ]
    if provider == "anthropic":
        return [
            (b["id"], b["name"], b["input"]) for b in param["content"] if b["type"] == "tool_use"
        ]
    return [(c.id, c.function.name, c.function.arguments) for c in param.tool_calls or []]


@dataclass(frozen=True)
class Cut:
    provider: str
    fixture: str
    marker: bytes
    """The connection drops right after the event holding this."""
    finished: tuple[str, ...]
    """The calls finished (and yielded as tools) before the cut."""
    received: str
    """The unfinished call's argument text when the connection dropped."""

    @property
    def id(self) -> str:
        return f"{self.provider}-{'second' if self.finished else 'first'}"


CUTS = [
    Cut("openai", "openai_chat.tools_parallel.sse", b'"arguments":"isb"', (), '{"city":"Lisb'),
    Cut(
        "openai",
        "openai_chat.tools_parallel.sse",
        b"One Hun",
        ("get_weather",),
        '{"title":"One Hun',
    ),
    Cut("anthropic", "anthropic.tool_use.sse", rb"\"Lisbo", (), '{"city": "Lisbo'),
    Cut(
        "anthropic",
        "anthropic.tool_use.sse",
        b"red Years of S",
        ("get_weather",),
        '{"title": "One Hundred Years of S',
    ),
    Cut("openai-responses", "openai_responses.tools.sse", b'"delta":"Lisb"', (), '{"city":"Lisb'),
    Cut(
        "openai-responses",
        "openai_responses.tools.sse",
        b'"delta":"Hundred Y"',
        ("get_weather",),
        '{"title":"One Hundred Y',
    ),
    Cut("cohere", "cohere_v2.tools.sse", b'"arguments":"Lis"', (), '{"city": "Lis'),
    Cut(
        "cohere",
        "cohere_v2.tools.sse",
        b'"arguments":" Hundred"',
        ("get_weather",),
        '{"title": "One Hundred',
    ),
]


def reference_calls(
    server: ReplayServer, provider: str, body: bytes, replay: bool
) -> list[AssembledToolCall]:
    """The calls of the whole, uncut stream."""
    stream = open_stream(server, provider, body, replay=replay)
    tools, error = consume(stream)
    assert error is None
    calls: list[AssembledToolCall] = stream.tool_calls
    assert calls
    assert all(c.finished and c.error is None for c in calls)  # complete calls: unchanged
    assert [t.tool_call_id for t in tools] == [c.id for c in calls]
    return calls


def check_kept(cut: Cut, stream: Any, reference: list[AssembledToolCall]) -> AssembledToolCall:
    """Everything the stream says keeps the finished calls as they were and the unfinished
    one, marked, last."""
    calls: list[AssembledToolCall] = stream.tool_calls
    assert [c.name for c in calls[:-1]] == list(cut.finished)
    assert calls[:-1] == reference[: len(cut.finished)]  # finished ones: unchanged
    last = calls[-1]
    ref = reference[len(cut.finished)]
    assert (last.id, last.name, last.index) == (ref.id, ref.name, ref.index)
    assert last.finished is False
    assert last.arguments_json == cut.received
    assert ref.arguments_json.startswith(last.arguments_json)
    assert last.arguments == {}
    assert last.error == UNFINISHED

    # message_param: the next turn holds every call the model began, the unfinished one with
    # what was received (Anthropic's input is an object: the text is not one yet, so {}).
    sent = sent_calls(cut.provider, stream.message_param)
    assert [s[0] for s in sent] == [c.id for c in calls]
    assert sent[-1][2] == ({} if cut.provider == "anthropic" else cut.received)

    # The rebuilt response marks the same call and never makes a tool of it.
    response = stream.construct_call_response()
    assert response.facts.tool_calls[-1] is last
    with pytest.raises(ToolArgumentsError, match="unfinished"):
        _ = response.tools
    return last


@pytest.mark.parametrize("cut", CUTS, ids=lambda c: c.id)
def test_a_connection_cut_mid_arguments_keeps_the_call_marked_unfinished(
    server: ReplayServer, cut: Cut, replay: bool
) -> None:
    body = fixture(cut.fixture).body
    reference = reference_calls(server, cut.provider, body, replay)
    at = cut_after_event(body, cut.marker)
    stream = open_stream(server, cut.provider, body, replay=replay, cut_after=at)
    tools, error = consume(stream)
    assert isinstance(error, StreamInterruptedError)  # the typed error, as before
    assert stream.state == "failed"
    assert stream.error is error
    assert [t._name() for t in tools] == list(cut.finished)  # never a tool of the unfinished
    last = check_kept(cut, stream, reference)

    # Iterated again, the stream raises the same error again (a replay first yields the same
    # tools, never one of the unfinished call) and changes nothing.
    pairs = iterate_again(stream, replay)
    if replay:
        assert [t.tool_call_id for _, t in pairs if t is not None] == [
            t.tool_call_id for t in tools
        ]
    assert stream.tool_calls[-1] is last
    assert len(stream.tool_calls) == len(cut.finished) + 1

    # Its events, again: a replay ends the unfinished call before the error.
    events = iterate_again(stream, replay, events=True)
    if replay:
        check_events(stream, events, last)
    assert stream.tool_calls[-1] is last

    # The live events (the first iteration, through events()) do the same in either mode.
    live = open_stream(server, cut.provider, body, replay=replay, cut_after=at)
    events = _events_until_error(live)
    check_events(live, events, check_kept(cut, live, reference))


def check_events(stream: Any, events: list[Any], last: AssembledToolCall) -> None:
    """The events end every call (the stream's own objects), the unfinished one last, just
    before the ``ErrorEvent`` of the stream's error, and never finish."""
    ends = [e.call for e in events if isinstance(e, ToolCallEnd)]
    assert len(ends) == len(stream.tool_calls)
    assert all(a is b for a, b in zip(ends, stream.tool_calls, strict=True))
    assert isinstance(events[-2], ToolCallEnd)
    assert events[-2].call is last
    assert isinstance(events[-1], ErrorEvent)
    assert events[-1].error is stream.error
    assert not any(isinstance(e, Finish) for e in events)


def _events_until_error(stream: Any) -> list[Any]:
    events: list[Any] = []
    with pytest.raises(StreamcallError) as raised:
        events.extend(stream.events())
    assert raised.value is stream.error
    return events


@pytest.mark.parametrize("cut", CUTS[:2], ids=lambda c: c.id)
def test_live_events_and_the_llm_layer_say_the_same(
    server: ReplayServer, cut: Cut, replay: bool
) -> None:
    body = fixture(cut.fixture).body
    reference = reference_calls(server, cut.provider, body, replay)
    at = cut_after_event(body, cut.marker)
    stream = open_stream(server, cut.provider, body, replay=replay, cut_after=at)
    events = _events_until_error(stream)  # the first iteration, through events()
    check_events(stream, events, check_kept(cut, stream, reference))
    wrapped = open_stream(server, cut.provider, body, replay=replay, layer="llm", cut_after=at)
    assert isinstance(consume(wrapped)[1], StreamInterruptedError)
    assert isinstance(wrapped, llm.Stream)
    assert wrapped.tool_calls[-1].finished is False
    assert wrapped.tool_calls[-1].arguments_json == cut.received


@pytest.mark.anyio
@pytest.mark.parametrize("cut", CUTS[::3], ids=lambda c: c.id)
async def test_async_streams_keep_it_too(server: ReplayServer, cut: Cut, replay: bool) -> None:
    body = fixture(cut.fixture).body
    reference = reference_calls(server, cut.provider, body, replay)
    url = server.route(Reply(body=body, cut_after=cut_after_event(body, cut.marker)))
    client = PROVIDERS[cut.provider].make_client(api_key="k", base_url=url)

    @call_decorator(cut.provider)(
        MODELS[cut.provider],
        stream=stream_option(replay),
        client=client,
        tools=[get_weather, format_book],
    )
    async def ask() -> str:
        return "Weather in Lisbon, and format my book"

    try:
        stream = await ask()
        with pytest.raises(StreamInterruptedError):
            async for _ in stream:
                pass
        check_kept(cut, stream, reference)
    finally:
        await client.aclose()


def test_a_cancelled_stream_keeps_the_call_it_stopped_in(
    server: ReplayServer, replay: bool
) -> None:
    cut = CUTS[1]
    body = fixture(cut.fixture).body
    reference = reference_calls(server, cut.provider, body, replay)
    events_before = body[: cut_after_event(body, cut.marker)].count(b"\n\n")
    stream = open_stream(server, cut.provider, body, replay=replay)
    for seen, _ in enumerate(stream, 1):
        if seen == events_before:
            break
    assert stream.state == "cancelled"
    check_kept(cut, stream, reference)


def test_a_stream_cancelled_from_another_thread_as_it_ends_keeps_the_open_call(
    server: ReplayServer, replay: bool
) -> None:
    """``close()`` from another thread cannot stop a running generator: the loop may still
    reach the provider's end, with the stream already cancelled (no tools are yielded then)."""
    cut = CUTS[1]
    body = fixture(cut.fixture).body
    reference = reference_calls(server, cut.provider, body, replay)
    events_before = body[: cut_after_event(body, cut.marker)].count(b"\n\n")
    stream = open_stream(server, cut.provider, body, replay=replay)
    iterator = iter(stream)
    for _ in range(events_before):
        next(iterator)
    stream._state = "cancelled"  # as close() from another thread leaves it, mid-iteration
    assert stream._end() == []
    check_kept(cut, stream, reference)
    iterator.close()


def test_a_cut_before_a_call_started_or_after_all_ended_changes_nothing(
    server: ReplayServer, replay: bool
) -> None:
    body = fixture("openai_chat.tools_parallel.sse").body
    reference = reference_calls(server, "openai", body, replay)
    at = cut_after_event(body, b'"role"')
    before = open_stream(server, "openai", body, replay=replay, cut_after=at)
    assert isinstance(consume(before)[1], StreamInterruptedError)
    assert before.tool_calls == []
    assert before.message_param.get("tool_calls") is None
    # After the finish reason no call can go on: a body cut there (before the usage chunk and
    # [DONE]) keeps every call finished, as the OpenAI SDK ends its calls on finish_reason.
    at = cut_after_event(body, b'"tool_calls"}')
    after = open_stream(server, "openai", body, replay=replay, cut_after=at)
    assert isinstance(consume(after)[1], StreamInterruptedError)
    assert after.tool_calls == reference
    assert [t.tool_call_id for t in after.construct_call_response().tools] == [
        c.id for c in reference
    ]


# -- Mistral: calls arrive whole --------------------------------------------------------------


def _mistral_chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": "m1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "mistral-small-latest",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def _mistral_call(i: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"call{i}",
        "function": {"name": name, "arguments": json.dumps(arguments)},
        "index": i,
    }


MISTRAL_BODY = (
    _mistral_chunk({"role": "assistant", "content": ""})
    + _mistral_chunk(
        {"tool_calls": [_mistral_call(0, "get_weather", {"city": "Lisbon", "unit": "celsius"})]}
    )
    + _mistral_chunk(
        {
            "tool_calls": [
                _mistral_call(
                    1, "format_book", {"title": "Cem Anos", "author": "García", "year": 1967}
                )
            ]
        }
    )
    + _mistral_chunk({}, "tool_calls")
    + b"data: [DONE]\n\n"
)


def test_mistral_calls_arrive_whole_so_a_cut_keeps_them_finished(
    server: ReplayServer, replay: bool
) -> None:
    body = MISTRAL_BODY
    reference = reference_calls(server, "mistral", body, replay)
    # Cut after the first call's event: it is whole, finished, yielded and sent back.
    at = cut_after_event(body, b"Lisbon")
    stream = open_stream(server, "mistral", body, replay=replay, cut_after=at)
    tools, error = consume(stream)
    assert isinstance(error, StreamInterruptedError)
    assert [t._name() for t in tools] == ["get_weather"]
    assert stream.tool_calls == reference[:1]
    assert [s[0] for s in sent_calls("mistral", stream.message_param)] == ["call0"]
    # Cut inside the second call's event: that event never arrived, so there is no such call.
    inside = body.index(b"Cem Anos")
    stream = open_stream(server, "mistral", body, replay=replay, cut_after=inside)
    assert isinstance(consume(stream)[1], StreamInterruptedError)
    assert stream.tool_calls == reference[:1]
    assert all(c.finished for c in stream.tool_calls)


# -- any cut, a property ----------------------------------------------------------------------

PROPERTY_BODIES = [
    ("openai", "openai_chat.tools_parallel.sse"),
    ("anthropic", "anthropic.tool_use.sse"),
    ("cohere", "cohere_v2.tools.sse"),
    ("openai-responses", "openai_responses.tools.sse"),
]


@pytest.mark.parametrize(("provider", "name"), PROPERTY_BODIES)
def test_any_cut_keeps_every_call_begun_and_marks_only_the_unfinished(
    server: ReplayServer, provider: str, name: str, replay: bool
) -> None:
    body = fixture(name).body
    reference = reference_calls(server, provider, body, replay)
    first = body.index(b"get_weather")

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(at=st.integers(first, len(body) - 1))
    def check(at: int) -> None:
        stream = open_stream(server, provider, body, replay=replay, cut_after=at)
        tools, error = consume(stream)
        calls: list[AssembledToolCall] = stream.tool_calls
        assert [c.id for c in calls] == [c.id for c in reference[: len(calls)]]
        done = [c for c in calls if c.finished]
        assert calls[: len(done)] == done == reference[: len(done)]  # unfinished ones last
        for call, ref in zip(calls[len(done) :], reference[len(done) :], strict=False):
            assert error is not None
            assert (call.name, call.error) == (ref.name, UNFINISHED)
            assert ref.arguments_json.startswith(call.arguments_json)
            whole = call.arguments_json == ref.arguments_json  # all came, not its end
            assert call.arguments == (ref.arguments if whole else {})
        if error is None:
            assert calls == reference
        # Every tool yielded is a finished call (a stream cut after the finish reason has
        # finished calls it could not yield any more).
        assert [t.tool_call_id for t in tools] == [c.id for c in done[: len(tools)]]
        if len(done) > len(tools):
            assert error is not None
            assert stream.finish_reasons
        assert [s[0] for s in sent_calls(provider, stream.message_param)] == [c.id for c in calls]

    check()


# -- the shared mechanism ---------------------------------------------------------------------


def test_the_assembler_marks_what_is_open_when_the_stream_stops() -> None:
    tools = ToolCallAssembler(sequential=False)  # each call ends with an end event
    tools.add(ToolCallPart(0, "a", "get_weather", '{"city": "Lisbon"}'))
    tools.add(ToolCallPart(1, "b", "format_book", '{"title": "Cem'))
    first, second = tools.stop()
    # Its end never came, so even a whole JSON object is unfinished: parsed, never a tool.
    assert (first.finished, first.arguments, first.error) == (False, {"city": "Lisbon"}, UNFINISHED)
    assert (second.finished, second.arguments_json, second.arguments) == (
        False,
        '{"title": "Cem',
        {},
    )
    assert tools.stop() == []
    assert tools.finish() == []


def test_after_the_finish_reason_open_calls_are_finished() -> None:
    acc = StreamAccumulator(sequential_tool_calls=True)
    acc.add_tool_part(ToolCallPart(0, "a", "get_weather", '{"city": "Lisbon"}'))
    acc.finish_reasons = ["tool_calls"]
    acc.stop_tools()
    (call,) = acc.tool_calls
    assert (call.finished, call.error, call.arguments) == (True, None, {"city": "Lisbon"})


def test_finished_calls_are_unchanged() -> None:
    tools = ToolCallAssembler(sequential=False)
    tools.add(ToolCallPart(0, "a", "get_weather", '{"city": "Lisbon"}'))
    (call,) = tools.add(ToolCallPart(0, None, None, None, True))
    assert call == AssembledToolCall(
        "a", "get_weather", '{"city": "Lisbon"}', {"city": "Lisbon"}, 0
    )
    assert call.finished is True
    assert call.error is None


class _Response:
    def __init__(self, calls: list[AssembledToolCall]) -> None:
        self._calls = calls

    @property
    def facts(self) -> Any:
        class Facts:
            tool_calls = self._calls

        return Facts


def test_keep_unfinished_matches_by_id_else_by_position() -> None:
    whole = AssembledToolCall("a", "get_weather", "{}", {}, 0)
    cut = AssembledToolCall("b", "format_book", '{"t', {}, 1, UNFINISHED, False)
    rebuilt = [whole, AssembledToolCall("b", "format_book", '{"t', {}, 1, "not JSON")]
    keep_unfinished(_Response(rebuilt), [whole, cut])
    assert rebuilt[1] is cut
    assert rebuilt[0] is whole
    no_ids = [AssembledToolCall(None, "x", "{}", {}, 0), AssembledToolCall(None, "y", "{", {}, 1)]
    streamed = [no_ids[0], AssembledToolCall(None, "y", "{", {}, 1, UNFINISHED, False)]
    keep_unfinished(_Response(no_ids), streamed)
    assert no_ids[1] is streamed[1]


def test_keep_unfinished_reads_no_response_when_nothing_is_unfinished() -> None:
    class Untouchable:
        @property
        def facts(self) -> Any:
            raise AssertionError("the response was read")

    keep_unfinished(Untouchable(), [AssembledToolCall("a", "f", "{}", {})])
