"""A hostile local HTTP server (127.0.0.1 only): the faults ``tests/replay.py`` cannot produce.

``ReplayServer`` speaks correct HTTP/1.1 and can only be slow, stall or close cleanly. This
server breaks the protocol and the connection on purpose: a reset (RST, through ``SO_LINGER``
0) before the headers, in the middle of them or in the middle of the body; chunked framing that
lies (a chunk size that is not hex, a chunk longer than it said, no terminal chunk, garbage after
it); a ``Content-Length`` body that ends early; garbage instead of a status line; an HTTP/1.0
body delimited by closing the connection. :class:`SilentServer` accepts connections and never
reads a byte of them.

Each test registers a *route* (a list of :class:`Fault` s served to successive requests, the
last one repeating) and gets a base URL of its own::

    with HostileServer() as server:
        url = server.route(Fault(Kind.RESET_MID_BODY, body=prefix))
        client = OpenAI(api_key="k", base_url=url)

Every fault first sends ``body`` (the events a client must keep), then waits ``pause`` seconds
(so that the client has read them: a reset may discard bytes the client has not read yet), then
breaks. The server counts the connections it holds (:attr:`HostileServer.open_connections`) and
records when a client closed one before the server was done with it.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["Fault", "HostileServer", "Kind", "SilentServer", "reset"]


class Kind(enum.Enum):
    """What goes wrong (see :class:`Fault`)."""

    RESET_BEFORE_HEADERS = "reset before the status line"
    RESET_MID_HEADERS = "reset in the middle of the headers"
    RESET_MID_BODY = "reset in the middle of the body"
    BAD_CHUNK_SIZE = "a chunk size that is not hex"
    CHUNK_OVERRUN = "a chunk longer than its declared size"
    NO_TERMINAL_CHUNK = "the connection closed without the terminal chunk"
    TRAILING_GARBAGE = "garbage after the terminal chunk"
    SHORT_CONTENT_LENGTH = "fewer bytes than Content-Length, then close"
    GARBAGE_STATUS_LINE = "garbage instead of a status line"
    HTTP10_CLOSE = "an HTTP/1.0 body delimited by closing the connection"
    STALL = "the body stops and the connection stays open"
    SILENT = "the request is read and never answered (no status line)"
    FINE = "a correct chunked response (keep-alive)"


@dataclass(frozen=True)
class Fault:
    """One response that goes wrong.

    Attributes:
        kind: What goes wrong.
        body: The body bytes sent before the fault (for ``FINE``, ``TRAILING_GARBAGE`` and
            ``HTTP10_CLOSE``: the whole body).
        content_type: The ``Content-Type`` header.
        pause: Seconds between the body and the fault.
        garbage: The bytes of ``GARBAGE_STATUS_LINE``, ``BAD_CHUNK_SIZE`` and
            ``TRAILING_GARBAGE``.
    """

    kind: Kind
    body: bytes = b""
    content_type: str = "text/event-stream"
    pause: float = 0.1
    garbage: bytes = b"zz\r\nnot a chunk at all\r\n"


@dataclass
class _Route:
    faults: list[Fault]
    served: int = 0
    requests: list[bytes] = field(default_factory=list)
    client_closed: threading.Event = field(default_factory=threading.Event)

    def next_fault(self) -> Fault:
        fault = self.faults[min(self.served, len(self.faults) - 1)]
        self.served += 1
        return fault


def reset(conn: socket.socket) -> None:
    """Close ``conn`` with a TCP reset (RST) instead of an orderly FIN."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


