"""``BaseStream``: the object a ``stream=True`` call returns.

Iterate it (``for chunk, tool in stream``, or ``async for``) to receive each provider chunk and,
when a tool call completes, the tool instance. While it runs, the stream accumulates everything a
user needs (text, thinking, tool calls, usage by the provider's own rule, finish reasons, ids,
timing); after it ends, ``cost``, ``message_param`` and ``construct_call_response()`` are ready.

Fixed where Mirascope v1 is wrong: usage is merged (cumulative totals replace, never added
twice); a usage-only final chunk does not erase ``finish_reasons``; iterating a consumed stream
replays it; ``start_time``/``end_time`` are set for async too; ``construct_call_response()`` works
after tools; ``close()`` / ``aclose()`` / ``with`` release the connection; an error mid-stream
keeps everything received before it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from streamcall.core.base._accumulate import AssembledToolCall, StreamAccumulator, Usage
from streamcall.core.base._views import ContextViews, CostViews
from streamcall.core.base.call_response import BaseCallResponse, CallContext
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk
from streamcall.errors import ToolCallError

if TYPE_CHECKING:
    from streamcall.core.base.tool import BaseTool

__all__ = ["BaseStream"]

ChunkT = TypeVar("ChunkT", bound=BaseCallResponseChunk[Any])
ResponseT = TypeVar("ResponseT", bound=BaseCallResponse[Any])
ToolT = TypeVar("ToolT", bound="BaseTool")

Pair = tuple[Any, Any]


def _now_ms() -> float:
    return time.time() * 1000


class BaseStream(CostViews, ContextViews, Generic[ChunkT, ResponseT, ToolT]):
    """A streamed call. See the module docstring; providers set the class attributes and
    implement :meth:`_message_param` and :meth:`_build_response`."""

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]]
    _sequential_tool_calls: ClassVar[bool] = True
    call_response_type: ClassVar[type[BaseCallResponse[Any]]]

    def __init__(self, raw: Any, context: CallContext) -> None:
        self._raw = raw
        self._context = context
        self._acc = StreamAccumulator(self._sequential_tool_calls)
        self._history: list[Any] = []  # a chunk (yielded with no tool), or a list of pairs
        self._state = "new"  # new -> running -> done | failed
        self.start_time: float = 0.0
        self.end_time: float = 0.0
        self.error: BaseException | None = None
        self.tool_errors: list[ToolCallError] = []
        """Every tool call that could not become a tool (unknown name, arguments that do not
        fit), in order. The stream raises the first one after it has ended."""

    # -- iteration ----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[ChunkT, ToolT | None]]:
        if self._state != "new":
            return self._replay()
        return self._run()

    def __aiter__(self) -> AsyncIterator[tuple[ChunkT, ToolT | None]]:
        if self._state != "new":
            return self._areplay()
        return self._arun()

    @property
    def stream(self) -> Iterator[tuple[ChunkT, ToolT | None]]:
        """The ``(chunk, tool)`` pairs: same as iterating the stream itself."""
        return iter(self)

    def _recorded(self) -> list[Pair]:
        if self._state == "running":
            raise RuntimeError("this stream is already being iterated")
        pairs: list[Pair] = []
        for entry in self._history:
            if entry.__class__ is list:
                pairs.extend(entry)
            else:
                pairs.append((entry, None))
        return pairs

    def _replay(self) -> Iterator[Pair]:
        """What the stream delivered, again; a stream that failed fails again at the end."""
        yield from self._recorded()
        if self.error is not None:
            raise self.error

    def _raw_events(self) -> list[Any]:
        """The provider's raw events received so far, in order, each once (the pairs of a
        tool chunk, and the tools finished at the end, reuse an event already counted)."""
        events: list[Any] = []
        last: Any = None
        for entry in self._history:
            chunks = [pair[0] for pair in entry] if entry.__class__ is list else [entry]
            for chunk in chunks:
                raw = chunk.chunk if chunk is not None else None
                if raw is not None and raw is not last:
                    events.append(raw)
                    last = raw
        return events

    async def _areplay(self) -> AsyncIterator[Pair]:
        for pair in self._recorded():
            yield pair
        if self.error is not None:
            raise self.error

    @classmethod
    def _wrap(cls, raw: Any) -> Any:
        """The provider chunk for one raw event."""
        return cls._chunk_type.of(raw)

    def _run(self) -> Generator[Pair, None, None]:
        self._begin()
        wrap = self._wrap
        handle = self._handle
        try:
            for raw in self._raw:
                chunk = wrap(raw)
                pairs = handle(chunk)
                if pairs is None:
                    yield chunk, None
                else:
                    yield from pairs
            yield from self._end_of_stream()
            self._raise_tool_errors()
        except BaseException as exc:
            self._fail(exc)
            raise
        finally:
            self._finish()
            close = getattr(self._raw, "close", None)
            if close is not None:
                close()

    async def _arun(self) -> AsyncIterator[Pair]:
        self._begin()
        wrap = self._wrap
        handle = self._handle
        try:
            async for raw in self._raw:
                chunk = wrap(raw)
                pairs = handle(chunk)
                if pairs is None:
                    yield chunk, None
                else:
                    for pair in pairs:
                        yield pair
            for pair in self._end_of_stream():
                yield pair
            self._raise_tool_errors()
        except BaseException as exc:
            self._fail(exc)
            raise
        finally:
            self._finish()
            aclose = getattr(self._raw, "aclose", None)
            if aclose is not None:
                await aclose()

    def _begin(self) -> None:
        self._state = "running"
        self.start_time = _now_ms()

    def _handle(self, chunk: Any) -> list[Pair] | None:
        """Fold one chunk into the state (shared by sync and async).

        Returns ``None`` for the common chunk without tool calls (yield ``(chunk, None)``),
        else the pairs to yield. The history keeps the chunk itself, or the pairs: a stream
        holds thousands of chunks, and they must not be objects the garbage collector tracks.
        """
        facts = chunk.facts
        acc = self._acc
        if facts.content:
            acc.text_parts.append(facts.content)
        if facts.thinking:
            acc.thinking_parts.append(facts.thinking)
        if facts.usage is not None:
            acc.add_usage(facts.usage)
        if facts.finish_reasons:
            acc.finish_reasons = facts.finish_reasons
        if facts.id:
            acc.id = facts.id
        if facts.model:
            acc.model = facts.model
        if not facts.tool_parts:
            self._history.append(chunk)
            return None
        done: list[AssembledToolCall] = []
        for part in facts.tool_parts:
            done.extend(acc.add_tool_part(part))
        pairs = self._pairs_for_tools(chunk, done) or [(chunk, None)]
        self._history.append(pairs)
        return pairs

    def _end_of_stream(self) -> list[Pair]:
        done = self._acc.finish_tools()
        if not done:
            return []
        last = self._history[-1] if self._history else None
        if last.__class__ is list:  # the pairs of a tool chunk
            last = last[-1][0]
        pairs = [
            (last.tool_only() if last is not None else None, tool) for tool in self._tools_for(done)
        ]
        if pairs:
            self._history.append(pairs)
        return pairs

    def _pairs_for_tools(self, chunk: Any, done: list[AssembledToolCall]) -> list[Pair]:
        return [
            (chunk if i == 0 else chunk.tool_only(), tool)
            for i, tool in enumerate(self._tools_for(done))
        ]

    def _tools_for(self, calls: list[AssembledToolCall]) -> list[BaseTool]:
        tools = []
        for call in calls:
            try:
                tools.append(self._tool_for(call))
            except ToolCallError as exc:  # raised once the stream has ended: nothing is lost
                self.tool_errors.append(exc)
        return tools

    def _raise_tool_errors(self) -> None:
        if self.tool_errors:
            raise self.tool_errors[0]

    def _fail(self, exc: BaseException) -> None:
        if not isinstance(exc, GeneratorExit):
            self.error = exc
        self._state = "failed"

    def _finish(self) -> None:
        if self._state == "running":
            self._state = "done"
        self.end_time = _now_ms()

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connection (safe at any time; what arrived stays available)."""
        close = getattr(self._raw, "close", None)
        if close is not None:
            close()
        if self._state == "new":
            self._state = "done"

    async def aclose(self) -> None:
        """Release the connection of an async stream."""
        aclose = getattr(self._raw, "aclose", None)
        if aclose is not None:
            await aclose()
        if self._state == "new":
            self._state = "done"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- what the stream carried --------------------------------------------------------------

    @property
    def content(self) -> str:
        """The text so far."""
        return self._acc.text

    @property
    def thinking(self) -> str:
        """The thinking / reasoning text so far, kept apart from ``content``."""
        return self._acc.thinking

    def _has_tool_calls(self) -> bool:
        return bool(self._acc.tool_calls)

    @property
    def tool_calls(self) -> list[AssembledToolCall]:
        """The tool calls completed so far."""
        return list(self._acc.tool_calls)

    @property
    def model(self) -> str:
        """The model the provider reports (else the one asked for)."""
        return self._acc.model or self._context.model

    @property
    def id(self) -> str | None:
        """The response id."""
        return self._acc.id

    @property
    def finish_reasons(self) -> list[str] | None:
        """The provider's own finish reasons (kept even when a usage-only chunk follows)."""
        return self._acc.finish_reasons

    @property
    def common_usage(self) -> Usage | None:
        """Usage so far in neutral form."""
        return self._acc.usage

    # -- the call's context -------------------------------------------------------------------

    @property
    def message_param(self) -> Any:
        """The assistant message to append to the conversation (text and tool calls so far)."""
        return self.construct_call_response().message_param

    def tool_message_params(self, tools_and_outputs: list[tuple[BaseTool, Any]]) -> list[Any]:
        """The messages that return tool results to the model."""
        return self.call_response_type.tool_message_params(tools_and_outputs)

    def construct_call_response(self) -> ResponseT:
        """A whole response built from what the stream carried (works mid-stream too)."""
        response: ResponseT = self._build_response()  # type: ignore[assignment]
        response.start_time = self.start_time
        response.end_time = self.end_time
        return response

    def _build_response(self) -> BaseCallResponse[Any]:
        raise NotImplementedError
