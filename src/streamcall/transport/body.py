"""Reading an HTTP/1.1 response body ourselves, in whole network reads.

Once httpx2 has the head of an HTTP/1.1 response whose body is chunked or has a
``Content-Length``, the body is read here from the connection's network stream, 64 KiB at a
time, and its framing parsed by a small sans-IO parser (:class:`ChunkedBody`,
:class:`LengthBody`): each network read gives one ``bytes`` of payload, which goes whole to the
stream's decoder. h11, httpcore2's and httpx2's body iterators cost ~8 µs per read, most of an
event's cost when each event comes in its own HTTP chunk.

Everything else stays httpx2's: the connection (TLS, proxies, the pool), its network stream,
which is streamcall's deadline proxy (``install_deadlines``: every read keeps every deadline),
and the close. At the end of the body h11 is shown only the end of the message (a terminal chunk,
or a ``Content-Length`` spent), so that both its sides are done and httpcore2 puts the
connection back in the pool on close; a body followed by other bytes, a framing error, an
exception or a stream stopped early leaves h11 in the middle of the body, and httpcore2 closes
the connection instead of reusing it. A read raises httpcore2's errors and :class:`FramingError`
(broken framing, or the connection closed before the body's end); the transport passes what a
body iterator raises through :func:`httpx_error` (httpx2's errors, as httpx2 maps them: a
framing error is ``httpx2.RemoteProtocolError``, a deadline ``httpx2.ReadTimeout``) and maps
those as it maps the errors of httpx2's own iterator. The async loop is the sync one with an
``await``: everything else is sync code.

:func:`iter_chunks` / :func:`aiter_chunks` fall back to httpx2's iterator where this does not
apply: HTTP/2, a ``Content-Encoding``, an HTTP/1.0 body delimited by closing the connection, a
client's own transport (no httpcore2 connection, or none under streamcall's deadlines).
``STREAMCALL_BODY_READER=httpx`` (or :data:`BODY_READER` set to ``"httpx"``) always falls back.

The way to the connection goes through private attributes of httpx2, httpcore2 and h11
(``response.stream._stream._httpcore_stream._stream._connection``, its ``_network_stream`` and
``_h11_state``); where one is missing, the fallback is used.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "BODY_READER",
    "ChunkedBody",
    "FramingError",
    "LengthBody",
    "NetworkBody",
    "aiter_chunks",
    "httpx_error",
    "iter_chunks",
    "no_reuse_after_leftover",
]

BODY_READER = os.environ.get("STREAMCALL_BODY_READER", "streamcall")
"""``"streamcall"``: read HTTP/1.1 bodies here where possible; ``"httpx"``: always through
httpx2's body iterator."""

READ_SIZE: Final = 64 * 1024  # as httpcore2's
PIECE: Final = 4 * 1024  # the most of a read decoded at once (see pieces)
MAX_LINE: Final = 64 * 1024  # a chunk-size line, or the whole trailer section
INCOMPLETE: Final = "peer closed connection without sending complete message body"

_HEADER = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r\n")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_FIELD = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*|[ \t][^\r\n]*")

_SIZE, _DATA, _CRLF, _TRAILER, _END = range(5)


class FramingError(Exception):
    """The body's framing is broken: a bad chunk-size line or chunk end, an over-long line,
    or the connection closed before the body ended."""


