"""``EventStream[T]`` and ``EventStreamAsync[T]``: typed events over a streamed HTTP response.

Each network read goes to a :class:`~streamcall.transport.session.StreamSession` (framing, the
provider's codec, the end marker, in-stream errors), which returns its typed events::

    bytes --session.feed()--> [T]        (at the end of the body: session.end())

Every decision of the read loop (which deadline governs a read, how a read error maps to a
typed error, the total deadline between reads, the end, the drain after an end marker,
redaction) is in :class:`_Reader`; the sync and async generators only read, yield and close.
The HTTP response is released when iteration ends, breaks or raises, on ``close()`` /
``aclose()`` and on leaving a ``with`` block; a stream garbage-collected while open is closed
and warns with ``ResourceWarning``.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from streamcall._lifecycle import AsyncCloseable, Closeable
from streamcall.errors import APIConnectionError, APIError, StreamInterruptedError, redact
from streamcall.transport.body import httpx_error, no_reuse_after_leftover
from streamcall.transport.session import FrameDecoder, StreamCodec, StreamSession
from streamcall.transport.timeouts import ACTIVE_DEADLINE, Deadline

if TYPE_CHECKING:
    from contextvars import Token

    import httpx2

DRAIN_LIMIT = 64 * 1024  # bytes read after the end marker before giving up on reuse

__all__ = [
    "EndOfStream",
    "EventStream",
    "EventStreamAsync",
    "FrameDecoder",
    "StreamCodec",
]

T = TypeVar("T")


class EndOfStream(Exception):
    """Kept for imports only: streams signal their end through ``StreamSession.done``."""


def map_read_error(
    exc: Exception, deadline: Deadline, request: httpx2.Request | None, secrets: Sequence[str]
) -> APIError:
    """The streamcall error for an httpx2 error raised while reading a response body."""
    import httpx2

    if isinstance(exc, httpx2.TimeoutException):
        return deadline.error(request)
    detail = redact(str(exc) or type(exc).__name__, secrets)
    if isinstance(exc, httpx2.RemoteProtocolError | httpx2.ReadError):
        return StreamInterruptedError(
            f"The connection broke before the stream ended: {detail}", request=request
        )
    return APIConnectionError(f"Error while reading the stream: {detail}", request=request)


class _Reader(Generic[T]):
    """The read loop's decisions, shared by the sync and async loops.

    Use: ``events = reader.begin(first)``; then, until ``stopped``: yield ``events``, read one
    chunk with ``deadline`` active (``token = ACTIVE_DEADLINE.set(deadline)``), passing a read
    error to :meth:`failed` (``chunk = reader.failed(exc, token)``), and ``events =
    reader.received(chunk, token)``, which ends the activation; finally ``reader.end()`` raises
    what the stream ended with. After an end marker the loop goes on reading, discarding, to
    drain the body (bounded in time and bytes) so that the connection can be reused.
    """

    __slots__ = (
        "_clock",
        "_drained",
        "_feed",
        "_read_ended",
        "_started",
        "_total_at",
        "deadline",
        "draining",
        "error",
        "response",
        "secrets",
        "session",
        "stopped",
    )

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        session: StreamSession[T],
        secrets: Sequence[str],
    ) -> None:
        self.response = response
        self.deadline = deadline
        self.session = session
        self.secrets = secrets
        self.stopped = False  # no more reads
        self.draining = False  # past the end marker: reads are discarded
        self.error: APIError | None = None
        self._feed = session.feed
        self._read_ended = deadline.read_ended
        self._clock = deadline.clock
        self._total_at = deadline.total_at  # start_drain() lowers it; not read while draining
        self._started = False
        self._drained = 0

    def begin(self, first: bytes | None) -> list[T]:
        """The events of the chunk the transport read before handing the response over."""
        return [] if first is None else self.received(first)

    def failed(self, exc: BaseException, token: Token[Deadline | None]) -> bytes | None:
        """A read raised ``exc`` (``token``: the read's deadline activation, reset here unless
        :meth:`received` resets it): an httpx2 error becomes the typed error, or, while draining
        or once the answer is complete on a wire with no end marker (Gemini's last chunk carries
        the finish reason), ``None``: as if the body ended, the connection just is not
        reused. Other errors propagate."""
        import httpx2

        exc = httpx_error(exc)  # a body read by streamcall raises httpcore2's errors
        if (self.draining or self.session.ended_unmarked) and isinstance(exc, httpx2.HTTPError):
            return None
        ACTIVE_DEADLINE.reset(token)
        if not isinstance(exc, httpx2.HTTPError):
            raise exc
        raise map_read_error(exc, self.deadline, self.response.request, self.secrets) from exc

    def received(self, chunk: bytes | None, token: Token[Deadline | None] | None = None) -> list[T]:
        """The events of one read (``None``: the body ended); sets what comes next. ``token``
        is the read's deadline activation: it is reset first."""
        if token is not None:
            ACTIVE_DEADLINE.reset(token)
        if chunk is None or self.draining:
            return self._last(chunk)
        if not self._started:
            self._started = True
            self.deadline.body_started()
        events = self._feed(chunk)
        self._read_ended(events)  # an event renews the progress allowance; a keep-alive does not
        total_at = self._total_at  # inline Deadline.expired(): this runs once per network read
        if self.session.done or (total_at is not None and self._clock() >= total_at):
            self._stop()
        return events

    def _last(self, chunk: bytes | None) -> list[T]:
        if chunk is None:
            no_reuse_after_leftover(self.response)
        if self.draining:
            self._drained += len(chunk or b"")
            self.stopped = chunk is None or self._drained > DRAIN_LIMIT
            return []
        events = self.session.end()
        self.error = self.session.error
        self.stopped = True
        return events

    def _stop(self) -> None:
        session = self.session
        if not session.done:  # the total deadline passed (a transport without socket deadlines)
            self.error = self.deadline.error_for("total", self.response.request)
            self.stopped = True
        elif session.error is not None:
            self.error = session.error
            self.stopped = True
        else:  # after the end marker: drain the body's last bytes so the connection is reused
            self.draining = True
            self.deadline.start_drain()

    def end(self) -> None:
        """Raise the error the stream ended with (redacted), after its events."""
        if self.error is not None:
            self.error.redact(self.secrets)
            raise self.error


