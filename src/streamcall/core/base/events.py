"""Neutral stream events: what a stream carried, as one typed sequence for every provider.

``stream.events()`` (``async for event in stream.aevents()``) iterates the stream, or replays
a consumed one, and yields these events in order. They are derived, lazily, from what each
chunk says in neutral terms (its :class:`~streamcall.core.base.call_response_chunk.ChunkFacts`)
and from a :class:`~streamcall.core.base._accumulate.ToolCallAssembler`: a stream iterated
only with ``for chunk, tool in stream`` never builds them.

Per provider event, in this order: :class:`RawEvent` (only with ``events(raw=True)``),
:class:`ThinkingDelta`, :class:`ThinkingSignature`, :class:`TextDelta`, the tool-call events
(:class:`ToolCallEnd` of the calls a new call finishes, then :class:`ToolCallStart`,
:class:`ToolCallDelta`, and :class:`ToolCallEnd` when the call arrived whole), then
:class:`UsageUpdate`. When the provider's stream has ended: :class:`ToolCallEnd` of the calls
still open, then one :class:`Finish`. On an error: :class:`ToolCallEnd` of the calls it stopped
in the middle of (``call.finished`` false), then :class:`ErrorEvent`, after which the
iteration raises that error (a tool call that cannot become a tool is such an error: it comes
after the ``Finish``, as the stream raises it after the end). A cancelled stream's events
stop where it stopped: no ``Finish``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeAlias

import msgspec

from streamcall.core.base._accumulate import (
    AssembledToolCall,
    ToolCallAssembler,
    ToolCallPart,
    Usage,
    merge_usage,
)

if TYPE_CHECKING:
    from streamcall.core.base.stream import BaseStream

__all__ = [
    "ErrorEvent",
    "Finish",
    "RawEvent",
    "StreamEvent",
    "TextDelta",
    "ThinkingDelta",
    "ThinkingSignature",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
    "UsageUpdate",
]


class TextDelta(msgspec.Struct, frozen=True, gc=False):
    """Answer text."""

    text: str


class ThinkingDelta(msgspec.Struct, frozen=True, gc=False):
    """Thinking / reasoning text, kept apart from the answer."""

    text: str


class ThinkingSignature(msgspec.Struct, frozen=True, gc=False):
    """The signature of the thinking so far (Anthropic), needed to send the thinking back."""

    signature: str


class ToolCallStart(msgspec.Struct, frozen=True, gc=False):
    """A tool call begins (``id`` may be ``None`` where the provider sends none)."""

    id: str | None
    name: str
    index: int | None


class ToolCallDelta(msgspec.Struct, frozen=True, gc=False):
    """A fragment of a tool call's argument JSON (a call that arrived whole: all of it)."""

    id: str | None
    index: int | None
    arguments: str


class ToolCallEnd(msgspec.Struct, frozen=True, gc=False):
    """A tool call is finished: the same object as in ``stream.tool_calls``; ``call.error`` is
    set when its arguments are not a JSON object, or when the stream failed in its middle
    (``call.finished`` is then false, before the ``ErrorEvent``)."""

    call: AssembledToolCall


class UsageUpdate(msgspec.Struct, frozen=True, gc=False):
    """The usage so far, merged by the provider's rule (a new object each time)."""

    usage: Usage


class Finish(msgspec.Struct, frozen=True, gc=False):
    """The provider's stream has ended: common finish reasons and the provider's own
    (``None`` when it sent none)."""

    reasons: list[str] | None
    provider_reasons: list[str] | None


class ErrorEvent(msgspec.Struct, frozen=True, gc=False):
    """The stream failed; the iteration raises ``error`` right after this event."""

    error: BaseException


class RawEvent(msgspec.Struct, frozen=True, gc=False):
    """The provider's own event (``events(raw=True)``), before the events derived from it."""

    raw: Any


StreamEvent: TypeAlias = (
    TextDelta
    | ThinkingDelta
    | ThinkingSignature
    | ToolCallStart
    | ToolCallDelta
    | ToolCallEnd
    | UsageUpdate
    | Finish
    | ErrorEvent
    | RawEvent
)
"""Any neutral stream event."""