class ChunkedBody:
    """Sans-IO parser of a chunked body (RFC 9112 §7.1).

    :meth:`feed` takes the bytes of one network read and returns the payload in them (``b""``
    when they held only framing); ``feed(b"")`` means the connection closed, a
    :class:`FramingError` unless the body had ended. Once :attr:`ended` (the terminal chunk and
    its trailers, which are checked and dropped), :attr:`leftover` holds the bytes after the
    body. Chunk extensions are ignored; sizes are hex in either case. Memory is bounded: payload
    is never held, only a chunk-size line or a trailer section (:data:`MAX_LINE`).
    """

    __slots__ = ("_line", "_need", "_state", "ended", "leftover")

    def __init__(self) -> None:
        self._state = _SIZE
        self._line = b""  # an unfinished chunk-size line, chunk end or trailer section
        self._need = 0  # payload bytes left in the current chunk
        self.ended = False
        self.leftover = b""

    def feed(self, data: bytes) -> bytes:
        """The payload in the next bytes of the body (see the class)."""
        if self._state == _SIZE and not self._line:  # the usual read: exactly one whole chunk
            match = _HEADER.match(data)
            if match is not None:
                start = match.end()
                stop = start + int(match[1], 16)
                if start < stop and len(data) == stop + 2 and data.endswith(b"\r\n"):
                    return data[start:stop]
        if not data:
            raise FramingError(f"{INCOMPLETE} (incomplete chunked read)")
        return self._parse(data)

    def _parse(self, data: bytes) -> bytes:
        parts: list[bytes] = []
        pos, size = 0, len(data)
        while pos < size:
            state = self._state
            if state == _DATA:
                stop = min(pos + self._need, size)
                parts.append(data[pos:stop])
                self._need -= stop - pos
                pos = stop
                if not self._need:
                    self._state = _CRLF
            elif state == _CRLF:
                line = self._line + data[pos : pos + 2 - len(self._line)]
                pos += len(line) - len(self._line)
                if not b"\r\n".startswith(line):
                    raise FramingError(f"malformed chunk end: {line!r} (expected b'\\r\\n')")
                self._line, self._state = (b"", _SIZE) if len(line) == 2 else (line, _CRLF)
            elif state == _SIZE:
                pos = self._size_line(data, pos)
            elif state == _TRAILER:
                pos = self._trailer(data, pos)
            else:
                self.leftover += data[pos:]
                pos = size
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _size_line(self, data: bytes, pos: int) -> int:
        end = data.find(b"\n", pos)
        stop = len(data) if end < 0 else end + 1
        line = self._line + data[pos:stop]
        if len(line) > MAX_LINE:
            raise FramingError(f"chunk-size line longer than {MAX_LINE} bytes")
        if end < 0:
            self._line = line
            return stop
        self._line = b""
        match = _HEADER.fullmatch(line)
        if match is None:
            raise FramingError(f"illegal chunk header: {line[:100]!r}")
        self._need = int(match[1], 16)
        self._state = _DATA if self._need else _TRAILER
        return stop

    def _trailer(self, data: bytes, pos: int) -> int:
        section = self._line + data[pos:]
        if section[:1] == b"\n":
            end = 1
        elif section[:2] == b"\r\n":
            end = 2
        else:
            match = _BLANK_LINE.search(section)
            end = -1 if match is None else match.end()
        if end < 0 or end > MAX_LINE:
            if len(section) > MAX_LINE:
                raise FramingError(f"trailer section longer than {MAX_LINE} bytes")
            self._line = section
            return len(data)
        for line in section[:end].split(b"\n")[:-2]:
            if _FIELD.fullmatch(line.removesuffix(b"\r")) is None:
                raise FramingError(f"illegal trailer line: {line[:100]!r}")
        self._line, self._state, self.ended = b"", _END, True
        self.leftover = section[end:]
        return len(data)


class LengthBody:
    """Sans-IO reader of a body of ``length`` bytes (``Content-Length``), as
    :class:`ChunkedBody`: :meth:`feed` returns the body's bytes among those given."""

    __slots__ = ("_left", "ended", "leftover", "length")

    def __init__(self, length: int) -> None:
        self.length = self._left = length
        self.ended = length == 0
        self.leftover = b""

    def feed(self, data: bytes) -> bytes:
        """The body's bytes in ``data``; ``b""``: the connection closed."""
        left = self._left
        if len(data) < left:
            if not data:
                got = self.length - left
                raise FramingError(f"{INCOMPLETE} (received {got} bytes, expected {self.length})")
            self._left = left - len(data)
            return data
        self._left, self.ended = 0, True
        if len(data) == left:
            return data
        self.leftover = data[left:]
        return data[:left]


