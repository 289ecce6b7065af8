"""Reading HTTP/1.1 bodies ourselves (``streamcall.transport.body``) over TLS: a threaded TLS
server (a ``trustme`` CA, an ``ssl``-wrapped socket, keep-alive) streams an OpenAI chat body,
each event in its own HTTP chunk. Sync and async, over both body paths (ours and httpx2's
iterator): the text, which path read the body, one TLS connection for two calls, and a
connection cut mid-body."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
import trustme

from streamcall.errors import StreamInterruptedError
from streamcall.registry import PROVIDERS
from streamcall.transport import body
from tests.wire_fixtures import fixtures

TEXT = next(f for f in fixtures("openai_chat.") if f.name == "openai_chat.text.sse")
EXPECTED = TEXT.expected["text"]
EVENTS = [event + b"\n\n" for event in TEXT.body.split(b"\n\n") if event]
MESSAGES = [{"role": "user", "content": "hi"}]
HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
)
CUT_AFTER = len(EVENTS) // 2  # events sent before a cut


def text_in(events: list[bytes]) -> str:
    """The text the chat chunks among ``events`` carry."""
    text = ""
    for event in events:
        data = event.removeprefix(b"data: ").strip()
        if data != b"[DONE]":
            for choice in json.loads(data)["choices"]:
                text += choice["delta"].get("content") or ""
    return text


assert text_in(EVENTS) == EXPECTED
assert 0 < len(text_in(EVENTS[:CUT_AFTER])) < len(EXPECTED)


# -- the TLS server ---------------------------------------------------------------------------


def request_read(conn: ssl.SSLSocket) -> bool:
    """Read one whole request (head and ``Content-Length`` body); whether one came."""
    data = b""
    while b"\r\n\r\n" not in data:
        if not (more := conn.recv(65536)):
            return False
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(rest) < length:
        if not (more := conn.recv(65536)):
            return False
        rest += more
    return True


class TLSServer:
    """A threaded HTTP/1.1 server over TLS on 127.0.0.1: each POST gets the chunked SSE body
    of :data:`EVENTS`, one event per HTTP chunk and write; with ``cut``, the connection is
    closed (no ``close_notify``) after :data:`CUT_AFTER` events instead."""

    def __init__(self, cert: trustme.LeafCert, cut: bool = False) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.context)
        self.cut = cut
        self.accepted = 0
        self.responses = 0
        self.errors: list[BaseException] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except TimeoutError:
                continue
            raw.settimeout(5)
            with self._lock:
                self.accepted += 1
                self._sockets.append(raw)
            thread = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            conn = self.context.wrap_socket(raw, server_side=True)  # the handshake, here
        except (OSError, ssl.SSLError):
            raw.close()
            return
        with self._lock:
            self._sockets.append(conn)
        try:
            while not self._stop.is_set() and request_read(conn):
                conn.sendall(HEAD)
                for i, event in enumerate(EVENTS):
                    if self.cut and i == CUT_AFTER:
                        conn.close()  # mid-body, without close_notify
                        return
                    conn.sendall(b"%x\r\n%s\r\n" % (len(event), event))
                conn.sendall(b"0\r\n\r\n")
                self.responses += 1
        except OSError:
            pass  # the client went away, or close() below
        except BaseException as exc:  # pragma: no cover  # shown by close()
            self.errors.append(exc)
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._accepting.join(5)
        with self._lock:
            for sock in self._sockets:  # unblock handlers still waiting for a request
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        for sock in self._sockets:
            sock.close()
        self._listener.close()
        assert not self.errors, self.errors


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture
def trust(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def tls(cert: trustme.LeafCert) -> Iterator[TLSServer]:
    server = TLSServer(cert)
    yield server
    server.close()


@pytest.fixture
def cutting(cert: trustme.LeafCert) -> Iterator[TLSServer]:
    server = TLSServer(cert, cut=True)
    yield server
    server.close()


@pytest.fixture(params=["streamcall", "httpx"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Which body path is forced; yields whether each response was read by streamcall (every
    response checked to have come over TLS)."""
    monkeypatch.setattr(body, "BODY_READER", request.param)
    used: list[bool] = []
    network_body = body.network_body

    def noting(response: httpx2.Response) -> body.NetworkBody | None:
        stream = response.extensions["network_stream"]
        assert stream.get_extra_info("ssl_object") is not None  # over TLS
        found = network_body(response)
        used.append(found is not None)
        return found

    monkeypatch.setattr(body, "network_body", noting)
    yield used
    assert used
    assert all(used) == (request.param == "streamcall")
    assert any(used) == (request.param == "streamcall")


