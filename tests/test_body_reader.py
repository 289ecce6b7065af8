"""Reading HTTP/1.1 bodies ourselves (``streamcall.transport.body``): the framing parsers, both
body paths (ours and httpx2's iterator) on sync and async streams, connection reuse, and the
cases that fall back to httpx2's iterator. The conformance and fault suites run over both paths
(``tests/conftest.py``: ``--body-reader``)."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import socket
import threading
from collections.abc import Iterable, Iterator

import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage
from streamcall.errors import StreamInterruptedError, StreamTimeoutError
from streamcall.transport import Timeouts, body
from streamcall.transport.body import MAX_LINE, ChunkedBody, FramingError, LengthBody
from tests.faults.hostile import Fault, HostileServer, Kind
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.wire_fixtures import fixtures

TEXT = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
MESSAGES = [UserMessage(content="hi")]
EXPECTED = TEXT.expected["text"]


# -- the framing parsers (sans-IO) ------------------------------------------------------------


@st.composite
def chunked_wires(draw: st.DrawFn) -> tuple[bytes, bytes, list[int]]:
    """(payload, its chunked encoding with extensions, odd hex case and trailers, cut points)."""
    payload = draw(st.binary(max_size=600))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(payload) - 1, 1)), max_size=8)))
    pieces = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)], strict=True)]
    wire = b""
    for piece in filter(None, pieces):
        size = b"%x" % len(piece)
        size = size.upper() if draw(st.booleans()) else size
        size = b"0" * draw(st.integers(0, 3)) + size
        ext = draw(st.sampled_from([b"", b";a=b", b'; name="q;v"', b";x", b" ;y=1"]))
        wire += size + ext + draw(st.sampled_from([b"", b" ", b"\t "])) + b"\r\n" + piece + b"\r\n"
    trailers = draw(st.sampled_from([b"", b"Expires: never\r\n", b"a: 1\r\nB-c: two\r\n"]))
    wire += b"0\r\n" + trailers + b"\r\n"
    splits = sorted(draw(st.sets(st.integers(1, len(wire) - 1), max_size=12)))
    return payload, wire, splits


@given(chunked_wires(), st.binary(max_size=20))
@settings(max_examples=300, deadline=None)
def test_any_chunked_body_cut_anywhere_gives_its_payload(
    case: tuple[bytes, bytes, list[int]], after: bytes
) -> None:
    payload, wire, splits = case
    wire += after
    parser = ChunkedBody()
    got = []
    bounds = [0, *splits, len(wire)]
    for a, b in itertools.pairwise(bounds):
        assert not parser.ended
        got.append(parser.feed(wire[a:b]))
        if parser.ended:
            break
    assert parser.ended
    assert b"".join(got) == payload
    assert after.startswith(parser.leftover)  # bytes after the body: kept, never payload


@given(chunked_wires())
@settings(max_examples=100, deadline=None)
def test_a_chunked_body_cut_short_is_a_framing_error(case: tuple[bytes, bytes, list[int]]) -> None:
    _, wire, splits = case
    for cut in splits:
        parser = ChunkedBody()
        parser.feed(wire[:cut])
        if not parser.ended:
            with pytest.raises(FramingError, match="incomplete chunked read"):
                parser.feed(b"")


def test_one_whole_chunk_per_read_is_sliced_once() -> None:
    parser = ChunkedBody()
    assert parser.feed(b"5\r\nhello\r\n") == b"hello"
    assert parser.feed(b"1A\r\n" + b"x" * 26 + b"\r\n") == b"x" * 26
    assert parser.feed(b"0\r\n\r\n") == b""
    assert parser.ended
    assert parser.leftover == b""


@pytest.mark.parametrize(
    "wire",
    [
        b"zz\r\nnot a chunk at all\r\n",  # not hex
        b"0x5\r\nhello\r\n",  # int() would take these
        b"+5\r\nhello\r\n",
        b"5_0\r\nhello\r\n",
        b" 5\r\nhello\r\n",
        b"5\nhello\r\n",  # a bare LF
        b"4\r\ndata: but this chunk is much longer than four bytes\r\n",  # overrun
        b"5\r\nhelloXY",  # no CRLF after the data
        b"11111111111111111\r\n",  # 17 hex digits
        b"0\r\nnot a field\r\n\r\n",  # bad trailer
    ],
)
def test_broken_chunk_framing_is_a_framing_error(wire: bytes) -> None:
    for step in (len(wire), 1):  # whole, and a byte at a time
        parser = ChunkedBody()
        with pytest.raises(FramingError):
            for i in range(0, len(wire), step):
                parser.feed(wire[i : i + step])


def test_framing_lines_are_bounded() -> None:
    parser = ChunkedBody()
    with pytest.raises(FramingError, match="longer than"):
        for _ in range(MAX_LINE // 1000 + 2):
            parser.feed(b"1" * 10 + b";" + b"e" * 990)
    parser = ChunkedBody()
    parser.feed(b"0\r\n")
    with pytest.raises(FramingError, match="longer than"):
        for _ in range(MAX_LINE // 1000 + 2):
            parser.feed(b"x-" + b"a" * 997 + b"\n")  # one long trailer line never ends


@given(st.binary(max_size=300), st.binary(max_size=10), st.data())
def test_a_content_length_body_cut_anywhere(
    body_: bytes, after: bytes, data: st.DataObject
) -> None:
    wire = body_ + after
    splits = sorted(data.draw(st.sets(st.integers(1, max(len(wire) - 1, 1)), max_size=6)))
    parser = LengthBody(len(body_))
    got = []
    bounds = [0, *[s for s in splits if s < len(wire)], len(wire)]
    for a, b in itertools.pairwise(bounds):
        if parser.ended:
            break
        got.append(parser.feed(wire[a:b]))
    assert parser.ended
    assert b"".join(got) == body_
    assert after.startswith(parser.leftover)
    short = LengthBody(len(body_) + 1)
    short.feed(body_) if body_ else None
    with pytest.raises(FramingError, match=f"expected {len(body_) + 1}"):
        short.feed(b"")


# -- both paths, sync and async ---------------------------------------------------------------


@pytest.fixture(params=["streamcall", "httpx"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Which body path is forced; yields whether each response was read by streamcall."""
    monkeypatch.setattr(body, "BODY_READER", request.param)
    used: list[bool] = []
    network_body = body.network_body

    def noting(response: httpx2.Response) -> body.NetworkBody | None:
        found = network_body(response)
        used.append(found is not None)
        return found

    monkeypatch.setattr(body, "network_body", noting)
    yield used
    assert used
    assert all(used) == (request.param == "streamcall")


