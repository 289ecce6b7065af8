"""``EventStream[T]`` and ``EventStreamAsync[T]``: typed events over a streamed HTTP response.

The pipeline for each network read is::

    bytes --frames.feed()--> frames (SSE events, NDJSON lines) --codec.decode()--> T

``frames`` is a sans-IO decoder from :mod:`streamcall.wire`; ``codec`` is the provider's pure
function object that turns one frame into one typed event (or ``None`` to skip it), raises
:class:`EndOfStream` at the protocol's end marker (``data: [DONE]``), and raises
:class:`~streamcall.errors.StreamError` for an error the provider reports in the stream. The two
classes below only move bytes: they share every decision through :func:`map_read_error` and the
codec. The HTTP response is released when iteration ends, breaks or raises, on ``close()`` /
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

__all__ = ["EndOfStream", "EventStream", "EventStreamAsync", "FrameDecoder", "StreamCodec"]

T = TypeVar("T")
F = TypeVar("F")
F_contra = TypeVar("F_contra", contravariant=True)
T_co = TypeVar("T_co", covariant=True)


class EndOfStream(Exception):
    """Raised by a codec at the protocol's end marker (for example ``data: [DONE]``)."""


class FrameDecoder(Protocol[F]):
    """A sans-IO framer such as :class:`~streamcall.wire.SSEDecoder`."""

    def feed(self, chunk: bytes) -> list[F]: ...

    def end(self) -> list[F]: ...


class StreamCodec(Protocol[F_contra, T_co]):
    """Turns frames into typed events; see the module docstring."""

    def decode(self, frame: F_contra) -> T_co | None: ...

    def finish(self, ended: bool) -> None:
        """Called once when the body ends: ``ended`` is True after the end marker.

        It may raise (a pending in-stream error, or a stream that stopped early).
        """


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


class _StreamBase(Generic[T]):
    response: httpx2.Response

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, T],
        *,
        secrets: Sequence[str] = (),
        client_ref: object | None = None,
    ) -> None:
        self.response = response
        self.client_ref = client_ref
        self._deadline = deadline
        self._frames = frames
        self._codec = codec
        self._secrets = secrets
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the HTTP response has been released."""
        return self._closed

    def _read_error(self, exc: Exception) -> APIError:
        return map_read_error(exc, self._deadline, self.response.request, self._secrets)

    def _total_expired(self) -> APIError | None:
        if self._deadline.expired():
            return self._deadline.error_for("total", self.response.request)
        return None


class EventStream(_StreamBase[T]):
    """A synchronous stream of typed events; an iterator and a context manager."""

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, T],
        *,
        secrets: Sequence[str] = (),
        client_ref: object | None = None,
    ) -> None:
        super().__init__(response, deadline, frames, codec, secrets=secrets, client_ref=client_ref)
        self._events = self._iterate()

    def __iter__(self) -> Iterator[T]:
        return self

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
        self._release()

    def _release(self) -> None:
        if not self._closed:
            self._closed = True
            self.response.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(
                f"{type(self).__name__} was garbage-collected while open; use it in a `with` "
                "block or call close() to release its connection",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
            self._release()

    def _iterate(self) -> Generator[T, None, None]:
        import httpx2

        deadline = self._deadline
        feed = self._frames.feed
        decode = self._codec.decode
        chunks = self.response.iter_bytes()
        try:
            try:
                while True:
                    token = deadline.activate()
                    try:
                        chunk = next(chunks, None)
                    except httpx2.HTTPError as exc:
                        raise self._read_error(exc) from exc
                    finally:
                        Deadline.deactivate(token)
                    if chunk is None:
                        break
                    for frame in feed(chunk):
                        item = decode(frame)
                        if item is not None:
                            yield item
                    expired = self._total_expired()
                    if expired is not None:
                        raise expired
                for frame in self._frames.end():
                    item = decode(frame)
                    if item is not None:
                        yield item
                self._codec.finish(False)
            except EndOfStream:
                self._codec.finish(True)
                self._drain(chunks)
        except APIError as exc:
            exc.redact(self._secrets)
            raise
        finally:
            self._release()

    def _drain(self, chunks: Iterator[bytes]) -> None:
        """Read the body's last bytes after the end marker, so the connection can be reused."""
        import httpx2

        token = self._deadline.start_drain()
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
    """An asynchronous stream of typed events; an async iterator and async context manager."""

    def __init__(
        self,
        response: httpx2.Response,
        deadline: Deadline,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, T],
        *,
        secrets: Sequence[str] = (),
        client_ref: object | None = None,
    ) -> None:
        super().__init__(response, deadline, frames, codec, secrets=secrets, client_ref=client_ref)
        self._events = self._iterate()

    def __aiter__(self) -> AsyncIterator[T]:
        return self

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
        await self._release()

    async def close(self) -> None:
        """Alias of :meth:`aclose`, as in the Mistral SDK's ``EventStreamAsync``."""
        await self.aclose()

    async def _release(self) -> None:
        if not self._closed:
            self._closed = True
            await self.response.aclose()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(
                f"{type(self).__name__} was garbage-collected while open; use it in an "
                "`async with` block or call aclose() to release its connection",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
            self._closed = True
            _close_async_response_soon(self.response)

    async def _iterate(self) -> AsyncGenerator[T, None]:
        import httpx2

        deadline = self._deadline
        feed = self._frames.feed
        decode = self._codec.decode
        chunks = self.response.aiter_bytes()
        try:
            try:
                while True:
                    token = deadline.activate()
                    try:
                        chunk = await anext(chunks, None)
                    except httpx2.HTTPError as exc:
                        raise self._read_error(exc) from exc
                    finally:
                        Deadline.deactivate(token)
                    if chunk is None:
                        break
                    for frame in feed(chunk):
                        item = decode(frame)
                        if item is not None:
                            yield item
                    expired = self._total_expired()
                    if expired is not None:
                        raise expired
                for frame in self._frames.end():
                    item = decode(frame)
                    if item is not None:
                        yield item
                self._codec.finish(False)
            except EndOfStream:
                self._codec.finish(True)
                await self._drain(chunks)
        except APIError as exc:
            exc.redact(self._secrets)
            raise
        finally:
            await self._release()

    async def _drain(self, chunks: AsyncIterator[bytes]) -> None:
        """Read the body's last bytes after the end marker, so the connection can be reused."""
        import httpx2

        token = self._deadline.start_drain()
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
