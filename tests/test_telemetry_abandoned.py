"""Telemetry of streams dropped before they ended: a stream never iterated and never closed, or
left after a ``break``, ends its span (and tells its hooks) when it is garbage-collected, by
reference counting alone."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from streamcall.telemetry import CallEnd, CallInfo, hooks
from streamcall.telemetry.hooks import StreamAbandoned
from tests.replay import ReplayServer, Reply
from tests.test_telemetry import SHAPES, aclients, ask, body, only, spans

__all__ = ["aclients", "spans"]  # fixtures


@pytest.fixture
def heard() -> Iterator[tuple[list[BaseException], list[CallEnd]]]:
    errors: list[BaseException] = []
    ends: list[CallEnd] = []

    def on_error(call: CallInfo, error: BaseException) -> None:
        errors.append(error)

    def on_finish(call: CallInfo, end: CallEnd) -> None:
        ends.append(end)

    hooks.on_error(on_error)
    hooks.on_finish(on_finish)
    yield errors, ends
    hooks.clear()


def check_abandoned(
    exporter: InMemorySpanExporter, heard: tuple[list[BaseException], list[CallEnd]], state: str
) -> None:
    span = only(exporter)
    attributes = dict(span.attributes or {})
    assert attributes["streamcall.call.state"] == "abandoned"
    assert attributes["error.type"] == "StreamAbandoned"
    assert span.status.status_code == StatusCode.ERROR
    assert f"garbage-collected while {state}" in (span.status.description or "")
    errors, ends = heard
    ((end,),) = [ends]
    assert end.state == "abandoned"
    assert isinstance(end.error, StreamAbandoned)
    assert errors == [end.error]
    assert end.result is None  # the stream is not kept alive by its own telemetry


@pytest.mark.parametrize("provider", SHAPES)
def test_a_stream_never_iterated_ends_its_span_when_dropped(
    server: ReplayServer,
    spans: InMemorySpanExporter,
    heard: tuple[list[BaseException], list[CallEnd]],
    provider: str,
    no_cyclic_gc: None,
) -> None:
    url = server.route(Reply(body=body(provider)))
    stream = ask(provider, url)()
    gone = weakref.ref(stream)
    assert spans.get_finished_spans() == ()
    with pytest.warns(ResourceWarning, match="garbage-collected while open"):
        del stream  # the connection's own leak warning
    assert gone() is None
    check_abandoned(spans, heard, "new")
    end = heard[1][0]
    assert end.chunks == 0
    assert end.time_to_first_chunk_s is None


def test_hooks_alone_hear_an_abandoned_stream(
    server: ReplayServer, heard: tuple[list[BaseException], list[CallEnd]], no_cyclic_gc: None
) -> None:
    url = server.route(Reply(body=body("mistral")))
    stream = ask("mistral", url)()
    assert stream._observer is not None
    with pytest.warns(ResourceWarning):
        del stream
    errors, ends = heard
    assert [end.state for end in ends] == ["abandoned"]
    assert "iterate it to its end, or close it" in str(errors[0])


def test_an_ended_stream_is_not_abandoned_when_dropped(
    server: ReplayServer,
    spans: InMemorySpanExporter,
    heard: tuple[list[BaseException], list[CallEnd]],
    no_cyclic_gc: None,
) -> None:
    url = server.route(Reply(body=body("mistral")))
    stream = ask("mistral", url)()
    assert "".join(chunk.content for chunk, _ in stream)
    closed = ask("mistral", url)()
    closed.close()
    del stream, closed
    assert sorted(end.state for end in heard[1]) == ["cancelled", "complete"]
    assert heard[0] == []
    assert len(spans.get_finished_spans()) == 2


@pytest.mark.parametrize("how", ["break", "next"])
def test_a_stream_left_after_a_break_ends_its_span(
    server: ReplayServer,
    spans: InMemorySpanExporter,
    heard: tuple[list[BaseException], list[CallEnd]],
    how: str,
    no_cyclic_gc: None,
) -> None:
    url = server.route(Reply(body=body("mistral")))
    stream = ask("mistral", url)()
    if how == "break":
        for _ in stream:
            break
    else:
        pairs = iter(stream)
        next(pairs)
        del pairs
    del stream
    span = only(spans)
    attributes = dict(span.attributes or {})
    assert attributes["streamcall.call.state"] == "cancelled"
    assert "gen_ai.response.time_to_first_chunk" in attributes
    assert [end.state for end in heard[1]] == ["cancelled"]


@pytest.mark.anyio
async def test_an_async_stream_never_iterated_ends_its_span_when_dropped(
    server: ReplayServer,
    spans: InMemorySpanExporter,
    heard: tuple[list[BaseException], list[CallEnd]],
    aclients: None,
    no_cyclic_gc: None,
) -> None:
    url = server.route(Reply(body=body("anthropic")))
    stream = await ask("anthropic", url, is_async=True)()
    gone = weakref.ref(stream)
    with pytest.warns(ResourceWarning):
        del stream
    assert gone() is None
    await asyncio.sleep(0.01)  # the connection is closed on the loop
    check_abandoned(spans, heard, "new")


@pytest.mark.anyio
@pytest.mark.parametrize("events", [False, True], ids=["pairs", "events"])
async def test_an_async_stream_left_after_a_break_ends_its_span(
    server: ReplayServer,
    spans: InMemorySpanExporter,
    heard: tuple[list[BaseException], list[CallEnd]],
    aclients: None,
    events: bool,
) -> None:
    url = server.route(Reply(body=body("openai")))
    stream = await ask("openai", url, is_async=True)()
    loop: Any = stream.aevents() if events else stream
    async for _ in loop:
        break
    del stream, loop
    for _ in range(50):  # the loop's async generator finalizer closes the loop's generator
        if spans.get_finished_spans():
            break
        await asyncio.sleep(0.01)
    span = only(spans)
    assert dict(span.attributes or {})["streamcall.call.state"] == "cancelled"
    assert [end.state for end in heard[1]] == ["cancelled"]