def text_of(client: Mistral) -> str:
    with client.chat.stream("m", MESSAGES) as stream:
        return "".join(c for e in stream if isinstance(c := e.data.choices[0].delta.content, str))


async def atext_of(client: Mistral) -> str:
    async with await client.chat.stream_async("m", MESSAGES) as stream:
        return "".join(
            [c async for e in stream if isinstance(c := e.data.choices[0].delta.content, str)]
        )


CHUNKINGS = [Chunking.events(), Chunking.whole(), Chunking.random(seed=5)]


@pytest.mark.parametrize("content_length", [False, True])
@pytest.mark.parametrize("chunking", CHUNKINGS, ids=["events", "whole", "random"])
def test_both_paths_read_the_same_and_reuse_the_connection(
    server: ReplayServer, reader: list[bool], chunking: Chunking, content_length: bool
) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=chunking, content_length=content_length))
    with Mistral(api_key="k", server_url=url) as client:
        assert [text_of(client) for _ in range(3)] == [EXPECTED] * 3
    assert server.connections(url) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.parametrize("content_length", [False, True])
async def test_both_paths_async(
    server: ReplayServer, reader: list[bool], content_length: bool
) -> None:
    url = server.route(
        Reply(body=TEXT.body, chunking=Chunking.events(), content_length=content_length)
    )
    async with Mistral(api_key="k", server_url=url) as client:
        assert [await atext_of(client) for _ in range(3)] == [EXPECTED] * 3
    assert server.connections(url) == 1


