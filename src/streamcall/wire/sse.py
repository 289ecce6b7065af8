"""A sans-IO decoder for Server-Sent Events (WHATWG HTML, "Parsing an event stream").

Feed it bytes as they arrive from the network, in chunks of any size; it returns the events
completed by each chunk. It never performs I/O and never blocks.

As the spec says, the bytes are first decoded as UTF-8 (incrementally, so a character split
across chunks decodes correctly; invalid bytes become U+FFFD; a leading byte-order mark is
dropped, even when split), then parsed as text. Covered: LF, CR and CRLF line ends (also a CRLF
split across two chunks), comment lines, multi-line ``data``, ``event``, ``id`` (kept across
events, ignored when it contains NUL), ``retry`` (ASCII digits only), dispatch on a blank line,
and an incomplete event at end of stream is dropped.

Memory is bounded: an event longer than ``max_event_size`` bytes raises
:class:`~streamcall.errors.StreamDecodeError` as soon as its bytes pass the bound, before the
rest of it arrives. An event's size is the UTF-8 length of its lines (line ends normalised to
LF, the blank line that ends it not counted): ``data: x\n\n`` is 7 bytes. Bytes, not
characters: a bound in characters let an event of 4-byte characters take four times the bytes
(a 64 MiB event under the 16 MiB default). The unfinished event is kept as text, about its
bytes in memory (CPython stores ASCII in one byte a character and 4-byte characters in four;
only a read mixing ASCII with characters beyond U+FFFF is stored wider than its bytes).
"""

from __future__ import annotations

import codecs
from typing import Any, Final

import msgspec

from streamcall.errors import StreamDecodeError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_SIZE: Final = 16 * 1024 * 1024
_utf8_sig = codecs.getincrementaldecoder("utf-8-sig")


class ServerSentEvent(msgspec.Struct, frozen=True, gc=False):
    """One dispatched event.

    Attributes:
        data: The event's data, the ``data`` lines joined with ``\\n``.
        event: The event type (``"message"`` when the stream gave none).
        id: The last event id seen on the stream so far (``""`` when none).
        retry: The reconnection time in ms given inside this event, else ``None``.
    """

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None

    def json(self) -> Any:
        """Decode ``data`` as JSON."""
        return msgspec.json.decode(self.data)