class EventTranslator:
    """Turns the chunks of one stream, in order, into events (the one place they are made).

    Call it with each chunk the stream yields (a tool's extra pair, or the pairs finished at
    the end, reuse a provider event already translated and add nothing), then
    :meth:`end` once the iteration has stopped.
    """

    __slots__ = ("_calls", "_done", "_last", "_raw", "_spent", "_stream", "_tools", "_usage")

    def __init__(self, stream: BaseStream[Any, Any, Any], raw: bool = False) -> None:
        if stream.state == "streaming":
            raise RuntimeError("this stream is already being iterated")
        self._stream = stream
        self._raw = raw
        self._tools = ToolCallAssembler(stream._sequential_tool_calls)
        self._calls = stream._acc.tool_calls  # the stream's own finished calls, in order
        self._done = 0
        self._last: Any = None
        self._usage: Usage | None = None
        self._spent = stream._lean and stream.state != "new"  # a second iteration: no events

    def __call__(self, chunk: Any) -> list[StreamEvent]:
        """The events of the provider event behind ``chunk`` (none when already translated)."""
        if chunk is None or chunk.chunk is self._last:
            return []
        self._last = chunk.chunk
        facts = chunk.facts
        events: list[StreamEvent] = [RawEvent(chunk.chunk)] if self._raw else []
        if facts.thinking:
            events.append(ThinkingDelta(facts.thinking))
        if facts.signature:
            events.append(ThinkingSignature(facts.signature))
        if facts.content:
            events.append(TextDelta(facts.content))
        for part in facts.tool_parts:
            self._tool_part(part, events)
        if facts.usage is not None:
            events.append(UsageUpdate(self._merge_usage(chunk)))
        return events

    def _merge_usage(self, chunk: Any) -> Usage:
        """The usage so far, merged into a copy (the usage an earlier event carries never
        changes); where the provider's chunk adds detail to the neutral form (a subclass of
        ``Usage``, as Cohere's processed tokens), that form with the merged counts."""
        previous = None if self._usage is None else dataclasses.replace(self._usage)
        merged = merge_usage(previous, chunk.facts.usage)
        detailed = chunk.common_usage
        if detailed is not None and type(detailed) is not Usage:
            counts = {f.name: getattr(merged, f.name) for f in dataclasses.fields(Usage)}
            merged = dataclasses.replace(detailed, **counts)
        self._usage = merged
        return merged

    def end(self, error: BaseException | None) -> list[StreamEvent]:
        """The events after the last chunk: the calls still open and ``Finish`` once the
        provider's stream has ended, then ``ErrorEvent`` when the iteration failed."""
        from streamcall.errors import ToolCallError

        stream = self._stream
        events: list[StreamEvent] = []
        if self._spent:  # nothing was yielded again: no ends, no Finish
            return [ErrorEvent(error)] if error is not None else []
        if stream.state == "complete" or isinstance(error, ToolCallError):  # the wire ended
            events.extend(self._ends(self._tools.finish()))
            events.append(Finish(stream.common_finish_reasons, stream.finish_reasons))
        elif error is not None:  # the calls the stream stopped in the middle of: unfinished
            events.extend(self._ends(self._tools.stop()))
        if error is not None:
            events.append(ErrorEvent(error))
        return events

    def _tool_part(self, part: ToolCallPart, events: list[StreamEvent]) -> None:
        tools = self._tools
        target = tools.find(part)
        finished = tools.add(part)
        # As the assembler decides: a part it cannot place starts a call, unless it is the
        # bare end of a block that was no tool call.
        new = target is None and not (part.complete and part.id is None and part.name is None)
        own = finished[-1:] if part.complete and (new or target is not None) else []
        events.extend(self._ends(finished[: len(finished) - len(own)]))
        if new:
            events.append(ToolCallStart(part.id, part.name or "", part.index))
        if part.arguments:
            text = (
                part.arguments
                if isinstance(part.arguments, str)
                else msgspec.json.encode(part.arguments).decode()
            )
            if target is not None:
                events.append(ToolCallDelta(target.id, target.index, text))
            else:
                events.append(ToolCallDelta(part.id, part.index, text))
        events.extend(self._ends(own))

    def _ends(self, calls: list[AssembledToolCall]) -> list[StreamEvent]:
        """``ToolCallEnd`` of each call, as the stream's own object where it has it."""
        events: list[StreamEvent] = []
        for call in calls:
            if self._done < len(self._calls):
                call = self._calls[self._done]
            self._done += 1
            events.append(ToolCallEnd(call))
        return events