def test_error_statuses_and_retries_reuse_the_connection(
    server: ReplayServer, reader: list[bool]
) -> None:
    url = server.route(
        Reply(status=503, body=b'{"message": "busy"}', headers={"retry-after": "0"}),
        Reply(body=TEXT.body, chunking=Chunking.events()),
    )
    with Mistral(api_key="k", server_url=url) as client:
        assert text_of(client) == EXPECTED
    assert server.connections(url) == 1


def test_a_stream_left_early_closes_its_connection(
    server: ReplayServer, reader: list[bool]
) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.events(), delay=0.01))
    with Mistral(api_key="k", server_url=url) as client:
        with client.chat.stream("m", MESSAGES) as stream:
            next(iter(stream))
        assert text_of(client) == EXPECTED
    assert server.connections(url) == 2


def test_a_stall_is_still_a_timeout(server: ReplayServer, reader: list[bool]) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.events(), stall_after=60))
    client = Mistral(api_key="k", server_url=url, timeouts=Timeouts(idle=0.3, first_byte=2))
    with client, pytest.raises(StreamTimeoutError) as caught:
        text_of(client)
    assert caught.value.kind in ("idle", "progress")


# -- what the hostile server does to our path -------------------------------------------------


def body_of(text: str) -> bytes:
    return b'data: {"id":"1","object":"chat.completion.chunk","created":1,"model":"m",' + (
        b'"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":"stop"}]}\n\n'
        b"data: [DONE]\n\n" % text.encode()
    )


def test_garbage_after_the_terminal_chunk_is_never_reused(reader: list[bool]) -> None:
    with HostileServer() as hostile:
        url = hostile.route(
            Fault(Kind.TRAILING_GARBAGE, body=body_of("a")), Fault(Kind.FINE, body=body_of("b"))
        )
        with Mistral(api_key="k", server_url=url) as client:
            assert text_of(client) == "a"
            assert text_of(client) == "b"
            assert text_of(client) == "b"
        assert hostile.accepted == 2


@pytest.mark.parametrize("kind", [Kind.BAD_CHUNK_SIZE, Kind.CHUNK_OVERRUN, Kind.NO_TERMINAL_CHUNK])
def test_lying_framing_interrupts_the_stream(reader: list[bool], kind: Kind) -> None:
    unfinished = body_of("a").split(b"data: [DONE]")[0].replace(b'"stop"', b"null")
    with HostileServer() as hostile:
        url = hostile.route(Fault(kind, body=unfinished, pause=0.05))
        with Mistral(api_key="k", server_url=url) as client:
            with pytest.raises(StreamInterruptedError) as caught:
                text_of(client)
    assert type(caught.value.__cause__).__module__.startswith(
        "httpx2"
    )  # never h11's nor httpcore2's


def request_read(conn: socket.socket) -> bool:
    """Read one whole request (head and ``Content-Length`` body); whether one came."""
    data = b""
    while b"\r\n\r\n" not in data:
        if not (more := conn.recv(65536)):
            return False
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(rest) < length:
        if not (more := conn.recv(65536)):
            return False
        rest += more
    return True


