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
from contextvars import Token
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from streamcall._lifecycle import AsyncCloseable, Closeable
from streamcall.errors import APIConnectionError, APIError, StreamInterruptedError, redact
from streamcall.transport.session import FrameDecoder, StreamCodec, StreamSession
from streamcall.transport.timeouts import Deadline

if TYPE_CHECKING:
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
    chunk inside ``with reader:`` (the deadline governs the read; an httpx2 error becomes the
    typed error, or ends a drain), ``events = reader.received(chunk)``; finally
    ``reader.end()`` raises what the stream ended with. After an end marker it keeps reading,
    discarding, to drain the body (bounded in time and bytes) so the connection can be reused.
    """

    __slots__ = (
        "_drained",
        "_token",
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
        self._drained = 0
        self._token: Token[Deadline | None] | None = None

    def begin(self, first: bytes | None) -> list[T]:
        """The events of the chunk the transport read before handing the response over."""
        return [] if first is None else self.received(first)

    def __enter__(self) -> None:
        self._token = self.deadline.activate()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> bool:
        if self._token is not None:
            Deadline.deactivate(self._token)
            self._token = None
        if exc is None:
            return False
        import httpx2

        if not isinstance(exc, httpx2.HTTPError):
            return False
        if self.draining:  # the connection just is not reused
            self.stopped = True
            return True
        raise map_read_error(exc, self.deadline, self.response.request, self.secrets) from exc

    def received(self, chunk: bytes | None) -> list[T]:
        """The events of one read (``None``: the body ended); sets what comes next."""
        if self.draining:
            self._drained += len(chunk or b"")
            self.stopped = chunk is None or self._drained > DRAIN_LIMIT
            return []
        session = self.session
        if chunk is None:
            events = session.end()
        else:
            self.deadline.body_started()
            events = session.feed(chunk)
        if session.done:
            self.error = session.error
            self.draining = chunk is not None and self.error is None
            self.stopped = not self.draining
            if self.draining:
                self.deadline.start_drain()
        elif self.deadline.expired():  # transports without socket deadlines
            self.error = self.deadline.error_for("total", self.response.request)
            self.stopped = True
        return events

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
        events = reader.begin(first)
        while True:
            yield from events
            if reader.stopped:
                break
            chunk = None
            with reader:
                chunk = next(chunks, None)
            events = reader.received(chunk)
        reader.end()
    finally:
        reader.response.close()


async def _aiterate(
    reader: _Reader[T], chunks: AsyncIterator[bytes], first: bytes | None
) -> AsyncGenerator[T, None]:
    try:
        events = reader.begin(first)
        while True:
            for event in events:
                yield event
            if reader.stopped:
                break
            chunk = None
            with reader:
                chunk = await anext(chunks, None)
            events = reader.received(chunk)
        reader.end()
    finally:
        await reader.response.aclose()


class _StreamBase(Generic[T]):
    """What the sync and async streams share: construction, ``closed``, ``client_ref``.

    ``chunks`` is the body iterator when the transport has already read the ``first`` body
    chunk (it waits for the body to start before handing the response over); by default the
    stream reads the body from the start.
    """

    _holds: ClassVar[str] = "its connection"

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, T],
        *,
        secrets: Sequence[str] = (),
        client_ref: object | None = None,
        chunks: Any = None,
        first: bytes | None = None,
    ) -> None:
        self.response = response
        self.client_ref = client_ref
        self._start(
            _Reader(response, deadline, StreamSession(frames, codec), secrets), chunks, first
        )

    def _start(self, reader: _Reader[T], chunks: Any, first: bytes | None) -> None:
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been released."""
        return self.response.is_closed


class EventStream(_StreamBase[T], Closeable):
    """A synchronous stream of typed events; an iterator and a context manager."""

    _events: Generator[T, None, None]

    def _start(
        self, reader: _Reader[T], chunks: Iterator[bytes] | None, first: bytes | None
    ) -> None:
        self._events = _iterate(
            reader, self.response.iter_bytes() if chunks is None else chunks, first
        )

    def __iter__(self) -> Iterator[T]:
        # The generator itself: a `for` loop then pays no Python-level __next__ per event.
        return self._events

    def __next__(self) -> T:
        return next(self._events)

    def close(self) -> None:
        """Stop the stream and release the HTTP connection. Safe to call twice."""
        self._events.close()
        self.response.close()

    def _unreleased(self) -> Callable[[], object] | None:
        return None if self.response.is_closed else self.response.close


class EventStreamAsync(_StreamBase[T], AsyncCloseable):
    """An asynchronous stream of typed events; an async iterator and async context manager."""

    _events: AsyncGenerator[T, None]

    def _start(
        self, reader: _Reader[T], chunks: AsyncIterator[bytes] | None, first: bytes | None
    ) -> None:
        self._events = _aiterate(
            reader, self.response.aiter_bytes() if chunks is None else chunks, first
        )

    def __aiter__(self) -> AsyncIterator[T]:
        return self._events

    async def __anext__(self) -> T:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop the stream and release the HTTP connection. Safe to call twice."""
        await self._events.aclose()
        await self.response.aclose()

    async def close(self) -> None:
        """Alias of :meth:`aclose`, as in the Mistral SDK's ``EventStreamAsync``."""
        await self.aclose()

    def _unreleased(self) -> Callable[[], object] | None:
        if self.response.is_closed:
            return None
        return functools.partial(_close_async_response_soon, self.response)


def _close_async_response_soon(response: httpx2.Response) -> None:
    """Best effort from ``__del__``: schedule ``aclose`` on the running event loop, if any."""
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    task = loop.create_task(response.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


_closing: set[object] = set()  # keeps close tasks alive until they finish
