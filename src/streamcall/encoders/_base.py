"""What every encoder shares: the encoder's interface, usage in OpenAI's sense, and the two
edges that drive an encoder from a stream's neutral events (sync and async)."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, ClassVar, Protocol, TypeVar

import msgspec

from streamcall.core.base._accumulate import AssembledToolCall, Usage
from streamcall.core.base.events import ErrorEvent, Finish, StreamEvent

__all__ = ["EncodableStream", "Encoder", "aencode", "encode", "new_id", "openai_counts"]

_json = msgspec.json.Encoder()

T = TypeVar("T")


class EncodableStream(Protocol):
    """What an encoder's edges read of a stream: a call-layer ``BaseStream``, an
    ``llm.Stream``, the local model's stream."""

    @property
    def id(self) -> str | None:
        """The response id, once the provider sent one."""

    @property
    def model(self) -> str:
        """The model."""

    def events(self) -> Iterator[StreamEvent]:
        """The neutral events (sync streams)."""

    def aevents(self) -> AsyncIterator[StreamEvent]:
        """The neutral events (async streams)."""

    def cancel(self) -> None:
        """Stop a sync stream and close its connection."""

    def acancel(self) -> Awaitable[None]:
        """Stop an async stream and close its connection."""


def json_bytes(value: Any) -> bytes:
    """Compact JSON (UTF-8, non-ASCII kept)."""
    return _json.encode(value)


def new_id(prefix: str) -> str:
    """A fresh id for what the stream named none (``prefix`` + 24 hex digits)."""
    return prefix + uuid.uuid4().hex[:24]


def first(reasons: list[str] | None) -> str | None:
    """The first finish reason (``None``: none given)."""
    return reasons[0] if reasons else None


def reason_in(
    event: Finish, tool_calls: bool, own: frozenset[str], common: Mapping[str, str]
) -> str:
    """A format's finish reason: ``common["tool_calls"]`` when the answer ended in tool calls
    (and nothing else was said), else the provider's own where the format has it (``own``),
    else the common one mapped (``common``; ``"stop"``'s when it has none)."""
    said = first(event.reasons)
    if tool_calls and said in (None, "stop", "tool_calls"):
        return common["tool_calls"]
    provider = first(event.provider_reasons)
    if provider in own:
        return provider
    return common.get(said or "stop", common["stop"])


def error_text(error: BaseException) -> str:
    """The message an error is forwarded with (streamcall's errors are already redacted)."""
    return str(error) or type(error).__name__


def openai_counts(usage: Usage) -> dict[str, int]:
    """Usage counted as OpenAI counts it: prompt tokens include cached ones (and, from
    Anthropic, cache writes), completion tokens include reasoning ones."""
    cached = usage.cached_tokens or 0
    prompt = usage.input_tokens or 0
    if not usage.input_includes_cached:
        prompt += cached + (usage.cache_write_tokens or 0)
    reasoning = usage.reasoning_tokens or 0
    completion = usage.output_tokens or 0
    if not usage.output_includes_reasoning:
        completion += reasoning
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cached_tokens": cached,
        "reasoning_tokens": reasoning,
    }


