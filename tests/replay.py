"""A local replay server for tests and benchmarks (127.0.0.1 only, no internet).

It speaks just enough HTTP/1.1 (keep-alive, chunked responses) to replay a recorded response
body exactly as given, or re-chunked at random boundaries, or slowly, or stalled, or cut off, or
behind an HTTP error status with ``Retry-After``. Each test registers a *route*: a list of
replies served to successive requests (the last one repeats), reached through a base URL of its
own, so tests never interfere. The server records every request and notices when a client
closes a connection in the middle of a response.

    with ReplayServer() as server:
        url = server.route(Reply(body=sse_bytes, chunking=Chunking.random(seed=1)))
        client = Mistral(api_key="test", server_url=url)
"""

from __future__ import annotations

import contextlib
import itertools
import random
import select
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["Chunking", "RecordedRequest", "ReplayServer", "Reply", "Route"]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Chunking:
    """How a body is cut into writes: whole, fixed sizes, random sizes from a seed, or one
    write (one HTTP chunk) per event, as real streaming servers flush them."""

    sizes: tuple[int, ...] = ()
    seed: int | None = None
    max_size: int = 64
    separator: bytes | None = None

    @classmethod
    def whole(cls) -> Chunking:
        return cls()

    @classmethod
    def fixed(cls, *sizes: int) -> Chunking:
        return cls(sizes=sizes)

    @classmethod
    def random(cls, seed: int, max_size: int = 64) -> Chunking:
        return cls(seed=seed, max_size=max_size)

    @classmethod
    def events(cls, separator: bytes = b"\n\n") -> Chunking:
        """One write per event: the body cut after each ``separator`` (SSE: a blank line;
        NDJSON: ``b"\\n"``)."""
        return cls(separator=separator)

    def split(self, body: bytes) -> list[bytes]:
        if self.separator is not None:
            pieces = [p + self.separator for p in body.split(self.separator)]
            pieces[-1] = pieces[-1][: -len(self.separator)]
            return [p for p in pieces if p]
        if self.seed is not None:
            rng = random.Random(self.seed)
            pieces, i = [], 0
            while i < len(body):
                n = rng.randint(1, self.max_size)
                pieces.append(body[i : i + n])
                i += n
            return pieces
        if self.sizes:
            pieces, i = [], 0
            for n in itertools.cycle(self.sizes):
                if i >= len(body):
                    break
                pieces.append(body[i : i + n])
                i += n
            return pieces
        return [body] if body else []


@dataclass
class Reply:
    """One HTTP response to replay.

    Attributes:
        body: The exact body bytes.
        status: HTTP status.
        headers: Extra response headers (for example ``{"Retry-After": "0"}``).
        content_type: The ``Content-Type`` header.
        chunking: How the body is cut into separate writes (and HTTP chunks).
        delay: Seconds to sleep between writes.
        stall_after: Stop sending after this many body bytes and hold the connection open
            until the client closes it or the server stops.
        cut_after: Drop the connection after this many body bytes, without ending the body.
        headers_delay: Seconds to wait before sending the status line.
        content_length: Send ``Content-Length`` instead of chunked transfer encoding.
        body_delay: Seconds to wait after sending the headers before the first body byte (a
            streaming server that answers at once and produces its first token later).
        hang_up: Close the connection on receiving the request, sending nothing (a server
            closing a kept-alive connection, its idle timeout up, just as a request arrives).
    """

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/event-stream"
    chunking: Chunking = field(default_factory=Chunking)
    delay: float = 0.0
    stall_after: int | None = None
    cut_after: int | None = None
    headers_delay: float = 0.0
    content_length: bool = False
    body_delay: float = 0.0
    hang_up: bool = False


@dataclass
class RecordedRequest:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int = 0  # the client's port: requests on one connection share it

    def json(self) -> object:
        import json

        return json.loads(self.body)


