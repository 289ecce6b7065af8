"""Record and replay (``streamcall.testing``): a stream recorded through the recording proxy
from a replay-server route standing in for the provider, then replayed to the real clients
and the call layer: byte-exact bodies, the same events, text, usage and tool calls, any
re-chunking, recorded pacing or none, and no secret in the file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from streamcall.clients.anthropic import Anthropic
from streamcall.clients.mistral import Mistral
from streamcall.clients.openai import OpenAI
from streamcall.errors import NotFoundError, StreamcallError
from streamcall.registry import PROVIDERS, call_decorator
from streamcall.testing import Cassette, Interaction, Piece, Rechunk, Recorder, Replayer
from streamcall.testing._cassette import plan
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.test_llm import MODELS
from tests.wire_fixtures import WireFixture, all_fixtures

FIXTURES = {f.name: f for f in all_fixtures()}
CASES = {  # provider: its fixture
    "mistral": FIXTURES["mistral.tools.sse"],
    "openai": FIXTURES["openai_chat.usage.sse"],
    "anthropic": FIXTURES["anthropic.tool_use.sse"],
}
KEY = "sk-live-0123456789abcdef"
RECHUNKS = [
    Rechunk.recorded(),
    Rechunk.whole(),
    Rechunk.fixed(1),
    Rechunk.fixed(7, 300),
    Rechunk.events(),
]


def get_weather(city: str, unit: str = "celsius") -> str:
    """The weather in a city."""
    return f"sunny in {city} ({unit})"


def format_book(title: str, author: str, year: int) -> str:
    """A book as one line."""
    return f"{title} by {author} ({year})"


def client_for(provider: str, url: str) -> Any:
    return PROVIDERS[provider].make_client(api_key=KEY, base_url=url)


def client_events(provider: str, url: str) -> list[Any]:
    """Every event of the provider client's own stream (typed wire models)."""
    if provider == "mistral":
        with Mistral(api_key=KEY, server_url=url) as client:
            stream = client.chat.stream("mistral-small-latest", [{"role": "user", "content": "x"}])
            with stream:
                return list(stream)
    if provider == "openai":
        with OpenAI(api_key=KEY, base_url=url) as client:
            messages = [{"role": "user", "content": "x"}]
            with client.chat.completions.create(model="m", messages=messages, stream=True) as s:
                return list(s)
    with Anthropic(api_key=KEY, base_url=url) as client:
        messages = [{"role": "user", "content": "x"}]
        with client.messages.create(
            model="m", max_tokens=10, messages=messages, stream=True
        ) as stream:
            return list(stream)


def call_layer(provider: str, url: str) -> dict[str, Any]:
    """What a call-layer stream says: text, tool calls, usage, finish reasons."""
    client = client_for(provider, url)
    try:

        @call_decorator(provider)(
            MODELS[provider], stream=True, client=client, tools=[get_weather, format_book]
        )
        def ask() -> str:
            return "Recommend a book"

        stream = ask()
        chunks = len(list(stream))
        return {
            "chunks": chunks,
            "content": stream.content,
            "tools": [(c.name, c.arguments_json) for c in stream.tool_calls],
            "usage": stream.common_usage,
            "finish": stream.finish_reasons,
        }
    finally:
        client.close()


def raw_body(url: str, path: str, body: bytes = b"{}") -> tuple[bytes, list[bytes]]:
    """The body as served, and the HTTP chunks it came in (read with httpx2 directly)."""
    with httpx2.Client() as client, client.stream("POST", url + path, content=body) as response:
        pieces = list(response.iter_raw())
    return b"".join(pieces), pieces


def separator(fixture: WireFixture) -> bytes:
    return b"\r\n\r\n" if b"\r\n\r\n" in fixture.body else b"\n\n"


def events_of(fixture: WireFixture) -> list[bytes]:
    """The fixture's body, one event a piece."""
    return Chunking.events(separator(fixture)).split(fixture.body)


def record(
    server: ReplayServer,
    fixture: WireFixture,
    path: Path,
    use: Callable[[str], Any],
    **reply: Any,
) -> tuple[Any, str]:
    """Record ``use(url)`` against a route serving the fixture one event a chunk."""
    reply.setdefault("chunking", Chunking.events(separator(fixture)))
    upstream = server.route(Reply(body=fixture.body, **reply))
    with Recorder(upstream, path) as recorder:
        live = use(recorder.url)
    return live, upstream