class Encoder:
    """Neutral events in, bytes of one wire format out (pure: no I/O).

    Feed it a stream's events in order with :meth:`feed`; it holds what the format needs
    (ids, indices, open blocks). ``id`` and ``model`` name the message; the edges set them
    from the stream before the first event, when the stream has them.
    """

    media_type: ClassVar[str] = "text/event-stream"
    headers: ClassVar[dict[str, str]] = {}
    id_prefix: ClassVar[str] = ""

    def __init__(self, *, id: str | None = None, model: str | None = None) -> None:
        self.id = id
        self.model = model
        self.started = False
        self.error: BaseException | None = None

    def name(self, id: str | None, model: str | None) -> None:
        """Take the stream's id and model where none was given (before the first event)."""
        self.id = self.id or id
        self.model = self.model or model

    def take(self, event: StreamEvent, stream: EncodableStream) -> bytes:
        """:meth:`feed`, naming the message after ``stream`` first (what the edges call)."""
        if not self.started:
            self.name(stream.id, stream.model)
        return self.feed(event)

    def forwarded(self, error: BaseException) -> bool:
        """Whether ``error`` was forwarded (an ``ErrorEvent`` fed): the output says it."""
        return error is self.error

    def feed(self, event: StreamEvent) -> bytes:
        """The bytes this event adds to the output (often none)."""
        out: list[bytes] = []
        if not self.started:
            self.started = True
            self.id = self.id or new_id(self.id_prefix)
            self.model = self.model or "unknown"
            self._start(out)
        if isinstance(event, ErrorEvent):
            self.error = event.error
        self._event(event, out)
        return b"".join(out)

    calls_tools: bool = False
    """Whether the edges call the tools of the stream's tool calls (:meth:`due`) and feed
    what each returned (:meth:`tool_output`) or raised (:meth:`tool_error`)."""

    def due(self) -> list[tuple[str, AssembledToolCall]]:
        """The tool calls to call now (each once, taken from the encoder), with the id the
        output names each by."""
        return []

    def tool_output(self, call_id: str, output: Any) -> bytes:
        """The bytes of what the tool of call ``call_id`` returned."""
        return b""

    def tool_error(self, call_id: str, error: BaseException) -> bytes:
        """The bytes of what the tool of call ``call_id`` raised."""
        return b""

    def _start(self, out: list[bytes]) -> None:
        """What opens the output."""

    def _event(self, event: StreamEvent, out: list[bytes]) -> None:
        raise NotImplementedError


def encode(stream: EncodableStream, encoder: Encoder) -> Iterator[bytes]:
    """Drive ``encoder`` from a sync stream's events: the bytes of each event, in order.

    As ``stream.events()``: on an error the error's bytes come last and the error is raised
    after them. Closing the iterator early (a client gone) closes the stream's events, which
    cancels the stream and closes the provider's connection at once. With an encoder that
    calls tools, each finished tool call's tool is called (``tool.call()``) after the call's
    bytes, and its output's bytes follow (an async tool is an error here: use :func:`aencode`).
    """
    if encoder.calls_tools:
        return (o for e in stream.events() for o in _outputs(stream, encoder, e, _refused))
    return (out for event in stream.events() if (out := encoder.take(event, stream)))


def aencode(stream: EncodableStream, encoder: Encoder) -> AsyncIterator[bytes]:
    """:func:`encode` for an async stream (closed early, the stream's events are closed by
    the event loop's finalizer; ``await stream.acancel()`` closes the connection at once).
    A tool's ``call()`` that returns an awaitable is awaited."""
    if encoder.calls_tools:
        return _aencode_calling(stream, encoder)
    return (out async for event in stream.aevents() if (out := encoder.take(event, stream)))


async def _aencode_calling(stream: EncodableStream, encoder: Encoder) -> AsyncIterator[bytes]:
    async for event in stream.aevents():
        for out in _outputs(stream, encoder, event, _settled):
            yield out if isinstance(out, bytes) else await out


def _outputs(
    stream: EncodableStream,
    encoder: Encoder,
    event: StreamEvent,
    settle: Callable[[Encoder, str, Awaitable[Any]], T],
) -> Iterator[bytes | T]:
    """The bytes of ``event``, then those of each tool call it finished: what its tool
    returned or raised; what an async tool's ``call()`` returned goes to ``settle``."""
    if out := encoder.take(event, stream):
        yield out
    for call_id, call in encoder.due():
        inner: Any = getattr(stream, "stream", stream)  # a wrapper's: the stream it wraps
        make = getattr(stream, "tool_for", None) or inner.tool_for
        try:
            result = make(call).call()
        except Exception as exc:  # a call that is no tool of the stream's raises here too
            yield encoder.tool_error(call_id, exc)
            continue
        if inspect.isawaitable(result):
            yield settle(encoder, call_id, result)
        else:
            yield encoder.tool_output(call_id, result)


def _refused(encoder: Encoder, call_id: str, result: Awaitable[Any]) -> bytes:
    """An async tool in a sync stream: an error (its coroutine closed, never awaited)."""
    if inspect.iscoroutine(result):
        result.close()
    error = TypeError("the tool's call() is async: encode the stream with the async edge")
    return encoder.tool_error(call_id, error)


async def _settled(encoder: Encoder, call_id: str, result: Awaitable[Any]) -> bytes:
    """What an async tool returned or raised."""
    try:
        output = await result
    except Exception as exc:
        return encoder.tool_error(call_id, exc)
    return encoder.tool_output(call_id, output)