@dataclass
class Route:
    """Replies for one base URL, and what happened on it."""

    replies: list[Reply]
    requests: list[RecordedRequest] = field(default_factory=list)
    served: int = 0
    client_closed_early: threading.Event = field(default_factory=threading.Event)
    finished_responses: int = 0

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class ReplayServer:
    """A threaded HTTP/1.1 replay server on 127.0.0.1 (see the module docstring)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self.routes: dict[str, Route] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, *replies: Reply) -> str:
        """Register replies for successive requests; return the base URL that reaches them."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        with self._lock:
            rid = f"r{next(self._ids)}"
            self.routes[rid] = Route(list(replies))
        return f"{self.origin}/{rid}"

    def route_of(self, base_url: str) -> Route:
        return self.routes[base_url.rstrip("/").rsplit("/", 1)[1]]

    def requests(self, base_url: str) -> list[RecordedRequest]:
        return self.route_of(base_url).requests

    def connections(self, base_url: str) -> int:
        """How many distinct connections carried the requests of a route."""
        return len({r.connection for r in self.requests(base_url)})

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):  # wakes the blocked accept() (close alone does not)
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

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- serving ------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns.add(conn)
            thread = threading.Thread(target=self._serve_connection, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve_connection(self, conn: socket.socket) -> None:
        buffer = b""
        try:
            while not self._stopping.is_set():
                request, buffer = self._read_request(conn, buffer)
                if request is None:
                    return
                request.connection = conn.getpeername()[1]
                rid, _, rest = request.path.lstrip("/").partition("/")
                route = self.routes.get(rid)
                request.path = "/" + rest
                if route is None:
                    self._send_simple(conn, 404, b'{"message":"no such route"}')
                    continue
                with self._lock:
                    route.requests.append(request)
                    reply = route.next_reply()
                if not self._send_reply(conn, reply, route):
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _read_request(
        self, conn: socket.socket, buffer: bytes
    ) -> tuple[RecordedRequest | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buffer += data
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(buffer) < length:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buffer += data
        body, buffer = buffer[:length], buffer[length:]
        return RecordedRequest(method, path, headers, body), buffer

    def _send_simple(self, conn: socket.socket, status: int, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    def _send_reply(self, conn: socket.socket, reply: Reply, route: Route) -> bool:
        """Send one reply; return whether the connection may serve another request."""
        if reply.hang_up:
            return False
        if reply.headers_delay:
            time.sleep(reply.headers_delay)
        body = reply.body
        limit = len(body)
        if reply.stall_after is not None:
            limit = min(limit, reply.stall_after)
        if reply.cut_after is not None:
            limit = min(limit, reply.cut_after)
        head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}"]
        head.append(f"content-type: {reply.content_type}")
        if reply.content_length:
            head.append(f"content-length: {len(body)}")
        else:
            head.append("transfer-encoding: chunked")
        head.extend(f"{k}: {v}" for k, v in reply.headers.items())
        try:
            conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            if reply.body_delay:
                time.sleep(reply.body_delay)
            for i, piece in enumerate(self._pieces(body[:limit], reply.chunking)):
                if i and reply.delay:
                    time.sleep(reply.delay)
                if self._stopping.is_set():
                    return False
                frame = piece if reply.content_length else b"%x\r\n%s\r\n" % (len(piece), piece)
                conn.sendall(frame)
        except OSError:
            route.client_closed_early.set()
            return False
        if limit < len(body):
            if reply.cut_after is not None and limit == reply.cut_after:
                conn.shutdown(socket.SHUT_RDWR)
                return False
            self._hold_until_client_closes(conn, route)
            return False
        if not reply.content_length:
            conn.sendall(b"0\r\n\r\n")
        with self._lock:
            route.finished_responses += 1
        return True

    @staticmethod
    def _pieces(body: bytes, chunking: Chunking) -> Iterator[bytes]:
        yield from chunking.split(body)

    def _hold_until_client_closes(self, conn: socket.socket, route: Route) -> None:
        while not self._stopping.is_set():
            readable, _, _ = select.select([conn], [], [], 0.05)
            if readable:
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    route.client_closed_early.set()
                    return


def sse_body(payloads: Sequence[str], done: bool = True) -> bytes:
    """An SSE body of ``data:`` events (and ``data: [DONE]``)."""
    events = [f"data: {p}\n\n" for p in payloads]
    if done:
        events.append("data: [DONE]\n\n")
    return "".join(events).encode()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve files until stdin closes: ``python -m tests.replay BODY_FILE...``.

    Prints one base URL per file (in order), then serves each file's bytes to every request on
    its URL. Used by the benchmarks, so that the server does not share the client's GIL.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("bodies", nargs="+", help="files holding response bodies")
    parser.add_argument(
        "--per-event",
        action="store_true",
        help="send each SSE event as its own HTTP chunk (as real servers flush them); "
        "default: the whole body in one chunk",
    )
    args = parser.parse_args(argv)
    chunking = Chunking.events() if args.per_event else Chunking.whole()
    with ReplayServer() as server:
        for path in args.bodies:
            with open(path, "rb") as f:
                print(server.route(Reply(body=f.read(), chunking=chunking)), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