PATHS = {
    "mistral": "/v1/chat/completions",
    "openai": "/chat/completions",
    "anthropic": "/v1/messages",
}


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    return tmp_path / "cassettes" / "stream.json"


@pytest.mark.parametrize("provider", sorted(CASES))
def test_client_stream_recorded_and_replayed(
    server: ReplayServer, cassette: Path, provider: str
) -> None:
    fixture = CASES[provider]
    live, upstream = record(server, fixture, cassette, lambda url: client_events(provider, url))
    recorded = Cassette.load(cassette).interactions
    assert len(recorded) == 1
    (exchange,) = recorded
    assert exchange.body == fixture.body  # byte-exact
    assert [p.data for p in exchange.pieces] == events_of(fixture)  # as the provider sent them
    assert exchange.method == "POST"
    assert exchange.path == PATHS[provider]
    assert exchange.request_body == server.requests(upstream)[0].body
    assert exchange.status == 200
    assert exchange.header("content-type") == "text/event-stream"
    assert exchange.complete
    with Replayer(cassette) as replayer:
        assert client_events(provider, replayer.url) == live
    assert len(live) >= 2


@pytest.mark.parametrize("rechunk", RECHUNKS, ids=lambda r: f"{r.kind}{r.sizes or ''}")
@pytest.mark.parametrize("provider", sorted(CASES))
def test_call_layer_stream_replayed_any_chunking(
    server: ReplayServer, cassette: Path, provider: str, rechunk: Rechunk
) -> None:
    fixture = CASES[provider]
    live, _ = record(server, fixture, cassette, lambda url: call_layer(provider, url))
    with Replayer(cassette, rechunk=rechunk) as replayer:
        assert call_layer(provider, replayer.url) == live
    with Replayer(cassette, rechunk=rechunk, match="order") as replayer:
        body, chunks = raw_body(replayer.url, PATHS[provider])
    assert body == fixture.body
    recorded = [p.data for p in Cassette.load(cassette).interactions[0].pieces]
    expected = {
        "recorded": recorded,
        "whole": [fixture.body],
        "fixed": [fixture.body[i : i + 1] for i in range(len(fixture.body))]
        if rechunk.sizes == (1,)
        else None,
        "events": events_of(fixture),
    }[rechunk.kind]
    if expected is not None:
        assert chunks == expected
    assert live["content"] or live["tools"]
    if provider == "openai":
        assert live["usage"] is not None


def test_async_client_replays(server: ReplayServer, cassette: Path) -> None:
    import anyio

    fixture = CASES["mistral"]
    live, _ = record(server, fixture, cassette, lambda url: client_events("mistral", url))

    async def replay(url: str) -> list[Any]:
        async with Mistral(api_key=KEY, server_url=url) as client:
            stream = await client.chat.stream_async("m", [{"role": "user", "content": "x"}])
            async with stream:
                return [event async for event in stream]

    with Replayer(cassette, rechunk=Rechunk.fixed(3)) as replayer:
        assert anyio.run(replay, replayer.url) == live


def test_pacing_recorded_scaled_and_instant(server: ReplayServer, cassette: Path) -> None:
    body = sse_body([json.dumps({"n": i}) for i in range(5)])  # 6 events, 80 ms apart: 0.4 s
    upstream = server.route(Reply(body=body, chunking=Chunking.events(), delay=0.08))
    with Recorder(upstream, cassette) as recorder:
        assert raw_body(recorder.url, "/chat/completions")[0] == body
    exchange = Cassette.load(cassette).interactions[0]
    times = [p.at for p in exchange.pieces]
    assert times == sorted(times)
    span = times[-1] - times[0]
    assert span >= 0.08 * (len(times) - 1) * 0.9

    def arrivals(**options: Any) -> list[float]:
        """When each HTTP chunk arrived, from just before the request was sent."""
        with Replayer(cassette, **options) as replayer, httpx2.Client() as client:
            start = time.monotonic()
            with client.stream("POST", replayer.url + "/chat/completions") as response:
                return [time.monotonic() - start for _ in response.iter_raw()]

    for speed in (1.0, 2.0):
        came = arrivals(speed=speed)
        assert len(came) == len(times)
        for arrived, due in zip(came, times, strict=True):  # never early, and not much late
            assert due / speed <= arrived <= due / speed + 0.3
    instant = arrivals()
    assert instant[-1] < span / 2
    assert arrivals(rechunk=Rechunk.whole()) == pytest.approx([0.0], abs=span / 2)
    recut = arrivals(speed=1.0, rechunk=Rechunk.fixed(len(body)))  # due with the last piece
    assert times[-1] <= recut[-1] <= times[-1] + 0.3


