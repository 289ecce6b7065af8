"""``StreamSession``: the protocol state of one streamed response body, sans I/O.

It owns the framing (a :mod:`streamcall.wire` decoder), the provider's codec, the end marker
and the errors reported inside the stream. The I/O loop hands it each network read and yields
what it returns::

    session = StreamSession(SSEDecoder(), codec)
    for data in body:                  # each network read
        yield from session.feed(data)  # the typed events of that read
        if session.done:
            break
    else:
        yield from session.end()       # the body ended
    if session.error is not None:      # raised only after the events before it
        raise session.error

The end is signalled one way: once :attr:`StreamSession.done` is true, no more bytes are
wanted; :attr:`StreamSession.error` is what to raise (``None``: a clean end; after an end
marker the rest of the body is only drained so the connection can be reused).
"""

from __future__ import annotations

from typing import ClassVar, Generic, Protocol, TypeVar

from streamcall.errors import APIError, StreamInterruptedError

__all__ = ["FrameDecoder", "StreamCodec", "StreamSession"]

T = TypeVar("T")
F = TypeVar("F")


class FrameDecoder(Protocol[F]):
    """A sans-IO framer such as :class:`~streamcall.wire.SSEDecoder`."""

    def feed(self, chunk: bytes) -> list[F]: ...

    def end(self) -> list[F]: ...


class StreamCodec(Protocol[F, T]):
    """A provider's pure codec: the frames of one network read -> typed events.

    After each :meth:`decode_all` it reports the state of the stream in three attributes:

    - ``done``: the end marker (``data: [DONE]``, a terminal event) or an error that stops the
      stream was reached; :meth:`decode_all` returned the events before it (a terminal event
      included) and nothing after.
    - ``error``: the error to raise once the events before it are delivered: at once when
      ``done``, else when the body ends (Mistral's ``finish_reason: "error"`` is followed by
      more chunks).
    - ``finished``: the provider said the answer is complete (a finish reason), so the body may
      end without an end marker; a body that ends neither ``done`` nor ``finished`` raises
      :class:`~streamcall.errors.StreamInterruptedError` with the message ``interrupted``.
    - ``unmarked_end`` (a class attribute): the wire has no end marker, its last event is the
      one with the finish reason (Gemini), so once ``finished`` a broken connection ends the
      body rather than interrupting it; where a marker is due, it interrupts the stream.
    """

    done: bool
    error: APIError | None
    finished: bool
    interrupted: ClassVar[str]
    unmarked_end: ClassVar[bool]

    def decode_all(self, frames: list[F]) -> list[T]: ...


class StreamSession(Generic[T]):
    """Bytes in, typed events out, and whether and how the stream has ended (see the module)."""

    __slots__ = ("_codec", "_decode", "_frames", "_split", "done", "error")

    def __init__(self, frames: FrameDecoder[F], codec: StreamCodec[F, T]) -> None:
        self._frames: FrameDecoder[F] = frames
        self._codec: StreamCodec[F, T] = codec
        self._split = frames.feed
        self._decode = codec.decode_all
        self.done = False
        """No more bytes are wanted: the end marker, an error, or the end of the body."""
        self.error: APIError | None = None
        """What to raise after the events already returned (``None``: a clean end)."""

    def feed(self, data: bytes) -> list[T]:
        """The events completed by the next network read."""
        try:
            frames = self._split(data)
        except APIError as exc:  # a frame over the size bound
            self.done, self.error = True, exc
            return []
        if not frames:
            return []
        events = self._decode(frames)
        codec = self._codec
        if codec.done:
            self.done, self.error = True, codec.error
        return events

    @property
    def ended_unmarked(self) -> bool:
        """The answer is complete on a wire with no end marker (see ``unmarked_end``)."""
        codec = self._codec
        return codec.finished and codec.unmarked_end

    def end(self) -> list[T]:
        """The body ended: the last events (a line without its newline), and the final state."""
        codec = self._codec
        events = self._decode(self._frames.end())
        self.done = True
        self.error = codec.error
        if self.error is None and not (codec.done or codec.finished):
            self.error = StreamInterruptedError(codec.interrupted)
        return events
