"""A sans-IO decoder for newline-delimited JSON (Ollama's native API, Cohere v1).

``feed(bytes)`` returns the complete, non-blank lines (without their line end, a trailing CR
removed) as ``bytes``, ready for a JSON decoder. Decoding the JSON is the codec's job, so this
module stays independent of any payload schema. A final line without a newline is returned by
``end()``. A line larger than ``max_line_size`` bytes (as received, its line end not counted)
raises :class:`~streamcall.errors.StreamDecodeError` as soon as its bytes pass the bound, so the
decoder holds at most the bound plus one read.
"""

from __future__ import annotations

from streamcall.errors import StreamDecodeError
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE

__all__ = ["NDJSONDecoder"]


class NDJSONDecoder:
    """Incremental NDJSON line splitter: ``feed(bytes) -> list[bytes]``, then ``end()``."""

    __slots__ = ("_max", "_parts", "_size")

    def __init__(self, max_line_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_line_size <= 0:
            raise ValueError("max_line_size must be positive")
        self._max = max_line_size
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """Consume the next bytes; return the complete lines they finish."""
        if not self._parts and chunk[-1:] == b"\n" and chunk.find(b"\n") == len(chunk) - 1:
            # the common read: exactly one line, nothing pending
            line = chunk[:-2] if chunk[-2:-1] == b"\r" else chunk[:-1]
            if not line.strip():
                return []
            if len(line) > self._max:
                self._overflow()
            return [line]
        return self._feed(chunk)

    def _feed(self, chunk: bytes) -> list[bytes]:
        """The general path: any read, in any state."""
        if b"\n" not in chunk:
            if chunk:
                self._size += len(chunk)
                if self._size > self._max:
                    self._over(chunk)
                self._parts.append(chunk)
            return []
        if self._parts:
            self._parts.append(chunk)
            chunk = b"".join(self._parts)
            self._parts = []
        lines = chunk.split(b"\n")
        rest = lines.pop()
        self._size = len(rest)
        if rest:
            if self._size > self._max:
                self._over(rest)
            self._parts.append(rest)
        out: list[bytes] = []
        for line in lines:
            if line[-1:] == b"\r":
                line = line[:-1]
            if line.strip():
                if len(line) > self._max:
                    self._overflow()
                out.append(line)
        return out

    def end(self) -> list[bytes]:
        """Signal end of stream; return a last line that had no newline, if any."""
        line = b"".join(self._parts)
        self._parts = []
        self._size = 0
        if line[-1:] == b"\r":
            line = line[:-1]
        return [line] if line.strip() else []

    def _over(self, tail: bytes) -> None:
        """The unfinished line passed the bound: refuse it, unless the one byte over is the CR
        of a CRLF (not counted)."""
        if self._size > self._max + 1 or tail[-1:] != b"\r":
            self._overflow()

    def _overflow(self) -> None:
        self._parts = []
        self._size = 0
        raise StreamDecodeError(
            f"NDJSON line larger than the {self._max}-byte bound (max_line_size)"
        )