class NetworkBody:
    """The body of one HTTP/1.1 response, read from its connection (see the module).

    :attr:`read` is the connection's network stream's ``read`` (sync or async: streamcall's
    deadline proxy), serving first the bytes h11 had read with the head; over a plain sync
    socket stream it is the same read made directly (:func:`_socket_read`), and those bytes
    wait in :attr:`leading` for :func:`read_body`. :meth:`feed` gives the payload of each read
    and, once the body has ended, hands the connection back to h11.
    """

    __slots__ = ("_connection", "_feed", "ended", "framing", "leading", "read", "timeout")

    def __init__(self, connection: Any, framing: ChunkedBody | LengthBody, timeout: object):
        self._connection = connection
        self.framing = framing
        self._feed = framing.feed
        self.timeout = timeout
        network = connection._network_stream
        buffer = connection._h11_state._receive_buffer
        leading = buffer.maybe_extract_at_most(len(buffer))
        self.ended = framing.ended  # an empty body
        self.leading = b""
        """Bytes h11 read with the head, for :func:`read_body` to serve before :attr:`read`."""
        direct = None if self.ended else _socket_read(network)
        if self.ended:
            framing.leftover = bytes(leading or b"")
            self._hand_back()
        elif direct is not None:
            self.leading = bytes(leading or b"")
        elif leading:  # bytes h11 read with the head: served by the first read (as httpcore2)
            from httpcore2._async.http11 import AsyncHTTP11UpgradeStream
            from httpcore2._sync.http11 import HTTP11UpgradeStream

            asynchronous = isinstance(connection, _async_connection())
            upgrade = AsyncHTTP11UpgradeStream if asynchronous else HTTP11UpgradeStream
            network = upgrade(network, bytes(leading))
        self.read: Any = network.read if direct is None else direct

    def feed(self, data: bytes) -> bytes:
        """The payload of one read (``b""``: the connection closed); at the end of the body,
        the connection is handed back (:attr:`ended`)."""
        payload = self._feed(data)
        if self.framing.ended:
            self.ended = True
            self._hand_back()
        return payload

    def _hand_back(self) -> None:
        """The body ended: let h11 see the end of the message, so that httpcore2 recycles the
        connection when the response closes. Bytes after the body (in the framing or in h11's
        buffer) leave h11 in the body: httpcore2 then closes the connection."""
        import h11

        framing, state = self.framing, self._connection._h11_state
        if framing.leftover or state._receive_buffer:
            return
        try:
            if isinstance(framing, ChunkedBody):
                state.receive_data(b"0\r\n\r\n")
            else:
                state._reader._remaining = 0
            event = state.next_event()
        except Exception:  # h11 disagrees: not reused (h11 is in ERROR, or still in the body)
            return
        if type(event) is not h11.EndOfMessage:  # pragma: no cover  # h11 would be mid-body
            self._connection._expire_at = 0.0


def _socket_read(network: Any) -> Callable[[int, float | None], bytes] | None:
    """The deadline proxy's ``read`` over httpcore2's sync socket stream, made directly: what
    ``_Stream.read`` and httpcore2's ``SyncStream.read`` do (the read's budget, the socket
    timeout, ``recv``, a timeout raised as ``ReadTimeout`` and any other ``OSError`` as
    ``ReadError``) without their two calls and the context manager that maps the errors, about
    a microsecond of every read. ``None`` for any other stream (async, TLS in TLS, a test's)."""
    from httpcore2._backends.sync import SyncStream

    from streamcall.transport.timeouts import _budget, _Stream

    if type(network) is not _Stream or type(network._inner) is not SyncStream:
        return None
    from httpcore2 import ReadError, ReadTimeout

    sock = network._inner._sock
    settimeout, recv = sock.settimeout, sock.recv

    def read(max_bytes: int, timeout: float | None = None) -> bytes:
        budget = _budget(timeout)
        try:
            settimeout(budget)
            return recv(max_bytes)
        except OSError as exc:  # as httpcore2 maps them: socket.timeout first, then OSError
            raise (ReadTimeout if isinstance(exc, TimeoutError) else ReadError)(exc) from exc

    return read


def _async_connection() -> type:
    import httpcore2

    return httpcore2.AsyncHTTP11Connection


def httpx_error(exc: BaseException) -> BaseException:
    """The httpx2 error for an error raised by a body read here (httpcore2's errors, as httpx2
    maps them; a :class:`FramingError` is ``httpx2.RemoteProtocolError``); any other as it is.
    The transport maps what a body iterator raises through this, then as httpx2's errors."""
    if not isinstance(exc, Exception) or type(exc).__module__.startswith("httpx2"):
        return exc
    import httpx2

    if isinstance(exc, FramingError):
        error: BaseException = httpx2.RemoteProtocolError(str(exc))
    else:
        from httpx2._transports.default import map_httpcore_exceptions

        try:
            with map_httpcore_exceptions():
                raise exc
        except Exception as mapped:  # httpcore2's errors become httpx2's; any other is itself
            error = mapped
    if error is not exc:
        error.__cause__ = exc
    return error