class SSEDecoder:
    """Incremental SSE parser: ``feed(bytes) -> list[ServerSentEvent]``, then ``end()``.

    Text is cut into event blocks at blank lines (after line ends are normalised to LF), so the
    common event, one ``data:`` line, costs one split and one slice; other blocks go through the
    line-by-line rules.
    """

    __slots__ = (
        "_last_event_id",
        "_max",
        "_max_chars",
        "_parts",
        "_pending_cr",
        "_ready",
        "_size",
        "_utf8",
    )

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size <= 0:
            raise ValueError("max_event_size must be positive")
        self._max = max_event_size
        # A character is at most 4 UTF-8 bytes: a text of at most this many characters holds
        # no block over the bound, so the per-event path compares one length and counts nothing.
        self._max_chars = max_event_size // 4
        self._utf8 = _utf8_sig(errors="replace")
        self._pending_cr = False  # the previous chunk ended with CR: a leading LF is its pair
        self._parts: list[str] = []  # the unfinished event block
        self._size = 0  # its UTF-8 bytes
        self._last_event_id = ""
        # Nothing pending: the byte-order mark is settled, the UTF-8 decoder holds no partial
        # character (the last read ended with an ASCII byte), no CR, no unfinished block.
        self._ready = False

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume the next bytes of the stream; return the events they complete."""
        if self._ready and chunk[-1:] == b"\n":
            # The common read, exactly one event (``data: Y``, or ``event: X`` + ``data: Y``),
            # with nothing pending: sliced here, no splitting. It ends with an ASCII byte, so a
            # plain decode equals the incremental one. Anything else takes the general path.
            text = chunk.decode("utf-8", "replace")
            lf = text
            if text[-2:-1] == "\r":  # CRLF line ends (Gemini): one or two lines, a blank one
                last = len(text) - 3
                first = text.find("\n")
                if first != last and text.find("\n", first + 1) != last:
                    return self._feed(text, chunk)
                lf = text.replace("\r\n", "\n")
            end = len(lf) - 2  # the text ends with LF: a first LF here is the blank line's
            first = lf.find("\n")  # (each find stops early in a read of many events)
            if first == end:
                if lf[:5] == "data:" and end <= self._max_chars and "\r" not in lf:
                    data = lf[6:end] if lf[5] == " " else lf[5:end]
                    return [ServerSentEvent(data, "message", self._last_event_id)]
            elif (
                first > 7
                and lf[:7] == "event: "
                and lf.find("\n", first + 1) == end
                and lf[first + 1 : first + 7] == "data: "
                and end <= self._max_chars
                and "\r" not in lf
            ):
                data = lf[first + 7 : end]
                return [ServerSentEvent(data, lf[7:first], self._last_event_id)]
            return self._feed(text, chunk)
        return self._feed(self._utf8.decode(chunk), chunk)

    def _feed(self, text: str, chunk: bytes) -> list[ServerSentEvent]:
        """The general path: any read, in any state."""
        self._ready = False
        if self._pending_cr and text:
            self._pending_cr = False
            if text[0] == "\n":
                text = text[1:]
        if not text:
            return []
        if "\r" in text:
            self._pending_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")

        parts = self._parts
        if "\n\n" not in text and not (parts and text[0] == "\n" and parts[-1][-1] == "\n"):
            self._size += len(text) if text.isascii() else _utf8_size(text)
            if self._size > self._max:
                self._over(text)
            parts.append(text)
            return []
        if parts:
            parts.append(text)
            text = "".join(parts)
            parts.clear()
        blocks = text.split("\n\n")
        rest = blocks.pop()
        if rest:
            self._size = len(rest) if rest.isascii() else _utf8_size(rest)
            if self._size > self._max:
                self._over(rest)
            parts.append(rest)
        else:
            self._size = 0
            # the read ended an event with an ASCII byte: the next one may take the fast path
            self._ready = not self._pending_cr and bool(chunk) and chunk[-1] < 0x80
        if len(text) > self._max_chars:
            self._check_sizes(text, blocks)

        events: list[ServerSentEvent] = []
        append = events.append
        last_id = self._last_event_id
        for block in blocks:
            if block[:5] == "data:" and "\n" not in block:
                append(
                    ServerSentEvent(
                        block[6:] if block[5:6] == " " else block[5:], "message", last_id
                    )
                )
            elif block[:7] == "event: " and block.count("\n") == 1:
                # "event: <type>\ndata: <json>" (Anthropic, OpenAI Responses, Cohere)
                head, _, data = block.partition("\n")
                if data[:6] == "data: " and head[7:]:
                    append(ServerSentEvent(data[6:], head[7:], last_id))
                else:
                    self._block(block, events)
                    last_id = self._last_event_id
            elif block:
                self._block(block, events)
                last_id = self._last_event_id
        return events

    def end(self) -> list[ServerSentEvent]:
        """Signal end of stream. An event without its closing blank line is dropped."""
        self._ready = False
        self._parts.clear()
        self._size = 0
        self._utf8.reset()
        return []

    def _block(self, block: str, events: list[ServerSentEvent]) -> None:
        """The general rules for one event block (its lines, then the closing blank line)."""
        data: list[str] = []
        event_type = ""
        retry: int | None = None
        for line in [*block.split("\n"), ""]:
            if not line:
                if data:
                    events.append(
                        ServerSentEvent(
                            "\n".join(data), event_type or "message", self._last_event_id, retry
                        )
                    )
                data, event_type, retry = [], "", None
                continue
            if line[0] == ":":  # a comment
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event_type = value
            elif name == "id":
                if "\x00" not in value:
                    self._last_event_id = value
            elif name == "retry" and value.isascii() and value.isdigit():
                retry = int(value)

    def _check_sizes(self, text: str, blocks: list[str]) -> None:
        """Refuse a finished block over the bound (only reads of over a quarter of it get here)."""
        limit = self._max
        if text.isascii():
            if len(text) > limit and any(len(block) > limit for block in blocks):
                self._overflow()
        elif any(len(b) > self._max_chars and _utf8_size(b) > limit for b in blocks):
            self._overflow()

    def _over(self, tail: str) -> None:
        """The unfinished block passed the bound: refuse it, unless the one byte over is the LF
        before its blank line (not counted: an event of exactly the bound may arrive in pieces)."""
        if self._size > self._max + 1 or tail[-1] != "\n":
            self._overflow()

    def _overflow(self) -> None:
        self._parts.clear()
        self._size = 0
        raise StreamDecodeError(
            f"SSE event larger than the {self._max}-byte bound (max_event_size)"
        )


def _utf8_size(text: str) -> int:
    """The UTF-8 length of ``text``, encoded 64 Ki characters at a time (no full-size copy)."""
    if len(text) <= 65536:
        return len(text.encode())
    return sum(len(text[i : i + 65536].encode()) for i in range(0, len(text), 65536))
