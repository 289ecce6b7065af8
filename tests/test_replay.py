"""The replay history: by default a consumed stream keeps no chunks, on every provider.

``stream={"replay": True}`` keeps each chunk so that a consumed stream can be iterated again
(~1 KB an event); the default keeps a few bytes of text an event. What must hold: the same
text, thinking, tool calls, usage, cost, ``message_param`` and ``construct_call_response()``
either way (the conformance properties run half their examples each way,
``tests/conformance/harness.py``), and a second iteration of a stream without replay yields
nothing with a ``ReplayWarning`` (as a consumed SDK stream and Mirascope v1's yield nothing),
where one with replay yields its chunks again.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
import warnings
from typing import Any

import pytest

from streamcall import llm
from streamcall.core.base import ReplayWarning
from streamcall.core.base.types import StreamConfig
from streamcall.errors import ConfigurationError, StreamcallError
from streamcall.registry import PROVIDERS, call_decorator
from tests.conformance.answer import Answer, ToolCall, Usage
from tests.conformance.harness import NO_HTTP_WIRES, run_call
from tests.conformance.test_conformance_all import WIRE_WRITERS, writer_for
from tests.replay import ReplayServer

NAMES = sorted(
    name
    for name, entry in PROVIDERS.items()
    if entry.wire not in NO_HTTP_WIRES and entry.wire in WIRE_WRITERS
)
EVENTS = 20_000
LONG = Answer(
    text=tuple(f"w{i % 10} " for i in range(EVENTS)),
    tool_calls=(ToolCall("call_1_abcdef", "get_weather", {"city": "Paris"}),),
    usage=Usage(120, 3100),
    finish="tool_calls",
)


def _held_per_event(server: ReplayServer, name: str, replay: bool) -> tuple[float, Any]:
    """Bytes the consumed stream still holds per text event (nothing else kept), and what it
    recovered, summed up without its long strings."""
    writer = writer_for(PROVIDERS[name])
    variant = "official" if "official" in writer.variants else writer.variants[0]
    body = writer.write(LONG, variant)
    content_type = getattr(writer, "content_type", None)
    run_call(server, name, body, content_type=content_type, replay=replay)  # warm: caches
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        recovered = run_call(server, name, body, content_type=content_type, replay=replay)
        assert recovered.error is None, recovered.error
        assert recovered.content == recovered.response_content == LONG.full_text
        summary = (
            recovered.tool_calls,
            hash(repr(recovered.message_param)),
            recovered.cost,
            recovered.input_tokens,
            recovered.output_tokens,
        )
        stream = recovered.stream
        del recovered
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert stream.state == "complete"
    return (after - before) / EVENTS, summary


@pytest.mark.parametrize("name", NAMES)
def test_a_stream_without_replay_keeps_a_few_bytes_an_event(
    server: ReplayServer, name: str
) -> None:
    lean, lean_summary = _held_per_event(server, name, replay=False)
    full, full_summary = _held_per_event(server, name, replay=True)
    assert lean_summary == full_summary
    # The text is 3 bytes an event, held once or twice (the content; a provider's fold of its
    # blocks or parts, and Responses' terminal event, repeat it); pieces of 64 deltas add ~1.
    print(f"{name}: {lean:.1f} bytes per event without replay, {full:.0f} with")
    assert lean < 16, f"{name}: {lean:.0f} bytes held per event without replay"
    assert full > 10 * lean, f"{name}: {full:.0f} bytes per event with replay, {lean:.0f} without"


def _mistral_url(server: ReplayServer) -> str:
    from tests.replay import Reply, sse_body

    payload = (
        '{"id":"a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        '"delta":{"content":"%s"},"finish_reason":%s}]}'
    )
    body = sse_body([payload % ("Hi", "null"), payload % (" there", '"stop"')])
    return server.route(Reply(body=body))


def _mistral(server: ReplayServer, stream: Any, asynchronous: bool = False) -> Any:
    from streamcall.clients.mistral import Mistral

    client = OPEN.append(Mistral(api_key="k", server_url=_mistral_url(server))) or OPEN[-1]
    if asynchronous:

        async def ask_async() -> str:
            return "hi"

        return call_decorator("mistral")("m", stream=stream, client=client)(ask_async)

    def ask() -> str:
        return "hi"

    return call_decorator("mistral")("m", stream=stream, client=client)(ask)


OPEN: list[Any] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Any:
    yield
    while OPEN:
        OPEN.pop().close()


@pytest.mark.parametrize("config", [True, {"replay": False}, {}], ids=["True", "off", "empty"])
def test_iterating_again_yields_nothing_and_warns(server: ReplayServer, config: Any) -> None:
    stream = _mistral(server, config)()
    assert "".join(chunk.content for chunk, _ in stream) == "Hi there"
    assert stream.state == "complete"
    assert stream._history == []
    with pytest.warns(ReplayWarning, match=r"replay.: True"):
        assert list(stream) == []
    with pytest.warns(ReplayWarning):
        assert list(stream.events()) == []  # no Finish either: nothing was streamed again
    assert stream.state == "complete"
    assert stream.content == "Hi there"
    assert stream.construct_call_response().content == "Hi there"


def test_replay_on_iterates_a_consumed_stream_again(server: ReplayServer) -> None:
    stream = _mistral(server, {"replay": True})()
    assert [c.content for c, _ in stream] == ["Hi", " there"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReplayWarning)
        assert [c.content for c, _ in stream] == ["Hi", " there"]  # replayed
        assert [type(e).__name__ for e in stream.events()][-1] == "Finish"
    partial_off: StreamConfig = {"partial_tools": False, "replay": True}
    again = _mistral(server, partial_off)()
    assert [c.content for c, _ in again] == [c.content for c, _ in again] == ["Hi", " there"]


def test_a_failed_stream_raises_its_error_again(server: ReplayServer) -> None:
    from streamcall.clients.mistral import Mistral
    from tests.replay import Reply

    body = b'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
    client = Mistral(api_key="k", server_url=server.route(Reply(body=body + b"data: {oops\n\n")))
    OPEN.append(client)
    stream = call_decorator("mistral")("m", stream=True, client=client)(lambda: "hi")()
    with pytest.raises(StreamcallError) as first:
        list(stream)
    assert stream.state == "failed"
    assert stream.content == "Hi"
    with pytest.warns(ReplayWarning), pytest.raises(StreamcallError) as again:
        list(stream)
    assert again.value is first.value is stream.error
    with pytest.warns(ReplayWarning), pytest.raises(StreamcallError):
        events = []
        for event in stream.events():
            events.append(event)
    assert [type(e).__name__ for e in events] == ["ErrorEvent"]


def test_async_and_llm_call(server: ReplayServer) -> None:
    fn = _mistral(server, True, asynchronous=True)

    async def run() -> Any:
        stream = await fn()
        async with stream:
            text = "".join([chunk.content async for chunk, _ in stream])
        with pytest.warns(ReplayWarning):
            assert [pair async for pair in stream] == []
        with pytest.warns(ReplayWarning):
            assert [event async for event in stream.aevents()] == []
        await OPEN[-1].aclose()  # the async connections, on this loop
        return text, stream

    text, stream = asyncio.run(run())
    assert text == "Hi there"
    assert stream._history == []

    from streamcall.clients.mistral import Mistral

    client = Mistral(api_key="k", server_url=_mistral_url(server))
    OPEN.append(client)

    @llm.call(provider="mistral", model="m", stream=True, client=client)
    def ask() -> str:
        return "hi"

    wrapped = ask()
    assert "".join(chunk.content for chunk, _ in wrapped) == "Hi there"
    assert wrapped.stream._lean
    assert wrapped.content == "Hi there"
    with pytest.warns(ReplayWarning):
        assert list(wrapped) == []


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({"replay": "no"}, TypeError, "'replay' must be a bool"),
        ({"replay": False, "buffer": 1}, TypeError, r"unknown StreamConfig keys \['buffer'\]"),
        ({"partial_tools": True}, ConfigurationError, "partial tools is not supported"),
        ("yes", TypeError, "stream must be a bool or a StreamConfig"),
    ],
)
def test_bad_stream_config_is_a_typed_error(
    config: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call_decorator("mistral")("m", stream=config)


@pytest.mark.parametrize(
    "name", [n for n in NAMES if PROVIDERS[n].wire in ("mistral", "openai-chat")]
)
def test_chunks_kept_for_a_replay_hold_nothing_the_garbage_collector_tracks(
    server: ReplayServer, name: str
) -> None:
    """A replay keeps every chunk; an object the collector tracks in each (the SDK's list of
    choices was one) reaches its oldest generation, and a long answer then sets off full
    collections of the whole heap. After a young collection, no kept chunk holds one."""
    writer = writer_for(PROVIDERS[name])
    body = writer.write(Answer(text=tuple(f"w{i} " for i in range(200))), "official")
    recovered = run_call(server, name, body, replay=True)
    kept = [entry for entry in recovered.stream._history if entry.__class__ is not list]
    assert len(kept) > 200
    gc.collect(0)
    tracked = [chunk for chunk in kept if any(map(gc.is_tracked, gc.get_referents(chunk.chunk)))]
    tracked += [c for c in kept if gc.is_tracked(getattr(c.chunk, "data", c.chunk).choices)]
    assert tracked == []