def _byte_stream(response: httpx2.Response) -> Any:
    """httpcore2's byte stream of ``response`` (it holds the connection); ``None`` where the
    private way there (see the module) is missing."""
    stream: Any = response.stream
    try:
        return stream._stream._httpcore_stream._stream
    except AttributeError:
        return None


def no_reuse_after_leftover(response: httpx2.Response) -> None:
    """The body ended; if bytes came after it in the same read (garbage after the terminal
    chunk), its connection must not be reused. On httpx2's path h11 keeps them as the start of
    the next response and httpcore2 has already put the connection back in the pool (it recycles
    one whenever both sides are done), so the next call on it would wait for a status line that
    never comes: marking its keep-alive expired makes the pool close it instead. (A body read
    here leaves h11 mid-body in that case, and httpcore2 closes the connection itself.)"""
    try:
        connection = _byte_stream(response)._connection
        if connection._h11_state.trailing_data[0]:
            connection._expire_at = 0.0
    except AttributeError:
        pass


def network_body(response: httpx2.Response) -> NetworkBody | None:
    """A :class:`NetworkBody` for ``response`` when its body can be read here, else ``None``
    (see the module for when)."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if BODY_READER == "httpx" or encoding not in ("identity", ""):
        return None
    import h11
    import httpcore2
    from h11._readers import ChunkedReader, ContentLengthReader

    from streamcall.transport.timeouts import _Proxy

    try:
        byte_stream = _byte_stream(response)
        connection, closed = byte_stream._connection, byte_stream._closed
        state = connection._h11_state
        reader, network = state._reader, connection._network_stream
    except AttributeError:
        return None
    if (
        closed
        or not isinstance(connection, httpcore2.HTTP11Connection | httpcore2.AsyncHTTP11Connection)
        or not isinstance(network, _Proxy)  # reads would not keep streamcall's deadlines
        or state.their_state is not h11.SEND_BODY
    ):
        return None
    framing: ChunkedBody | LengthBody
    if type(reader) is ChunkedReader and not (reader._bytes_in_chunk or reader._bytes_to_discard):
        framing = ChunkedBody()
    elif type(reader) is ContentLengthReader and reader._remaining == reader._length:
        framing = LengthBody(reader._length)
    else:  # HTTP/1.0 delimited by the close, or a body h11 has started on
        return None
    timeout = response.request.extensions.get("timeout", {}).get("read")
    return NetworkBody(connection, framing, timeout)


def read_body(body: NetworkBody) -> Iterator[bytes]:
    """The payload of each network read of ``body`` (in :func:`pieces`), until its end. Its
    errors are httpcore2's and :class:`FramingError` (see :func:`httpx_error`)."""
    feed, read, timeout = body.feed, body.read, body.timeout
    leading, body.leading = body.leading, b""
    while leading and not body.ended:  # as httpcore2's HTTP11UpgradeStream serves them
        data, leading = leading[:READ_SIZE], leading[READ_SIZE:]
        yield from pieces(feed(data))
    while not body.ended:
        if len(payload := feed(read(READ_SIZE, timeout))) <= PIECE:
            if payload:
                yield payload
        else:
            yield from pieces(payload)


async def read_body_async(body: NetworkBody) -> AsyncIterator[bytes]:
    while not body.ended:
        for piece in pieces(body.feed(await body.read(READ_SIZE, body.timeout))):
            yield piece


def pieces(payload: bytes) -> Iterable[bytes]:
    """``payload`` in pieces of at most :data:`PIECE` bytes, made as they are asked for
    (none for ``b""``).

    A read can hold hundreds of events (a backlog, a fast server, a whole body): decoded at
    once they would all be alive together, ~500 bytes each, in every stream. In pieces, a
    stream holds the read and the events of one piece, as h11 holds a read and one chunk."""
    if len(payload) <= PIECE:
        return (payload,) if payload else ()
    return (payload[start : start + PIECE] for start in range(0, len(payload), PIECE))


def iter_chunks(response: httpx2.Response) -> Iterator[bytes]:
    """The body of ``response``, one ``bytes`` per network read: read here where possible,
    else httpx2's ``iter_bytes()``. Pass what it raises through :func:`httpx_error`."""
    body = network_body(response)
    return response.iter_bytes() if body is None else read_body(body)


def aiter_chunks(response: httpx2.Response) -> AsyncIterator[bytes]:
    """As :func:`iter_chunks`, for an async response."""
    body = network_body(response)
    return response.aiter_bytes() if body is None else read_body_async(body)
