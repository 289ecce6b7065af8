"""A sans-IO decoder for Server-Sent Events (WHATWG HTML, "Parsing an event stream").

Feed it bytes as they arrive from the network, in chunks of any size; it returns the events
completed by each chunk. It never performs I/O and never blocks.

Covered: LF, CR and CRLF line ends (also a CRLF split across two chunks), a UTF-8 byte-order mark
at the very start (also split), comment lines, multi-line ``data``, ``event``, ``id`` (kept across
events, ignored when it contains NUL), ``retry`` (ASCII digits only), dispatch on a blank line, and
an incomplete event at end of stream is dropped. Work happens on bytes, so a UTF-8 character split
across chunks decodes correctly; invalid UTF-8 decodes with U+FFFD, as the spec says.

Memory is bounded: a line or an event larger than ``max_event_size`` raises
:class:`~streamcall.errors.StreamDecodeError`.
"""

from __future__ import annotations

from typing import Any, Final

from streamcall.errors import StreamDecodeError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_SIZE: Final = 16 * 1024 * 1024
_BOM: Final = b"\xef\xbb\xbf"


class ServerSentEvent:
    """One dispatched event.

    Attributes:
        data: The event's data, the ``data`` lines joined with ``\\n``.
        event: The event type (``"message"`` when the stream gave none).
        id: The last event id seen on the stream so far (``""`` when none).
        retry: The reconnection time in ms given inside this event, else ``None``.
    """

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self, data: str, event: str = "message", id: str = "", retry: int | None = None
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def json(self) -> Any:
        """Decode ``data`` as JSON."""
        import msgspec

        return msgspec.json.decode(self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.data, self.event, self.id, self.retry) == (
            other.data,
            other.event,
            other.id,
            other.retry,
        )

    def __hash__(self) -> int:
        return hash((self.data, self.event, self.id, self.retry))

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, "
            f"id={self.id!r}, retry={self.retry!r})"
        )


class SSEDecoder:
    """Incremental SSE parser: ``feed(bytes) -> list[ServerSentEvent]``, then ``end()``."""

    __slots__ = (
        "_at_start",
        "_data",
        "_data_size",
        "_event_type",
        "_last_event_id",
        "_line_parts",
        "_line_size",
        "_max",
        "_pending_cr",
        "_retry",
    )

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size <= 0:
            raise ValueError("max_event_size must be positive")
        self._max = max_event_size
        self._at_start: bytes | None = (
            b""  # bytes held while deciding whether the stream opens with a BOM
        )
        self._pending_cr = False  # the previous chunk ended with CR: a leading LF is its pair
        self._line_parts: list[bytes] = []  # the unterminated line so far
        self._line_size = 0
        self._data: list[bytes] = []
        self._data_size = 0
        self._event_type = b""
        self._last_event_id = ""
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume the next bytes of the stream; return the events they complete."""
        if self._at_start is not None:
            chunk = self._strip_bom(chunk)
        if not chunk:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if chunk[0] == 10:
                chunk = chunk[1:]
                if not chunk:
                    return []
        if b"\r" in chunk:
            self._pending_cr = chunk[-1] == 13
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

        if b"\n" not in chunk:
            self._line_parts.append(chunk)
            self._line_size += len(chunk)
            if self._line_size > self._max:
                self._overflow("line")
            return []
        if self._line_parts:
            self._line_parts.append(chunk)
            chunk = b"".join(self._line_parts)
            self._line_parts = []
        lines = chunk.split(b"\n")
        rest = lines.pop()
        if rest:
            if len(rest) > self._max:
                self._overflow("line")
            self._line_parts.append(rest)
        self._line_size = len(rest)

        events: list[ServerSentEvent] = []
        for line in lines:
            if not line:
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._event_type = b""
                    self._retry = None
            elif line[0] == 58:  # ":" comment
                continue
            else:
                self._field(line)
        return events

    def end(self) -> list[ServerSentEvent]:
        """Signal end of stream. An event without its closing blank line is dropped."""
        self._line_parts = []
        self._line_size = 0
        self._data = []
        self._data_size = 0
        self._event_type = b""
        self._retry = None
        return []

    def _strip_bom(self, chunk: bytes) -> bytes:
        held = (self._at_start or b"") + chunk
        if len(held) < len(_BOM) and _BOM.startswith(held):
            self._at_start = held
            return b""
        self._at_start = None
        return held[len(_BOM) :] if held.startswith(_BOM) else held

    def _field(self, line: bytes) -> None:
        colon = line.find(b":")
        if colon == -1:
            name, value = line, b""
        else:
            name = line[:colon]
            value = line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._data.append(value)
            self._data_size += len(value) + 1
            if self._data_size > self._max:
                self._overflow("event")
        elif name == b"event":
            self._event_type = value
        elif name == b"id":
            if b"\x00" not in value:
                self._last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)

    def _dispatch(self) -> ServerSentEvent:
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = ServerSentEvent(
            data.decode("utf-8", "replace"),
            self._event_type.decode("utf-8", "replace") if self._event_type else "message",
            self._last_event_id,
            self._retry,
        )
        self._data = []
        self._data_size = 0
        self._event_type = b""
        self._retry = None
        return event

    def _overflow(self, what: str) -> None:
        self._line_parts = []
        self._data = []
        raise StreamDecodeError(
            f"SSE {what} larger than the {self._max}-byte bound (max_event_size)"
        )