# -- the client -------------------------------------------------------------------------------


@contextlib.contextmanager
def openai(server: TLSServer, trust: ssl.SSLContext) -> Iterator[Any]:
    """A streamcall OpenAI client on ``server``, through an httpx2 client trusting its CA."""
    with httpx2.Client(verify=trust) as http:
        client = PROVIDERS["openai"].make_client(
            api_key="k", base_url=server.url, client=http, retries=0
        )
        with client:
            yield client


@contextlib.asynccontextmanager
async def aopenai(server: TLSServer, trust: ssl.SSLContext) -> AsyncIterator[Any]:
    async with httpx2.AsyncClient(verify=trust) as http:
        client = PROVIDERS["openai"].make_client(
            api_key="k", base_url=server.url, async_client=http, retries=0
        )
        async with client:
            yield client


def content(chunk: Any) -> str:
    if chunk.choices and isinstance(text := chunk.choices[0].delta.content, str):
        return text
    return ""


def text_of(client: Any) -> str:
    with client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream:
        return "".join(content(chunk) for chunk in stream)


async def atext_of(client: Any) -> str:
    stream = await client.chat.completions.create_async(model="m", messages=MESSAGES, stream=True)
    async with stream:
        return "".join([content(chunk) async for chunk in stream])


def check_cut(error: StreamInterruptedError, reader: list[bool]) -> None:
    """The cut is httpx2's ``RemoteProtocolError`` (a ``FramingError`` on our path: the TLS
    stream's end is read as the connection's end, before the terminal chunk)."""
    assert reader == [reader[0]]
    cause = error.__cause__
    assert isinstance(cause, httpx2.RemoteProtocolError)
    assert "incomplete chunked read" in str(cause)
    assert isinstance(cause.__cause__, body.FramingError) == reader[0]


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_a_tls_stream_reads_the_same_and_reuses_its_connection(
    tls: TLSServer, trust: ssl.SSLContext, reader: list[bool]
) -> None:
    with openai(tls, trust) as client:
        assert [text_of(client), text_of(client)] == [EXPECTED] * 2
    assert reader == [reader[0]] * 2
    assert tls.responses == 2
    assert tls.accepted == 1  # one TLS connection, kept alive


@pytest.mark.timeout(20)
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_tls_stream_async(
    tls: TLSServer, trust: ssl.SSLContext, reader: list[bool]
) -> None:
    async with aopenai(tls, trust) as client:
        assert [await atext_of(client), await atext_of(client)] == [EXPECTED] * 2
    assert reader == [reader[0]] * 2
    assert tls.responses == 2
    assert tls.accepted == 1


@pytest.mark.timeout(20)
def test_a_tls_connection_cut_mid_body_interrupts_the_stream(
    cutting: TLSServer, trust: ssl.SSLContext, reader: list[bool]
) -> None:
    text = ""
    with openai(cutting, trust) as client:
        with client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream:
            with pytest.raises(StreamInterruptedError) as caught:
                for chunk in stream:
                    text += content(chunk)
    assert text == text_in(EVENTS[:CUT_AFTER])  # what came before the cut is kept
    check_cut(caught.value, reader)
    assert cutting.accepted == 1  # not retried


@pytest.mark.timeout(20)
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_tls_connection_cut_mid_body_async(
    cutting: TLSServer, trust: ssl.SSLContext, reader: list[bool]
) -> None:
    text = ""
    async with aopenai(cutting, trust) as client:
        stream = await client.chat.completions.create_async(
            model="m", messages=MESSAGES, stream=True
        )
        async with stream:
            with pytest.raises(StreamInterruptedError) as caught:
                async for chunk in stream:
                    text += content(chunk)
    assert text == text_in(EVENTS[:CUT_AFTER])
    check_cut(caught.value, reader)
    assert cutting.accepted == 1
