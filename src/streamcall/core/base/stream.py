"""``BaseStream``: the object a ``stream=True`` call returns.

Iterate it (``for chunk, tool in stream``, or ``async for``) to receive each provider chunk and,
when a tool call completes, the tool instance; or iterate ``stream.events()`` /
``stream.aevents()`` for the same stream as neutral events (:mod:`.events`). While it runs, the
stream accumulates everything a user needs (text, thinking, tool calls, usage by the provider's
own rule, finish reasons, ids, timing); after it ends, ``cost``, ``message_param`` and
``construct_call_response()`` are ready.

The lifecycle, in ``stream.state``: ``"new"`` (not iterated yet), ``"streaming"``, then
``"complete"`` (the provider's stream ended normally), ``"cancelled"`` (the consumer stopped it:
``break``, ``close()`` / ``aclose()`` before the end, ``cancel()`` / ``acancel()``, Ctrl-C, a
cancelled task) or ``"failed"`` (``stream.error`` holds the error). A cancelled stream keeps
what arrived: ``construct_call_response()`` builds the interrupted response (text, tool calls,
those it stopped in the middle of marked ``finished=False``, usage so far; ``finish_reasons``
stays what the provider sent, ``None`` if nothing).
A sync stream is stopped with ``cancel()`` (or ``close()``), an async one with
``await acancel()`` (or ``await aclose()``), as the official SDKs close their ``Stream`` /
``AsyncStream``. An async ``break`` is seen when the event loop finalizes the loop's
generator; inside ``async with stream`` (or with ``await stream.aclose()``) at once.

A stream keeps no chunks once they are yielded (a few bytes an event: its text in pieces, and
the few events a provider builds its response from, :meth:`BaseStream._keep`): iterating a
consumed stream again yields nothing and warns (``ReplayWarning``), as a consumed SDK stream and
Mirascope v1's yield nothing. A stream made with ``stream={"replay": True}`` keeps each chunk
(about 1 KB an event) and replays them when iterated again.

Fixed where Mirascope v1 is wrong: usage is merged (cumulative totals replace, never added twice); a
usage-only final chunk does not erase ``finish_reasons``; iterating a consumed stream does not empty
its content (and replays it with ``{"replay": True}``); ``start_time`` / ``end_time`` are set for
async too; ``construct_call_response()`` works after tools; ``close()`` / ``aclose()`` / ``with``
release the connection; an error mid-stream keeps everything received before it.
"""

from __future__ import annotations

import contextlib
import inspect
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    Self,
    TypeAlias,
    TypeVar,
    cast,
)

from streamcall._lifecycle import AsyncCloseable, Closeable
from streamcall.core.base._accumulate import (
    PIECE,
    AssembledToolCall,
    StreamAccumulator,
    Usage,
    keep_unfinished,
)
from streamcall.core.base._views import ContextViews, CostViews
from streamcall.core.base.call_response import BaseCallResponse, CallContext
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk
from streamcall.errors import ToolCallError

if TYPE_CHECKING:
    from streamcall.core.base.events import EventTranslator, StreamEvent
    from streamcall.core.base.tool import BaseTool

__all__ = ["BaseStream", "StreamState", "StreamWrapper"]

ChunkT = TypeVar("ChunkT", bound=BaseCallResponseChunk[Any])
ResponseT = TypeVar("ResponseT", bound=BaseCallResponse[Any])
ToolT = TypeVar("ToolT", bound="BaseTool")
T = TypeVar("T")

Pair = tuple[Any, Any]

StreamState: TypeAlias = Literal["new", "streaming", "complete", "cancelled", "failed"]
"""Where a stream is: see the module docstring."""


def _now_ms() -> float:
    return time.time() * 1000


async def _async_iter(items: Iterable[T]) -> AsyncIterator[T]:
    """An async iterator over what is already here (a replay): nothing to await."""
    for item in items:
        yield item


def _close(target: Any) -> None:
    """Close a generator or the provider's event stream, now."""
    close = getattr(target, "close", None)
    if close is not None:
        with contextlib.suppress(ValueError):  # a generator running in another thread
            close()