def head_and_body_at_once(count: int = 2) -> tuple[str, list[int], threading.Event]:
    """A server sending each response's head and whole chunked body in one write (h11 reads
    body bytes with the head) on one keep-alive connection; returns its URL, the connection
    count, and a stop event."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    accepted = [0]
    stop = threading.Event()
    chunk = body_of("h")
    wire = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (
        len(chunk),
        chunk,
    )

    def serve() -> None:
        conns = []
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            accepted[0] += 1
            conns.append(conn)
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                while request_read(conn):
                    conn.sendall(wire)
        for conn in conns:
            conn.close()
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", accepted, stop


def test_body_bytes_read_with_the_head_are_taken_first(reader: list[bool]) -> None:
    url, accepted, stop = head_and_body_at_once()
    try:
        with Mistral(api_key="k", server_url=url) as client:
            assert [text_of(client) for _ in range(3)] == ["h"] * 3
        assert accepted[0] == 1
    finally:
        stop.set()


# -- the cases that fall back to httpx2's iterator ---------------------------------------------


def only_fallback(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    used: list[bool] = []
    network_body = body.network_body

    def noting(response: httpx2.Response) -> body.NetworkBody | None:
        found = network_body(response)
        used.append(found is not None)
        return found

    monkeypatch.setattr(body, "network_body", noting)
    return used


def test_a_content_encoding_falls_back(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = only_fallback(monkeypatch)
    url = server.route(
        Reply(
            body=gzip.compress(TEXT.body), headers={"content-encoding": "gzip"}, content_length=True
        )
    )
    with Mistral(api_key="k", server_url=url) as client:
        assert text_of(client) == EXPECTED
    assert used == [False]


def test_an_http10_body_delimited_by_the_close_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    used = only_fallback(monkeypatch)
    with HostileServer() as hostile:
        url = hostile.route(Fault(Kind.HTTP10_CLOSE, body=body_of("c")))
        with Mistral(api_key="k", server_url=url) as client:
            assert text_of(client) == "c"
    assert used == [False]


def test_a_custom_transport_falls_back(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = only_fallback(monkeypatch)
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.events()))

    class Passing(httpx2.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx2.HTTPTransport()

        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            return self.inner.handle_request(request)

        def close(self) -> None:
            self.inner.close()

    with (
        httpx2.Client(transport=Passing()) as http,
        Mistral(api_key="k", server_url=url, client=http) as client,
    ):
        assert text_of(client) == EXPECTED
    assert used == [False]


def test_the_switch_forces_the_fallback(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = only_fallback(monkeypatch)
    monkeypatch.setattr(body, "BODY_READER", "httpx")
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.events()))
    with Mistral(api_key="k", server_url=url) as client:
        assert text_of(client) == EXPECTED
    assert used == [False]


# -- a long read is decoded in pieces ----------------------------------------------------------


def long_body(events: int) -> tuple[bytes, str]:
    payload = (
        '{"id":"a","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
        '"delta":{"content":"%s"},"finish_reason":%s}]}'
    )
    words = [f"w{i} " for i in range(events)]
    finish = ["null"] * (events - 1) + ['"stop"']
    return sse_body([payload % pair for pair in zip(words, finish, strict=True)]), "".join(words)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_read_of_many_events_goes_on_in_pieces(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, asynchronous: bool
) -> None:
    """A body of ~60 KiB sent in one write reaches the decoder in pieces of at most 4 KiB, so
    a stream never holds a whole read's events at once; nothing is lost at the cuts."""
    monkeypatch.setattr(body, "BODY_READER", "streamcall")
    wire, expected = long_body(500)
    url = server.route(Reply(body=wire, chunking=Chunking.whole()))
    sizes: list[int] = []
    pieces = body.pieces

    def noting(payload: bytes) -> Iterable[bytes]:
        out = list(pieces(payload))
        sizes.extend(len(p) for p in out)
        return out

    monkeypatch.setattr(body, "pieces", noting)
    async with Mistral(api_key="k", server_url=url) as client:
        text = await atext_of(client) if asynchronous else text_of(client)
    assert text == expected
    assert len(wire) > 12 * body.PIECE
    assert max(sizes) <= body.PIECE
    assert len(sizes) >= len(wire) // body.PIECE