def test_plan_times_a_recut_piece_by_its_last_byte() -> None:
    exchange = Interaction(
        "POST",
        "/x",
        b"",
        200,
        [],
        head_at=0.1,
        pieces=[Piece(0.2, b"aaaa"), Piece(0.5, b"bbbb"), Piece(0.9, b"cc")],
    )
    assert plan(exchange, Rechunk.fixed(3), speed=1.0) == (
        0.1,
        [(0.2, b"aaa"), (0.5, b"abb"), (0.9, b"bbc"), (0.9, b"c")],
    )
    assert plan(exchange, Rechunk.whole(), speed=0.5) == (0.2, [(1.8, b"aaaabbbbcc")])
    assert plan(exchange, Rechunk.recorded()) == (
        0.0,
        [(0.0, b"aaaa"), (0.0, b"bbbb"), (0.0, b"cc")],
    )
    with pytest.raises(ValueError, match="speed"):
        plan(exchange, speed=0)


def test_no_secret_in_the_cassette(server: ReplayServer, cassette: Path) -> None:
    body = f'data: {{"echo": "{KEY}"}}\n\ndata: [DONE]\n\n'.encode()
    upstream = server.route(
        Reply(
            body=body,
            chunking=Chunking.fixed(9),  # the key is split across pieces
            headers={"x-echo": f"Bearer {KEY}", "set-cookie": "session=abc", "x-api-key": KEY},
        )
    )
    with Recorder(upstream, cassette) as recorder, httpx2.Client() as client:
        response = client.post(
            recorder.url + "/v1/chat?key=querysecret1&alt=sse",
            headers={"authorization": f"Bearer {KEY}", "x-api-key": KEY, "api-key": KEY},
            content=json.dumps({"note": KEY}).encode(),
        )
    assert response.content == body  # the client gets what the provider sent
    sent = server.requests(upstream)[0]  # and the provider what the client sent
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.path == "/v1/chat?key=querysecret1&alt=sse"
    text = cassette.read_text()
    assert KEY not in text
    assert "0123456789abcdef" not in text
    assert "querysecret1" not in text
    assert "session=abc" not in text
    for name in ("authorization", "x-api-key", "api-key", "set-cookie"):
        assert f'"{name}"' not in text.lower()
    exchange = Cassette.load(cassette).interactions[0]
    assert exchange.path == "/v1/chat?alt=sse"
    assert exchange.header("x-echo") == "*" * len(f"Bearer {KEY}")  # the header value: masked
    assert len(exchange.body) == len(body)  # masked in place: pieces keep their lengths
    assert [len(p.data) for p in exchange.pieces] == [len(p) for p in Chunking.fixed(9).split(body)]
    with Replayer(cassette) as replayer, httpx2.Client() as client:  # the key finds its match
        replayed = client.post(
            replayer.url + "/v1/chat?alt=sse&key=querysecret1",
            headers={"authorization": f"Bearer {KEY}"},
        )
    assert replayed.status_code == 200
    assert KEY not in replayed.text


def test_matching_by_body_and_unmatched(server: ReplayServer, cassette: Path) -> None:
    bodies = {b'{"q":1}': b"data: one\n\n", b'{"q":2}': b"data: two\n\n"}
    with Recorder(server.route(*(Reply(body=b) for b in bodies.values())), cassette) as recorder:
        for request in bodies:
            assert raw_body(recorder.url, "/chat", request)[0] == bodies[request]
    with Replayer(cassette, match="body") as replayer:
        for request in reversed(list(bodies)):
            assert raw_body(replayer.url, "/chat", request)[0] == bodies[request]
        assert replayer.unused == []
        with httpx2.Client() as client:
            missing = client.post(replayer.url + "/chat", content=b'{"q":1}')  # already served
            other = client.post(replayer.url + "/other", content=b"{}")
        assert (missing.status_code, other.status_code) == (404, 404)
        assert replayer.unmatched == ["POST /chat", "POST /other"]
    with Replayer(cassette) as replayer:  # by path: in order
        assert raw_body(replayer.url, "/chat", b"anything")[0] == b"data: one\n\n"
        with pytest.raises(NotFoundError, match="no recorded exchange"):
            client_events("openai", replayer.url)


