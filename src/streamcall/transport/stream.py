"""``EventStream[T]`` and ``EventStreamAsync[T]``: typed events over a streamed HTTP response.

The pipeline for each network read is::

    bytes --frames.feed()--> frames (SSE events, NDJSON lines) --codec.decode_all()--> [T]

``frames`` is a sans-IO decoder from :mod:`streamcall.wire`; ``codec`` is the provider's pure
object (a :class:`FrameCodec`) that turns frames into typed events, and sets ``codec.stop`` to
:class:`EndOfStream` at the protocol's end marker (``data: [DONE]``) or to a
:class:`~streamcall.errors.StreamError` the provider reported, after the events before it. The
two classes below only move bytes: they share every decision through :func:`map_read_error` and
the codec. The HTTP response is released when iteration ends, breaks or raises, on ``close()`` /
``aclose()`` and on leaving a ``with`` block; a stream garbage-collected while open is closed
and warns with ``ResourceWarning``.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from streamcall.errors import (
    APIConnectionError,
    APIError,
    StreamInterruptedError,
    redact,
)
from streamcall.transport.timeouts import Deadline

if TYPE_CHECKING:
    import httpx2

DRAIN_LIMIT = 64 * 1024  # bytes read after the end marker before giving up on reuse

__all__ = [
    "EndOfStream",
    "EventStream",
    "EventStreamAsync",
    "FrameCodec",
    "FrameDecoder",
    "StreamCodec",
]

T = TypeVar("T")
F = TypeVar("F")


class EndOfStream(Exception):
    """Raised by a codec at the protocol's end marker (for example ``data: [DONE]``)."""


class FrameDecoder(Protocol[F]):
    """A sans-IO framer such as :class:`~streamcall.wire.SSEDecoder`."""

    def feed(self, chunk: bytes) -> list[F]: ...

    def end(self) -> list[F]: ...


class StreamCodec(Protocol[F, T]):
    """Turns the frames of one network read into typed events; see :class:`FrameCodec`."""

    stop: BaseException | None

    def decode_all(self, frames: list[F]) -> list[T]: ...

    def finish(self, ended: bool) -> None: ...


class FrameCodec(Generic[F, T]):
    """Base of the provider codecs: subclasses implement :meth:`decode` for one frame.

    :meth:`decode_all` decodes the frames of one network read. When a frame ends the stream
    (:class:`EndOfStream`) or reports an error, the events before it are still returned, and
    the exception is kept in :attr:`stop` for the stream to raise after delivering them.
    """

    stop: BaseException | None = None

    def decode(self, frame: F) -> T | None:
        """One frame -> one event, or ``None`` to skip it; may raise (see the class)."""
        raise NotImplementedError

    def decode_all(self, frames: list[F]) -> list[T]:
        """The events of ``frames``, in order; see the class docstring for stops."""
        out: list[T] = []
        decode = self.decode
        try:
            for frame in frames:
                item = decode(frame)
                if item is not None:
                    out.append(item)
                if self.stop is not None:  # decode() may end the stream without raising
                    break
        except (EndOfStream, APIError) as exc:
            self.stop = exc
        return out

    def finish(self, ended: bool) -> None:
        """Called once when the body ends (``ended``: after the end marker); may raise."""


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


def _expired(deadline: Deadline, request: httpx2.Request) -> APIError | None:
    """The total-deadline error, checked between reads (covers transports without deadlines)."""
    return deadline.error_for("total", request) if deadline.expired() else None