# The event generators below are module functions on purpose: they must not reference the
# stream object, so that a stream dropped while open is finalized at once by reference
# counting (closing its connection, with a ResourceWarning) rather than later by the cyclic
# garbage collector, in an order where its sockets may be finalized first.


def _iterate(
    reader: _Reader[T], chunks: Iterator[bytes], first: bytes | None
) -> Generator[T, None, None]:
    try:
        received, deadline, events = reader.received, reader.deadline, reader.begin(first)
        while True:
            yield from events
            if reader.stopped:
                break
            token = ACTIVE_DEADLINE.set(deadline)
            try:
                chunk = next(chunks, None)
            except BaseException as exc:
                chunk = reader.failed(exc, token)
            events = received(chunk, token)
        reader.end()
    finally:
        reader.response.close()


async def _aiterate(
    reader: _Reader[T], chunks: AsyncIterator[bytes], first: bytes | None
) -> AsyncGenerator[T, None]:
    try:
        received, deadline, events = reader.received, reader.deadline, reader.begin(first)
        while True:
            for event in events:
                yield event
            if reader.stopped:
                break
            token = ACTIVE_DEADLINE.set(deadline)
            try:
                chunk = await anext(chunks, None)
            except BaseException as exc:
                chunk = reader.failed(exc, token)
            events = received(chunk, token)
        reader.end()
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]  # httpx2's body generator
        await reader.response.aclose()


def _close_async_response_soon(response: httpx2.Response) -> None:
    """Best effort from ``__del__``: schedule ``aclose`` on the running event loop, if any
    (trio's or asyncio's)."""
    import asyncio
    import sys

    if (trio := sys.modules.get("trio")) is not None:
        try:
            trio.lowlevel.spawn_system_task(response.aclose)
        except RuntimeError:  # not inside a trio run
            pass
        else:
            return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    task = loop.create_task(response.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


_closing: set[object] = set()  # keeps close tasks alive until they finish


class _StreamBase(Generic[T]):
    """What the sync and async streams share: construction, ``closed``, ``client_ref``.

    ``chunks`` is the body iterator when the transport has already read the ``first`` body
    chunk (it waits for the body to start before handing the response over); by default the
    stream reads the body from the start.
    """

    _holds: ClassVar[str] = "its connection"
    _events: Any

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, T],
        *,
        secrets: Sequence[str] = (),
        client_ref: object | None = None,
        chunks: Iterator[bytes] | AsyncIterator[bytes] | None = None,
        first: bytes | None = None,
    ) -> None:
        self.response = response
        self.client_ref = client_ref
        reader = _Reader(response, deadline, StreamSession(frames, codec), secrets)
        asynchronous = isinstance(self, AsyncCloseable)
        if chunks is None:
            chunks = response.aiter_bytes() if asynchronous else response.iter_bytes()
        loop: Callable[..., Any] = _aiterate if asynchronous else _iterate
        self._events = loop(reader, chunks, first)

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been released."""
        return self.response.is_closed

    def _unreleased(self) -> Callable[[], object] | None:
        response = self.response
        if response.is_closed:
            return None
        if isinstance(self, AsyncCloseable):  # no awaiting here: close it on the running loop
            return functools.partial(_close_async_response_soon, response)
        return response.close


class EventStream(_StreamBase[T], Closeable):
    """A synchronous stream of typed events; an iterator and a context manager."""

    _events: Generator[T, None, None]

    def __iter__(self) -> Iterator[T]:
        # The generator itself: a `for` loop then pays no Python-level __next__ per event.
        return self._events

    def __next__(self) -> T:
        return next(self._events)

    def close(self) -> None:
        """Stop the stream and release the HTTP connection. Safe to call twice."""
        self._events.close()
        self.response.close()


class EventStreamAsync(_StreamBase[T], AsyncCloseable):
    """An asynchronous stream of typed events; an async iterator and async context manager."""

    _events: AsyncGenerator[T, None]

    def __aiter__(self) -> AsyncIterator[T]:
        return self._events

    async def __anext__(self) -> T:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop the stream and release the HTTP connection. Safe to call twice."""
        await self._events.aclose()
        await self.response.aclose()

    close = aclose  # as in the Mistral SDK's ``EventStreamAsync``