class _Listener:
    """A threaded listener on 127.0.0.1, port 0; one thread per connection."""

    def __init__(self, backlog: int = 64, rcvbuf: int | None = None) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf is not None:  # inherited by accepted sockets
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(backlog)
        self.port: int = self._sock.getsockname()[1]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self.accepted = 0
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        """Connections the server side still holds."""
        with self._lock:
            return len(self._conns)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
                self.accepted += 1
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self._serve(conn)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _wait_for_close(self, conn: socket.socket, limit: float = 30.0) -> bool:
        """Hold ``conn`` without sending until the client closes it (``True``), the server
        stops, or ``limit`` seconds pass. Reads (and discards) what the client sends."""
        end = time.monotonic() + limit
        while not self._stopping.is_set() and time.monotonic() < end:
            readable, _, _ = select.select([conn], [], [], 0.02)
            if readable:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return True
                if not data:
                    return True
        return False

    def close(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._acceptor.join(timeout=5)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class HostileServer(_Listener):
    """Serves :class:`Fault` s by route (see the module docstring)."""

    def __init__(self) -> None:
        self.routes: dict[str, _Route] = {}
        self._ids = itertools.count(1)
        super().__init__()

    def __enter__(self) -> HostileServer:
        return self

    def route(self, *faults: Fault) -> str:
        """Register faults for successive requests; the base URL that reaches them."""
        if not faults:
            raise ValueError("a route needs at least one fault")
        with self._lock:
            rid = f"h{next(self._ids)}"
            self.routes[rid] = _Route(list(faults))
        return f"{self.origin}/{rid}"

    def _route_of(self, base_url: str) -> _Route:
        return self.routes[base_url.rstrip("/").rsplit("/", 1)[1]]

    def requests(self, base_url: str) -> int:
        """How many requests reached the route of ``base_url``."""
        return len(self._route_of(base_url).requests)

    def client_closed(self, base_url: str, timeout: float) -> bool:
        """Whether a client closed a connection of the route while the server held it (a
        ``STALL`` or ``SILENT``), waiting up to ``timeout`` seconds."""
        return self._route_of(base_url).client_closed.wait(timeout)

    # -- serving ------------------------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        while not self._stopping.is_set():
            head, buffer = self._read_request(conn, buffer)
            if head is None:
                return
            path = head.split(b" ", 2)[1].decode("latin-1")
            rid = path.lstrip("/").partition("/")[0]
            route = self.routes.get(rid)
            if route is None:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                continue
            with self._lock:
                route.requests.append(head)
                fault = route.next_fault()
            if not self._send(conn, fault, route):
                return

    @staticmethod
    def _read_request(conn: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buffer += data
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(buffer) < length:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buffer += data
        return head, buffer[length:]

    def _head(self, fault: Fault, framing: str, version: str = "HTTP/1.1") -> bytes:
        return (
            f"{version} 200 OK\r\ncontent-type: {fault.content_type}\r\n{framing}\r\n\r\n"
        ).encode("latin-1")

    def _send(self, conn: socket.socket, fault: Fault, route: _Route) -> bool:
        """Send one faulty response; whether the connection may serve another request."""
        kind = fault.kind
        chunked = self._head(fault, "transfer-encoding: chunked")
        if kind is Kind.RESET_BEFORE_HEADERS:
            time.sleep(fault.pause)
            reset(conn)
            return False
        if kind is Kind.RESET_MID_HEADERS:
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-")
            time.sleep(fault.pause)
            reset(conn)
            return False
        if kind is Kind.SILENT:
            if self._wait_for_close(conn):
                route.client_closed.set()
            return False
        if kind is Kind.GARBAGE_STATUS_LINE:
            conn.sendall(fault.garbage)
            time.sleep(fault.pause)
            return False
        if kind is Kind.SHORT_CONTENT_LENGTH:
            head = self._head(fault, f"content-length: {len(fault.body) + 4096}")
            conn.sendall(head + fault.body)
            time.sleep(fault.pause)
            return False
        if kind is Kind.HTTP10_CLOSE:
            conn.sendall(self._head(fault, "connection: close", "HTTP/1.0") + fault.body)
            time.sleep(fault.pause)
            return False
        conn.sendall(chunked + _chunk(fault.body))
        if kind is Kind.FINE:
            conn.sendall(b"0\r\n\r\n")
            return True
        if kind is Kind.TRAILING_GARBAGE:
            conn.sendall(b"0\r\n\r\n" + fault.garbage)
            self._wait_for_close(conn, limit=5)  # whatever comes next is read and dropped
            return False
        time.sleep(fault.pause)
        if kind is Kind.RESET_MID_BODY:
            reset(conn)
        elif kind is Kind.BAD_CHUNK_SIZE:
            conn.sendall(fault.garbage)
            time.sleep(fault.pause)
        elif kind is Kind.CHUNK_OVERRUN:
            conn.sendall(b"4\r\ndata: but this chunk is much longer than four bytes\r\n")
            time.sleep(fault.pause)
        elif kind is Kind.STALL and self._wait_for_close(conn):
            route.client_closed.set()
        # NO_TERMINAL_CHUNK: the connection closes (FIN) on return
        return False


class SilentServer(_Listener):
    """Accepts connections and never reads from them (nor writes): a request larger than the
    socket buffers blocks its sender; any request waits for an answer that never comes. The
    receive buffer is kept small so that a few hundred KiB fill it."""

    def __init__(self) -> None:
        super().__init__(rcvbuf=4096)

    def __enter__(self) -> SilentServer:
        return self

    def _serve(self, conn: socket.socket) -> None:
        while not self._stopping.wait(0.05):
            # Without reading, the only way to see the client leave is a peek at EOF.
            readable, _, _ = select.select([conn], [], [], 0)
            if readable:
                try:
                    peeked = conn.recv(1, socket.MSG_PEEK)
                except OSError:
                    return
                if not peeked:
                    return