async def _aclose(target: Any) -> None:
    """Close an async generator or the provider's async event stream (else as :func:`_close`)."""
    if (aclose := getattr(target, "aclose", None)) is None:
        _close(target)
    else:
        with contextlib.suppress(RuntimeError):  # an async generator another task is running
            await aclose()


async def _aclose_in_turn(*targets: Any) -> None:
    """:func:`_aclose` each target given, in order (a wrapper's loop, then its stream)."""
    for target in targets:
        if target is not None:
            await _aclose(target)


class ReplayWarning(UserWarning):
    """A stream made without ``stream={"replay": True}`` was iterated after it had run
    (consumed, cancelled or failed): it kept no chunks, so the iteration yields nothing (its
    text, tool calls, usage and ``construct_call_response()`` remain)."""

    def __init__(self) -> None:
        super().__init__(
            "this stream has already run (consumed, cancelled or failed) and keeps no chunks: "
            "iterating it again yields nothing; its content, tool calls, usage and "
            "construct_call_response() remain (stream={'replay': True} keeps the chunks)"
        )


class BaseStream(
    Closeable, AsyncCloseable, CostViews, ContextViews, Generic[ChunkT, ResponseT, ToolT]
):
    """A streamed call. See the module docstring; providers set the class attributes and
    implement :meth:`_message_param` and :meth:`_build_response`."""

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]]
    _sequential_tool_calls: ClassVar[bool] = True
    call_response_type: ClassVar[type[BaseCallResponse[Any]]]

    def __init__(self, raw: Any, context: CallContext, *, replay: bool = False) -> None:
        self._raw = raw
        self._context = context
        self._acc = StreamAccumulator(self._sequential_tool_calls)
        self._history: list[Any] = []  # a chunk (yielded with no tool), or a list of pairs
        self._lean = not replay  # keep only what the response needs: see _fold_lean
        self._last: Any = None  # the last chunk, when lean
        self._state: StreamState = "new"
        self._live: weakref.ref[Any] | None = None  # the generator iterating the provider
        self._running: AsyncIterator[Pair] | None = None  # that generator, in `async with`
        self._in_block = False
        self.start_time: float = 0.0
        self.end_time: float = 0.0
        self.error: BaseException | None = None
        """The error that failed the stream (``state == "failed"``), else ``None``."""
        self.tool_errors: list[ToolCallError] = []
        """Every tool call that could not become a tool (unknown name, arguments that do not
        fit), in order. The stream raises the first one after it has ended."""

    @property
    def state(self) -> StreamState:
        """``"new"``, ``"streaming"``, ``"complete"``, ``"cancelled"`` or ``"failed"``."""
        return self._state

    @property
    def is_async(self) -> bool:
        """Whether the stream is async: iterated with ``async for`` (``aevents()``), stopped
        with ``await aclose()`` / ``acancel()`` (made by an ``async def`` call)."""
        raw = self._raw
        return hasattr(raw, "__aiter__") or inspect.iscoroutinefunction(getattr(raw, "close", None))

    # -- iteration ----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[ChunkT, ToolT | None]]:
        if self._state != "new":
            return self._replay()
        run = self._run()
        self._live = weakref.ref(run)
        return run

    def __aiter__(self) -> AsyncIterator[tuple[ChunkT, ToolT | None]]:
        if self._state != "new":
            return _async_iter(self._replay())
        run = self._arun()
        self._live = weakref.ref(run)
        if self._in_block:  # leaving `async with` after a `break` closes it, not the GC (trio)
            self._running = run
        return run

    @property
    def stream(self) -> Iterator[tuple[ChunkT, ToolT | None]]:
        """The ``(chunk, tool)`` pairs: same as iterating the stream itself."""
        return iter(self)

    def _recorded(self) -> list[Pair]:
        if self._state == "streaming":
            raise RuntimeError("this stream is already being iterated")
        if self._lean:
            warnings.warn(ReplayWarning(), stacklevel=4)
            return []
        pairs: list[Pair] = []
        for entry in self._history:
            if entry.__class__ is list:
                pairs.extend(entry)
            else:
                pairs.append((entry, None))
        return pairs

    def _replay(self) -> Iterator[Pair]:
        """What the stream delivered, again (nothing without a replay); a stream that failed
        fails again at the end."""
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

    @classmethod
    def _wrap(cls, raw: Any) -> Any:
        """The provider chunk for one raw event."""
        return cls._chunk_type.of(raw)

    # The provider loop, written twice only because one side awaits: every decision is in
    # _begin, _handle, _end, _complete and _stop.

    def _run(self) -> Generator[Pair, None, None]:
        wrap, handle = self._begin()
        try:
            for raw in self._raw:
                if (pairs := handle(chunk := wrap(raw))) is None:
                    yield chunk, None
                else:
                    yield from pairs
            yield from self._end()
            self._complete()
        except BaseException as exc:
            if self._stop(exc):
                raise
        finally:
            _close(self._raw)
            _close(self._owned)

    async def _arun(self) -> AsyncIterator[Pair]:
        wrap, handle = self._begin()
        try:
            async for raw in self._raw:
                if (pairs := handle(chunk := wrap(raw))) is None:
                    yield chunk, None
                else:
                    for pair in pairs:
                        yield pair
            for pair in self._end():
                yield pair
            self._complete()
        except BaseException as exc:
            if self._stop(exc):
                raise
        finally:
            await _aclose_in_turn(self._raw, self._owned)

    def _begin(self) -> tuple[Callable[[Any], Any], Callable[[Any], list[Pair] | None]]:
        """The stream starts; the steps of each raw event (:meth:`_wrap`, :meth:`_handle`)."""
        self._state = "streaming"
        self.start_time = _now_ms()
        if self._observer is not None:  # telemetry: only then does a chunk cost a call more
            return self._wrap, self._observer.watch(self._handle)
        return self._wrap, self._handle

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
            if self._lean:
                self._fold_lean(chunk)
            else:
                self._history.append(chunk)
            return None
        done: list[AssembledToolCall] = []
        for part in facts.tool_parts:
            done.extend(acc.add_tool_part(part))
        pairs = self._pairs_for_tools(chunk, done) or [(chunk, None)]
        if self._lean:
            self._fold_lean(chunk)
        self._history.append(pairs)
        return pairs

    def _fold_lean(self, chunk: Any) -> None:
        """A stream without ``replay`` keeps no chunk for a replay: its text is held
        in pieces, and only the chunks :meth:`_keep` asks for stay (a tool chunk's pairs are
        kept whatever it says)."""
        self._last = chunk
        acc = self._acc
        if len(acc.text_parts) - acc.text_done >= PIECE or acc.thinking_parts:
            acc.compact_text()
        if self._folds and self._keep(chunk) and not chunk.facts.tool_parts:
            self._history.append(chunk)

    _fold: ClassVar[type[Any] | None] = None
    """For a provider that builds its response by folding its events (an object with
    ``add(event)``): a stream without replay folds each event as it arrives (:meth:`_keep`),
    one with a replay folds its history when asked (:meth:`_events_folded`)."""
    _folded: Any = None  # that fold, as the events arrive, when the stream keeps no replay

    _folds: ClassVar[bool] = False
    """Whether :meth:`_keep` has work to do (set for subclasses with a fold or their own)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._folds = cls._keep is not BaseStream._keep or cls._fold is not None

    def _keep(self, chunk: Any) -> bool:
        """Whether a stream that keeps no replay must still keep ``chunk`` (sees every
        chunk, in order): what the provider builds its response or its views from. Most
        build from the accumulated state alone; a provider with a :attr:`_fold` folds the
        event and keeps nothing."""
        if self._fold is not None:
            if self._folded is None:
                self._folded = self._fold()
            self._folded.add(chunk.chunk)
        return False

    def _events_folded(self) -> Any:
        """The provider's :attr:`_fold` of every event received so far."""
        if self._lean and self._folded is not None:
            return self._folded
        fold = self._fold
        assert fold is not None, "only for a stream with a fold"
        folded = fold()
        for event in self._raw_events():
            folded.add(event)
        return folded

    def _end(self) -> list[Pair]:
        """The provider's stream has ended: the pairs of the tool calls still open (none when
        the consumer cancelled meanwhile, from another thread: they are kept, unfinished)."""
        if self._state != "streaming":
            self._acc.stop_tools()
            return []
        done = self._acc.finish_tools()
        if not done:
            return []
        last = self._last if self._lean else self._history[-1] if self._history else None
        if last.__class__ is list:  # the pairs of a tool chunk
            last = last[-1][0]
        pairs = [
            (last.tool_only() if last is not None else None, tool) for tool in self._tools_for(done)
        ]
        if pairs:
            self._history.append(pairs)
        return pairs

    def _complete(self) -> None:
        """After the last pair: raise the first tool error, else the stream is complete."""
        if self._state == "streaming":
            if self.tool_errors:
                raise self.tool_errors[0]
            self._state = "complete"
            self.end_time = _now_ms()
            self._ended()

    def _stop(self, exc: BaseException) -> bool:
        """Classify what stopped the iteration; whether to raise it on.

        An ``Exception`` fails the stream (``error``), unless the consumer had already
        cancelled it (what the closed connection then raises is no error: the loop just
        ends). Anything else (``GeneratorExit`` from ``break`` or ``close()``, Ctrl-C, a
        cancelled task) is the consumer stopping it: cancelled, and raised on. Either way the
        tool calls it stopped in the middle of are kept, marked unfinished.
        """
        self.end_time = _now_ms()
        self._acc.stop_tools()
        if not isinstance(exc, Exception):
            if self._state == "streaming":
                self._state = "cancelled"
            self._ended()
            return True
        if self._state == "cancelled":
            return False
        self.error = exc
        self._state = "failed"
        self._ended()
        return True

    _observer: Any = None
    """The call's telemetry (:mod:`streamcall.telemetry`), when something watches calls."""

    _owned: Any = None
    """The client the call layer made for this call alone (no ``client=`` given): closed
    with the stream, after its connection (its pool must not be left to the collector)."""

    def _ended(self) -> None:
        """The stream has ended (complete, cancelled or failed): tell its telemetry, if any."""
        if self._observer is not None:
            self._observer.end(self)

    def __del__(self) -> None:
        # Collected before it ended (never iterated to its end nor closed): its telemetry
        # ends the call as abandoned, so its span does not stay open forever.
        if self._observer is not None and not self._observer.ended:
            self._observer.abandon(self)
        super().__del__()

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

    # -- events -------------------------------------------------------------------------------

    def events(self, *, raw: bool = False) -> Iterator[StreamEvent]:
        """The stream as neutral events (:mod:`streamcall.core.base.events`): iterates it, or
        replays it once consumed. On an error, yields ``ErrorEvent`` and then raises the error.
        ``raw=True`` adds a ``RawEvent`` with each provider event."""
        translate = _translator(self, raw)
        try:
            for chunk, _tool in self:
                yield from translate(chunk)
        except Exception as exc:
            yield from translate.end(exc)
            raise
        yield from translate.end(None)

    async def aevents(self, *, raw: bool = False) -> AsyncIterator[StreamEvent]:
        """:meth:`events` for an async stream."""
        translate = _translator(self, raw)
        try:
            async for chunk, _tool in self:
                for event in translate(chunk):
                    yield event
        except Exception as exc:
            for event in translate.end(exc):
                yield event
            raise
        for event in translate.end(None):
            yield event

    # -- lifecycle ----------------------------------------------------------------------------

    def _closing(self, sync: bool) -> list[Any]:
        """Stopping the stream: cancelled unless it has ended; what to close, in order (the
        generator iterating the provider, if it still runs, then the provider's stream, then
        the client made for the call alone, if any)."""
        live = self._running or (self._live() if self._live is not None else None)
        close_raw = getattr(self._raw, "close", None)
        if sync and (inspect.isasyncgen(live) or inspect.iscoroutinefunction(close_raw)):
            raise TypeError("an async stream is closed with `await stream.aclose()` (or acancel())")
        if self._state in ("new", "streaming"):
            self._state = "cancelled"
            self.end_time = _now_ms()
            self._ended()
        return [live, self._raw, self._owned] if live is not None else [self._raw, self._owned]

    def close(self) -> None:
        """Stop the stream and release the connection; safe at any time and twice. Before
        the end the stream is cancelled (``state == "cancelled"``), keeping what arrived.
        ``cancel()`` is the same. Call it where the stream is iterated (inside the loop, or
        after it); an async stream is stopped with ``await aclose()`` / ``acancel()``."""
        for target in self._closing(sync=True):
            _close(target)

    async def aclose(self) -> None:
        """:meth:`close` for an async stream (a sync one too)."""
        for target in self._closing(sync=False):
            await _aclose(target)

    async def __aenter__(self) -> Self:
        self._in_block = True
        return self

    cancel = close
    acancel = aclose

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
        """The tool calls completed so far; once a stream failed or was cancelled, then the
        calls it stopped in the middle of (``finished=False``, their text so far)."""
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

    def tool_message_params(self, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """The messages that return tool results to the model."""
        return self.call_response_type.tool_message_params(tools_and_outputs)

    def tool_for(self, call: AssembledToolCall) -> ToolT:
        """A new instance of the tool of ``call`` (one of :attr:`tool_calls`, or a
        ``ToolCallEnd`` event's ``call``). Raises :class:`~streamcall.errors.ToolCallError`
        for a call that cannot become a tool (unknown name, arguments that do not fit, a call
        the stream stopped in the middle of)."""
        tool: ToolT = self._tool_for(call)  # type: ignore[assignment]
        return tool

    def construct_call_response(self) -> ResponseT:
        """A whole response built from what the stream carried (works mid-stream too)."""
        response: ResponseT = self._build_response()  # type: ignore[assignment]
        keep_unfinished(response, self._acc.tool_calls)
        response.start_time = self.start_time
        response.end_time = self.end_time
        return response

    def _build_response(self) -> BaseCallResponse[Any]:
        raise NotImplementedError


def _translator(stream: BaseStream[Any, Any, Any], raw: bool) -> EventTranslator:
    """The events of ``stream``; the events module is imported by the first adapter that asks
    (streams that are only iterated never load it)."""
    from streamcall.core.base.events import EventTranslator

    return EventTranslator(stream, raw)


class _Wrapping(Protocol):
    @property
    def stream(self) -> BaseStream[Any, Any, Any]: ...


class StreamWrapper(Closeable, AsyncCloseable):
    """A wrapper of a stream (its ``stream``: ``llm.Stream``, ``StructuredStream``): its state
    and error are the stream's, and closing or cancelling it stops that stream."""

    __slots__ = ()

    @property
    def state(self: _Wrapping) -> StreamState:
        """``"new"``, ``"streaming"``, ``"complete"``, ``"cancelled"`` or ``"failed"``."""
        return self.stream.state

    @property
    def error(self: _Wrapping) -> BaseException | None:
        """The error that failed the stream, else ``None``."""
        return self.stream.error

    @property
    def is_async(self: _Wrapping) -> bool:
        """Whether the stream is async (see :attr:`BaseStream.is_async`)."""
        return self.stream.is_async

    def close(self: _Wrapping) -> None:
        """Stop the stream and release the connection (``cancel()`` is the same)."""
        self.stream.close()

    async def aclose(self) -> None:
        """:meth:`close` for an async stream (``acancel()`` is the same)."""
        await _aclose_in_turn(self.__dict__.pop("_running", None), cast("_Wrapping", self).stream)

    async def __aenter__(self) -> Self:
        self.__dict__["_in_block"] = True
        await cast("_Wrapping", self).stream.__aenter__()
        return self

    def _hold(self, run: AsyncIterator[T]) -> AsyncIterator[T]:
        """``run``, the wrapper's loop: inside ``async with`` the wrapper holds it, so that
        leaving the block after a ``break`` closes it, not the garbage collector (trio)."""
        if self.__dict__.get("_in_block"):
            self.__dict__["_running"] = run
        return run

    cancel = close
    acancel = aclose