class _StreamBase(Generic[T]):
    response: httpx2.Response

    def __init__(self, response: httpx2.Response, client_ref: object | None) -> None:
        self.response = response
        self.client_ref = client_ref

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been released."""
        return self.response.is_closed


# The event generators below are module functions on purpose: they must not reference the
# stream object, so that a stream dropped while open is finalized at once by reference
# counting (closing its connection, with a ResourceWarning) rather than later by the cyclic
# garbage collector, in an order where its sockets may be finalized first.


class EventStream(_StreamBase[T]):
    """A synchronous stream of typed events; an iterator and a context manager.

    ``chunks`` is the body iterator when the transport has already read the ``first`` body
    chunk (it waits for the body to start before handing the response over); by default the
    stream reads ``response.iter_bytes()`` from the start.
    """

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, T],
        *,
        secrets: Sequence[str] = (),
        client_ref: object | None = None,
        chunks: Iterator[bytes] | None = None,
        first: bytes | None = None,
    ) -> None:
        super().__init__(response, client_ref)
        if chunks is None:
            chunks = response.iter_bytes()
        self._events = _iterate(response, deadline, frames, codec, secrets, chunks, first)

    def __iter__(self) -> Iterator[T]:
        # The generator itself: a `for` loop then pays no Python-level __next__ per event.
        return self._events

    def __next__(self) -> T:
        return next(self._events)

    def __enter__(self) -> EventStream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the stream and release the HTTP connection. Safe to call twice."""
        self._events.close()
        self.response.close()

    def __del__(self) -> None:
        response = getattr(self, "response", None)
        if response is not None and not response.is_closed:
            warnings.warn(
                f"{type(self).__name__} was garbage-collected while open; use it in a `with` "
                "block or call close() to release its connection",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
            response.close()


def _iterate(
    response: httpx2.Response,
    deadline: Deadline,
    frames: FrameDecoder[Any],
    codec: StreamCodec[Any, T],
    secrets: Sequence[str],
    chunks: Iterator[bytes],
    first: bytes | None,
) -> Generator[T, None, None]:
    import httpx2

    feed = frames.feed
    decode_all = codec.decode_all
    chunk: bytes | None
    try:
        try:
            while True:
                if first is not None:
                    chunk, first = first, None
                else:
                    token = deadline.activate()
                    try:
                        chunk = next(chunks, None)
                    except httpx2.HTTPError as exc:
                        raise map_read_error(exc, deadline, response.request, secrets) from exc
                    finally:
                        Deadline.deactivate(token)
                    if chunk is None:
                        break
                    deadline.body_started()
                batch = feed(chunk)
                if batch:
                    yield from decode_all(batch)
                    if codec.stop is not None:
                        raise codec.stop
                expired = _expired(deadline, response.request)
                if expired is not None:
                    raise expired
            yield from decode_all(frames.end())
            if codec.stop is not None:
                raise codec.stop
            codec.finish(False)
        except EndOfStream:
            codec.finish(True)
            _drain(chunks, deadline)
    except APIError as exc:
        exc.redact(secrets)
        raise
    finally:
        response.close()


def _drain(chunks: Iterator[bytes], deadline: Deadline) -> None:
    """Read the body's last bytes after the end marker, so the connection can be reused."""
    import httpx2

    token = deadline.start_drain()
    try:
        received = 0
        for chunk in chunks:
            received += len(chunk)
            if received > DRAIN_LIMIT:
                break
    except httpx2.HTTPError:
        pass
    finally:
        Deadline.deactivate(token)


class EventStreamAsync(_StreamBase[T]):
    """An asynchronous stream of typed events; an async iterator and async context manager.

    ``chunks`` and ``first`` as for :class:`EventStream` (``response.aiter_bytes()``).
    """

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, T],
        *,
        secrets: Sequence[str] = (),
        client_ref: object | None = None,
        chunks: AsyncIterator[bytes] | None = None,
        first: bytes | None = None,
    ) -> None:
        super().__init__(response, client_ref)
        if chunks is None:
            chunks = response.aiter_bytes()
        self._events = _aiterate(response, deadline, frames, codec, secrets, chunks, first)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._events

    async def __anext__(self) -> T:
        return await self._events.__anext__()

    async def __aenter__(self) -> EventStreamAsync[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the stream and release the HTTP connection. Safe to call twice."""
        await self._events.aclose()
        await self.response.aclose()

    async def close(self) -> None:
        """Alias of :meth:`aclose`, as in the Mistral SDK's ``EventStreamAsync``."""
        await self.aclose()

    def __del__(self) -> None:
        response = getattr(self, "response", None)
        if response is not None and not response.is_closed:
            warnings.warn(
                f"{type(self).__name__} was garbage-collected while open; use it in an "
                "`async with` block or call aclose() to release its connection",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
            _close_async_response_soon(response)


async def _aiterate(
    response: httpx2.Response,
    deadline: Deadline,
    frames: FrameDecoder[Any],
    codec: StreamCodec[Any, T],
    secrets: Sequence[str],
    chunks: AsyncIterator[bytes],
    first: bytes | None,
) -> AsyncGenerator[T, None]:
    import httpx2

    feed = frames.feed
    decode_all = codec.decode_all
    chunk: bytes | None
    try:
        try:
            while True:
                if first is not None:
                    chunk, first = first, None
                else:
                    token = deadline.activate()
                    try:
                        chunk = await anext(chunks, None)
                    except httpx2.HTTPError as exc:
                        raise map_read_error(exc, deadline, response.request, secrets) from exc
                    finally:
                        Deadline.deactivate(token)
                    if chunk is None:
                        break
                    deadline.body_started()
                batch = feed(chunk)
                if batch:
                    for item in decode_all(batch):
                        yield item
                    if codec.stop is not None:
                        raise codec.stop
                expired = _expired(deadline, response.request)
                if expired is not None:
                    raise expired
            for item in decode_all(frames.end()):
                yield item
            if codec.stop is not None:
                raise codec.stop
            codec.finish(False)
        except EndOfStream:
            codec.finish(True)
            await _adrain(chunks, deadline)
    except APIError as exc:
        exc.redact(secrets)
        raise
    finally:
        await response.aclose()


async def _adrain(chunks: AsyncIterator[bytes], deadline: Deadline) -> None:
    """Read the body's last bytes after the end marker, so the connection can be reused."""
    import httpx2

    token = deadline.start_drain()
    try:
        received = 0
        async for chunk in chunks:
            received += len(chunk)
            if received > DRAIN_LIMIT:
                break
    except httpx2.HTTPError:
        pass
    finally:
        Deadline.deactivate(token)


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
