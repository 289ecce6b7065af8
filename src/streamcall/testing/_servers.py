"""The recording proxy and the replay server: HTTP/1.1 on 127.0.0.1, one thread a connection.

Both are thin: what to record and how to scrub it, and what to write when, are decided in
``_cassette``; these only move bytes and sleep.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from streamcall.testing._cassette import (
    CREDENTIAL_HEADERS,
    HOP_BY_HOP,
    RECORDED,
    Cassette,
    Interaction,
    Piece,
    Rechunk,
    credentials,
    mask,
    plan,
    scrub_headers,
    scrub_path,
    scrub_pieces,
)

if TYPE_CHECKING:
    import httpx2

__all__ = ["Recorder", "Replayer"]

Match = Literal["order", "path", "body"]
_NO_BODY = frozenset({204, 304})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def _dispatch(self) -> None:
        self.server.owner._handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test's output is its own."""

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            parts = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def send_head(self, status: int, headers: list[tuple[str, str]], framed: bool) -> None:
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header(
            "transfer-encoding" if framed else "content-length", "chunked" if framed else "0"
        )
        self.end_headers()

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def send_end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def send_error_json(self, status: int, message: str) -> None:
        body = json.dumps({"error": {"message": message, "type": "streamcall_cassette"}}).encode()
        self.send_response_only(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def cut(self) -> None:
        """Drop the connection without ending the body."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: _Base) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.workers: list[threading.Thread] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            self.connections.add(request)
            self.workers = [t for t in self.workers if t.is_alive()]
        worker = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        self.workers.append(worker)
        worker.start()

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.connections.discard(request)
        super().shutdown_request(request)


class _Base:
    """A server on 127.0.0.1 run by a thread: ``url``, ``close()``, ``with``."""

    def __init__(self) -> None:
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL to point a client at (``http://127.0.0.1:PORT``)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handle(self, handler: _Handler) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Stop serving; open connections are closed."""
        self._server.shutdown()
        self._server.server_close()
        with self._server.lock:
            connections = list(self._server.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for worker in list(self._server.workers):
            worker.join(timeout=5)
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class Recorder(_Base):
    """A recording reverse proxy on 127.0.0.1.

    Point a client at ``recorder.url`` (its ``base_url`` / ``server_url``, with the path
    prefix the client expects of ``upstream``). Each request is forwarded to ``upstream``
    (``https://api.openai.com/v1``: the request's path is appended) with the client's headers,
    and the response streamed back piece by piece as it arrives, while the exchange is kept:
    method, path, request body, status, headers, and each body piece with its time, in the
    order the requests came. The cassette is written to ``path`` after each exchange.
    ``verify`` is httpx2's (a CA bundle or ``ssl.SSLContext`` for a TLS-inspecting proxy);
    ``client`` replaces the proxy's own httpx2 client. Credentials never reach the file:
    credential headers are not kept, credential query parameters are dropped, and the value
    of any credential the request carried (or of ``secrets``) is masked with ``*``.
    """

    def __init__(
        self,
        upstream: str,
        path: str | os.PathLike[str] | None = None,
        *,
        secrets: tuple[str, ...] = (),
        timeout: float = 600.0,
        verify: ssl.SSLContext | str | bool = True,
        client: httpx2.Client | None = None,
    ) -> None:
        import httpx2

        self.upstream = upstream.rstrip("/")
        self.path = path
        self.cassette = Cassette()
        self._secrets = frozenset(secrets)
        self._lock = threading.Lock()
        self._started = itertools.count()
        self._order: list[int] = []  # when each recorded request came, in the cassette's order
        self._own_client = client is None
        self._client = client or httpx2.Client(
            timeout=httpx2.Timeout(timeout, connect=30.0), follow_redirects=False, verify=verify
        )
        super().__init__()

    def __repr__(self) -> str:
        return f"Recorder(upstream={self.upstream!r}, url={self.url!r})"

    def close(self) -> None:
        """Stop the proxy (the cassette is already written)."""
        super().close()
        if self._own_client:
            self._client.close()

    def _handle(self, handler: _Handler) -> None:
        import httpx2

        target, request_body = handler.path, handler.read_body()
        with self._lock:
            arrived = next(self._started)
        incoming = list(handler.headers.items())
        secrets = credentials(incoming, target) | self._secrets
        forwarded = [
            (k, v)
            for k, v in incoming
            if k.lower() not in HOP_BY_HOP and k.lower() not in {"host", "accept-encoding"}
        ]
        forwarded.append(("accept-encoding", "identity"))
        pieces: list[Piece] = []
        complete = True
        start = time.monotonic()
        try:
            with self._client.stream(
                handler.command, self.upstream + target, headers=forwarded, content=request_body
            ) as response:
                head_at = time.monotonic() - start
                headers = [
                    (k, v) for k, v in response.headers.multi_items() if k.lower() not in HOP_BY_HOP
                ]
                framed = handler.command != "HEAD" and response.status_code not in _NO_BODY
                handler.send_head(response.status_code, headers, framed)
                try:
                    for data in response.iter_bytes() if framed else ():
                        pieces.append(Piece(time.monotonic() - start, data))
                        handler.send_chunk(data)
                except httpx2.HTTPError:
                    complete = False
                    handler.cut()
                except OSError:  # the client left: what came so far is the recording
                    complete = False
                    handler.close_connection = True
                if complete and framed:
                    handler.send_end()
        except httpx2.HTTPError as exc:
            if not pieces:
                handler.send_error_json(502, f"upstream {self.upstream}: {type(exc).__name__}")
            return
        interaction = Interaction(
            method=handler.command,
            path=scrub_path(target, secrets),
            request_body=mask(request_body, secrets),
            status=response.status_code,
            headers=scrub_headers(headers, secrets),
            head_at=head_at,
            pieces=scrub_pieces(pieces, secrets),
            complete=complete,
        )
        with self._lock:  # in the order the requests came, whenever each ended
            at = bisect.bisect(self._order, arrived)
            self._order.insert(at, arrived)
            self.cassette.interactions.insert(at, interaction)
            if self.path is not None:
                self.cassette.save(self.path)


class Replayer(_Base):
    """A replay server on 127.0.0.1 serving recorded exchanges.

    Each request is answered by the first exchange not yet served that matches it: any
    (``match="order"``), the same method and path (``"path"``, the default), or the same
    method, path and request body (``"body"``). The body is written as recorded or re-cut
    (``rechunk``), at once (``speed=None``) or paced by the recorded times divided by
    ``speed``. A request that nothing matches gets a 404 and is listed in ``unmatched``.
    """

    def __init__(
        self,
        cassette: Cassette | str | os.PathLike[str],
        *,
        rechunk: Rechunk = RECORDED,
        speed: float | None = None,
        match: Match = "path",
    ) -> None:
        self.cassette = cassette if isinstance(cassette, Cassette) else Cassette.load(cassette)
        self.rechunk = rechunk
        self.speed = speed
        self.match = match
        self.served: list[Interaction] = []
        self.unmatched: list[str] = []
        self._lock = threading.Lock()
        self._left = list(self.cassette.interactions)
        super().__init__()

    def __repr__(self) -> str:
        return f"Replayer({len(self.cassette.interactions)} interactions, url={self.url!r})"

    @property
    def unused(self) -> list[Interaction]:
        """The recorded exchanges no request has asked for yet."""
        with self._lock:
            return list(self._left)

    def _matches(self, method: str, path: str, body: bytes) -> Callable[[Interaction], bool]:
        def matches(i: Interaction) -> bool:
            if self.match == "order":
                return True
            same = i.method == method and i.path == path
            return same and (self.match == "path" or i.request_body == body)

        return matches

    def _handle(self, handler: _Handler) -> None:
        received = time.monotonic()
        body = handler.read_body()
        secrets = credentials(list(handler.headers.items()), handler.path)
        path = scrub_path(handler.path, secrets)
        matches = self._matches(handler.command, path, mask(body, secrets))
        with self._lock:
            found = next((i for i in self._left if matches(i)), None)
            if found is None:
                self.unmatched.append(f"{handler.command} {path}")
            else:
                self._left.remove(found)
                self.served.append(found)
        if found is None:
            handler.send_error_json(404, f"no recorded exchange for {handler.command} {path}")
            return
        head_at, writes = plan(found, self.rechunk, self.speed)
        framed = handler.command != "HEAD" and found.status not in _NO_BODY
        _sleep_until(received + head_at)
        headers = [(k, v) for k, v in found.headers if k.lower() not in CREDENTIAL_HEADERS]
        handler.send_head(found.status, headers, framed)
        if not framed:
            return
        try:
            for at, data in writes:
                _sleep_until(received + at)
                handler.send_chunk(data)
            if found.complete:
                handler.send_end()
                return
        except OSError:  # the client left
            pass
        handler.cut()
