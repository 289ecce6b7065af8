"""``AwaitableStream``: what every async streaming entry point returns.

Both forms in use work on it::

    async with client.chat.stream_async(model=..., messages=[...]) as stream:  # documented
        async for event in stream: ...

    res = await client.chat.stream_async(model=..., messages=[...])  # the official SDKs
    async with res as stream: ...

Nothing is sent until it is awaited or entered (as with a coroutine). Awaiting it returns the
opened stream, which the caller then owns (``async with`` it, iterate it to the end, or
``aclose()`` it; one dropped while open warns and closes its connection). ``async with`` opens
the stream, and closes it on leaving the block: at the end, on ``break``, on an exception and on
cancellation.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, Generic, Protocol, TypeVar

from streamcall._lifecycle import AsyncCloseable

__all__ = ["AwaitableStream"]


class _AsyncClosable(Protocol):
    async def aclose(self) -> None: ...


S = TypeVar("S", bound=_AsyncClosable)


class AwaitableStream(AsyncCloseable, Generic[S]):
    """An async stream being opened: ``await`` it for the stream, or ``async with`` it.

    It wraps the coroutine that opens the stream; it can be awaited or entered once.
    """

    __slots__ = ("_opening", "_stream")

    def __init__(self, opening: Coroutine[Any, Any, S]) -> None:
        self._opening = opening
        self._stream: S | None = None

    def __await__(self) -> Generator[Any, None, S]:
        return self._opening.__await__()

    async def __aenter__(self) -> S:  # type: ignore[override]  # enters the stream it opens
        self._stream = await self._opening
        return self._stream

    async def aclose(self) -> None:
        """Close the stream that ``async with`` opened (leaving the block calls this); a stream
        obtained with ``await`` belongs to the caller."""
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()

    def __repr__(self) -> str:
        state = "open" if self._stream is not None else "not entered"
        name = getattr(self._opening, "__qualname__", "stream")
        return f"<AwaitableStream {name} ({state})>"