def test_a_cut_stream_is_replayed_cut(server: ReplayServer, cassette: Path) -> None:
    fixture = CASES["mistral"]

    def consume(url: str) -> str:
        with pytest.raises(StreamcallError) as caught:
            client_events("mistral", url)
        return type(caught.value).__name__

    live, _ = record(server, fixture, cassette, consume, cut_after=200)
    exchange = Cassette.load(cassette).interactions[0]
    assert not exchange.complete
    assert exchange.body == fixture.body[:200]
    with Replayer(cassette) as replayer:
        assert consume(replayer.url) == live


def test_file_format(cassette: Path) -> None:
    binary = bytes(range(256))
    original = Cassette(
        [Interaction("GET", "/b", b"", 200, [("content-type", "x")], 0.1, [Piece(0.2, binary)])]
    )
    original.save(cassette)
    data = json.loads(cassette.read_text())
    assert (data["format"], data["version"]) == ("streamcall-cassette", 1)
    assert "base64" in data["interactions"][0]["response"]["pieces"][0]
    assert Cassette.load(cassette) == original
    data["version"] = 2
    cassette.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="version 2"):
        Cassette.load(cassette)


def test_servers_listen_on_loopback_only(cassette: Path) -> None:
    Cassette().save(cassette)
    with Replayer(cassette) as replayer, Recorder("http://127.0.0.1:9") as recorder:
        assert replayer.url.startswith("http://127.0.0.1:")
        assert recorder.url.startswith("http://127.0.0.1:")
        with httpx2.Client() as client:
            unreachable = client.post(recorder.url + "/x")
        assert unreachable.status_code == 502
    assert recorder.cassette.interactions == []


def test_https_upstream(cassette: Path) -> None:
    import ssl

    import trustme

    from tests.test_body_reader_tls import EVENTS, TEXT, TLSServer

    ca = trustme.CA()
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    upstream = TLSServer(ca.issue_cert("127.0.0.1"))
    try:
        with Recorder(upstream.url, cassette, verify=trust) as recorder:
            live = call_layer("openai", recorder.url)
    finally:
        upstream.close()
    exchange = Cassette.load(cassette).interactions[0]
    assert [p.data for p in exchange.pieces] == EVENTS
    assert exchange.body == TEXT.body
    assert live["content"] == TEXT.expected["text"]
    with Replayer(cassette) as replayer:
        assert call_layer("openai", replayer.url) == live


def test_concurrent_requests_kept_in_the_order_they_came(
    server: ReplayServer, cassette: Path
) -> None:
    import threading

    upstream = server.route(
        Reply(body=b"data: first\n\n", headers_delay=0.3), Reply(body=b"data: second\n\n")
    )
    with Recorder(upstream, cassette) as recorder:
        slow = threading.Thread(target=raw_body, args=(recorder.url, "/chat", b"1"))
        slow.start()
        while not server.requests(upstream):
            time.sleep(0.005)
        assert raw_body(recorder.url, "/chat", b"2")[0] == b"data: second\n\n"  # ends first
        slow.join()
    exchanges = Cassette.load(cassette).interactions
    assert [(e.request_body, e.body) for e in exchanges] == [
        (b"1", b"data: first\n\n"),
        (b"2", b"data: second\n\n"),
    ]
    assert exchanges[0].head_at >= 0.3


def test_whole_call_and_retried_statuses(server: ReplayServer, cassette: Path) -> None:
    answer = json.dumps(
        {
            "id": "a",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello there"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    ).encode()
    busy = b'{"message": "rate limited"}'
    upstream = server.route(
        Reply(status=429, body=busy, headers={"Retry-After": "0"}, content_type="application/json"),
        Reply(body=answer, content_length=True, content_type="application/json"),
    )

    def complete(url: str) -> Any:
        with Mistral(api_key=KEY, server_url=url) as client:
            return client.chat.complete("m", [{"role": "user", "content": "x"}])

    with Recorder(upstream, cassette) as recorder:
        live = complete(recorder.url)
    assert live.choices[0].message.content == "Hello there"
    busy_exchange, whole = Cassette.load(cassette).interactions
    assert (busy_exchange.status, busy_exchange.body) == (429, busy)
    assert busy_exchange.header("retry-after") == "0"
    assert (whole.status, whole.body) == (200, answer)
    with Replayer(cassette) as replayer:
        assert complete(replayer.url) == live
        assert replayer.served == [busy_exchange, whole]  # the retry, replayed
