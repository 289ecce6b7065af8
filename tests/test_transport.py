"""Transport behaviour through the Mistral client: errors, retries, timeouts, release, secrets."""

from __future__ import annotations

import gc
import logging
import socket
import time
from collections.abc import Iterator

import pytest

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage
from streamcall.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamDecodeError,
    StreamError,
    StreamInterruptedError,
    StreamTimeoutError,
    UnprocessableEntityError,
)
from streamcall.transport import RetryPolicy, Timeouts
from streamcall.transport.retries import parse_retry_after
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.wire_fixtures import fixtures

TEXT = next(f for f in fixtures("mistral.") if f.name == "mistral.text.sse")
MESSAGES = [UserMessage(content="hi")]
FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
SECRET = "sk-live-4f9c2a7e1b"


def client_for(url: str, **kwargs: object) -> Mistral:
    kwargs.setdefault("retries", FAST_RETRY)
    return Mistral(api_key=SECRET, server_url=url, **kwargs)  # type: ignore[arg-type]


def text_of(client: Mistral) -> str:
    with client.chat.stream("m", MESSAGES) as stream:
        return "".join(c for e in stream if isinstance(c := e.data.choices[0].delta.content, str))


# -- HTTP status errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_errors_are_typed(
    server: ReplayServer, status: int, error: type[APIStatusError]
) -> None:
    body = (
        b'{"object":"error","message":"Something specific went wrong",'
        b'"type":"invalid_request_error"}'
    )
    url = server.route(
        Reply(
            status=status,
            body=body,
            content_type="application/json",
            headers={"x-request-id": "req-123"},
        )
    )
    with pytest.raises(error) as info:
        client_for(url, retries=0).chat.stream("m", MESSAGES)
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.request_id == "req-123"
    assert exc.body == {
        "object": "error",
        "message": "Something specific went wrong",
        "type": "invalid_request_error",
    }
    assert "Something specific went wrong" in str(exc)
    assert f"HTTP {status}" in str(exc)


def test_validation_error_detail_is_shown(server: ReplayServer) -> None:
    body = b'{"detail":[{"loc":["body","model"],"msg":"field required","type":"missing"}]}'
    url = server.route(Reply(status=422, body=body, content_type="application/json"))
    with pytest.raises(UnprocessableEntityError, match="field required"):
        client_for(url, retries=0).chat.stream("m", MESSAGES)


def test_non_json_error_body_is_kept_as_text(server: ReplayServer) -> None:
    url = server.route(
        Reply(status=502, body=b"<html>bad gateway</html>", content_type="text/html")
    )
    with pytest.raises(InternalServerError) as info:
        client_for(url, retries=0).chat.stream("m", MESSAGES)
    assert info.value.body == "<html>bad gateway</html>"


# -- retries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
def test_retryable_statuses_are_retried(server: ReplayServer, status: int) -> None:
    url = server.route(Reply(status=status, body=b"{}"), Reply(body=TEXT.body))
    assert text_of(client_for(url)) == TEXT.expected["text"]
    assert len(server.requests(url)) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(server: ReplayServer, status: int) -> None:
    url = server.route(Reply(status=status, body=b"{}"), Reply(body=TEXT.body))
    with pytest.raises(APIStatusError):
        client_for(url).chat.stream("m", MESSAGES)
    assert len(server.requests(url)) == 1


def test_retries_give_up_after_max_retries(server: ReplayServer) -> None:
    url = server.route(Reply(status=503, body=b'{"message":"busy"}'))
    with pytest.raises(InternalServerError, match="busy"):
        client_for(url).chat.stream("m", MESSAGES)
    assert len(server.requests(url)) == 3  # the first attempt and 2 retries


def test_retry_after_is_honoured(server: ReplayServer) -> None:
    url = server.route(
        Reply(status=429, body=b"{}", headers={"Retry-After": "0.6"}), Reply(body=TEXT.body)
    )
    slow_backoff = RetryPolicy(max_retries=1, initial_delay=0.01)
    start = time.monotonic()
    assert text_of(client_for(url, retries=slow_backoff)) == TEXT.expected["text"]
    assert time.monotonic() - start >= 0.6


def test_retry_after_ms_is_honoured(server: ReplayServer) -> None:
    url = server.route(
        Reply(status=503, body=b"{}", headers={"retry-after-ms": "400"}), Reply(body=TEXT.body)
    )
    start = time.monotonic()
    text_of(client_for(url, retries=RetryPolicy(max_retries=1, initial_delay=0.01)))
    assert time.monotonic() - start >= 0.4


def test_x_should_retry_false_wins(server: ReplayServer) -> None:
    url = server.route(Reply(status=503, body=b"{}", headers={"x-should-retry": "false"}))
    with pytest.raises(InternalServerError):
        client_for(url).chat.stream("m", MESSAGES)
    assert len(server.requests(url)) == 1


def test_retry_after_parsing() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "soon"}) is None
    date = "Wed, 21 Oct 2015 07:28:10 GMT"
    assert parse_retry_after({"retry-after": date}, now=1445412480.0) == 10.0


def test_backoff_grows_and_is_jittered() -> None:
    import random

    policy = RetryPolicy(initial_delay=1, max_delay=3, jitter=0.5, rng=random.Random(0))
    delays = [policy.delay(n) for n in (1, 2, 3, 4)]
    assert 0.5 <= delays[0] <= 1
    assert 1 <= delays[1] <= 2
    assert 1.5 <= delays[2] <= 3
    assert 1.5 <= delays[3] <= 3
    # An unreasonable Retry-After falls back to the backoff.
    assert policy.delay(1, {"retry-after": "3600"}) <= 1


def test_connection_refused_is_retried_then_typed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}")
    with pytest.raises(APIConnectionError, match=r"Could not reach 127\.0\.0\.1"):
        client.chat.stream("m", MESSAGES)


def test_no_retry_once_the_body_has_started(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, cut_after=len(TEXT.body) // 2))
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError, match="connection broke"):
        with client_for(url).chat.stream("m", MESSAGES) as stream:
            for event in stream:
                seen.append(event.data.choices[0].delta.content)  # type: ignore[arg-type]
    assert len(server.requests(url)) == 1
    assert seen  # what arrived before the cut was delivered
    assert TEXT.expected["text"].startswith("".join(seen))


# -- timeouts ---------------------------------------------------------------------------------


@pytest.fixture
def unaccepting_port() -> Iterator[int]:
    """A port whose accept queue is full: new connections hang in the handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.1)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


def test_connect_timeout(unaccepting_port: int) -> None:
    client = client_for(
        f"http://127.0.0.1:{unaccepting_port}", timeouts=Timeouts(connect=0.3), retries=0
    )
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        client.chat.stream("m", MESSAGES)
    assert info.value.kind == "connect"
    assert time.monotonic() - start < 5


def test_first_byte_timeout(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, headers_delay=1.5))
    client = client_for(url, timeouts=Timeouts(first_byte=0.3, idle=5), retries=0)
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError, match="first byte") as info:
        client.chat.stream("m", MESSAGES)
    assert info.value.kind == "first_byte"
    assert info.value.timeout == 0.3
    assert isinstance(info.value, APITimeoutError)
    assert isinstance(info.value, APIConnectionError)
    assert time.monotonic() - start < 1.2


def test_first_byte_is_the_calls_budget_not_one_per_attempt(server: ReplayServer) -> None:
    # A server that never answers fails after first_byte, not after one wait per attempt.
    url = server.route(Reply(body=TEXT.body, headers_delay=1.0), Reply(body=TEXT.body))
    client = client_for(url, timeouts=Timeouts(first_byte=0.3), retries=FAST_RETRY)
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError) as info:
        text_of(client)
    assert info.value.kind == "first_byte"
    assert time.monotonic() - start < 0.8
    assert len(server.requests(url)) == 1


def test_idle_timeout_on_a_stalled_stream_keeps_what_arrived(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, stall_after=600))
    client = client_for(url, timeouts=Timeouts(first_byte=5, idle=0.3), retries=0)
    seen = []
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError, match="stalled") as info:
        with client.chat.stream("m", MESSAGES) as stream:
            seen.extend(stream)
    assert info.value.kind == "idle"
    assert time.monotonic() - start < 2
    assert seen
    assert server.route_of(url).client_closed_early.wait(2)


def test_total_timeout_on_a_slow_drip(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.fixed(40), delay=0.1))
    client = client_for(url, timeouts=Timeouts(first_byte=5, idle=5, total=0.6), retries=0)
    start = time.monotonic()
    with pytest.raises(StreamTimeoutError, match="total") as info:
        with client.chat.stream("m", MESSAGES) as stream:
            list(stream)
    assert info.value.kind == "total"
    assert 0.5 < time.monotonic() - start < 1.5


def test_timeout_ms_is_the_total(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, chunking=Chunking.fixed(40), delay=0.1))
    client = client_for(url, timeout_ms=400, retries=0)
    with pytest.raises(StreamTimeoutError) as info, client.chat.stream("m", MESSAGES) as stream:
        list(stream)
    assert info.value.kind == "total"


@pytest.mark.anyio
async def test_async_timeouts(server: ReplayServer) -> None:
    stalled = server.route(Reply(body=TEXT.body, stall_after=600))
    client = client_for(stalled, timeouts=Timeouts(idle=0.3), retries=0)
    with pytest.raises(StreamTimeoutError) as info:
        async with await client.chat.stream_async("m", MESSAGES) as stream:
            async for _ in stream:
                pass
    assert info.value.kind == "idle"
    slow = server.route(Reply(body=TEXT.body, headers_delay=1.5))
    client = client_for(slow, timeouts=Timeouts(first_byte=0.3), retries=0)
    with pytest.raises(StreamTimeoutError) as info:
        await client.chat.stream_async("m", MESSAGES)
    assert info.value.kind == "first_byte"
    drip = server.route(Reply(body=TEXT.body, chunking=Chunking.fixed(40), delay=0.1))
    client = client_for(drip, timeouts=Timeouts(total=0.5), retries=0)
    with pytest.raises(StreamTimeoutError) as info:
        async with await client.chat.stream_async("m", MESSAGES) as stream:
            async for _ in stream:
                pass
    assert info.value.kind == "total"
    await client.aclose()


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="idle"):
        Timeouts(idle=0)


# -- releasing the connection -----------------------------------------------------------------


def stalled_route(server: ReplayServer) -> str:
    return server.route(Reply(body=TEXT.body, stall_after=700))


def test_break_in_with_block_closes_the_connection(server: ReplayServer) -> None:
    url = stalled_route(server)
    with client_for(url).chat.stream("m", MESSAGES) as stream:
        for _ in stream:
            break
    assert stream.closed
    assert server.route_of(url).client_closed_early.wait(2)


def test_break_then_close_without_with(server: ReplayServer) -> None:
    url = stalled_route(server)
    stream = client_for(url).chat.stream("m", MESSAGES)
    next(stream)
    stream.close()
    stream.close()  # twice is fine
    assert server.route_of(url).client_closed_early.wait(2)
    with pytest.raises(StopIteration):
        next(stream)


def test_exception_in_loop_closes_the_connection(server: ReplayServer) -> None:
    url = stalled_route(server)
    with pytest.raises(RuntimeError, match="user code"):
        with client_for(url).chat.stream("m", MESSAGES) as stream:
            for _ in stream:
                raise RuntimeError("user code")
    assert server.route_of(url).client_closed_early.wait(2)


def test_exhausted_stream_is_closed_and_connection_reused(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body))
    client = client_for(url)
    stream = client.chat.stream("m", MESSAGES)
    list(stream)  # no `with`: reaching the end releases it
    assert stream.closed
    list(client.chat.stream("m", MESSAGES))
    deadline = time.monotonic() + 2
    while server.route_of(url).finished_responses < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.route_of(url).finished_responses == 2
    assert len(server.requests(url)) == 2
    assert server.connections(url) == 1  # the keep-alive connection was reused


def test_garbage_collected_open_stream_warns_and_closes(server: ReplayServer) -> None:
    url = stalled_route(server)
    stream = client_for(url).chat.stream("m", MESSAGES)
    next(stream)
    with pytest.warns(ResourceWarning, match="garbage-collected while open"):
        del stream
        gc.collect()
    assert server.route_of(url).client_closed_early.wait(2)


@pytest.mark.anyio
async def test_async_garbage_collected_open_stream_warns_and_closes(server: ReplayServer) -> None:
    import anyio

    url = stalled_route(server)
    client = client_for(url)
    stream = await client.chat.stream_async("m", MESSAGES)
    await stream.__anext__()
    with pytest.warns(ResourceWarning, match="garbage-collected while open"):
        del stream
        gc.collect()
    for _ in range(200):  # the close is scheduled on the running loop
        if server.route_of(url).client_closed_early.is_set():
            break
        await anyio.sleep(0.01)
    assert server.route_of(url).client_closed_early.is_set()
    await client.aclose()


@pytest.mark.anyio
async def test_async_break_closes_the_connection(server: ReplayServer) -> None:
    url = stalled_route(server)
    client = client_for(url)
    async with await client.chat.stream_async("m", MESSAGES) as stream:
        async for _ in stream:
            break
    assert stream.closed
    assert server.route_of(url).client_closed_early.wait(2)
    url = stalled_route(server)
    stream = await client.chat.stream_async("m", MESSAGES, server_url=url)
    await stream.__anext__()
    await stream.aclose()
    assert server.route_of(url).client_closed_early.wait(2)
    await client.aclose()


# -- bounds and secrets -----------------------------------------------------------------------


def test_oversized_event_is_a_decode_error(server: ReplayServer) -> None:
    huge = sse_body(['{"choices":[{"delta":{"content":"' + "x" * 5000 + '"}}]}'])
    url = server.route(Reply(body=huge))
    with pytest.raises(StreamDecodeError, match="4096-byte bound"):
        with client_for(url, max_event_size=4096).chat.stream("m", MESSAGES) as stream:
            list(stream)


def test_api_key_never_leaks(server: ReplayServer, caplog: pytest.LogCaptureFixture) -> None:
    echo = f'{{"message":"Invalid key {SECRET} for this org"}}'.encode()
    url = server.route(Reply(status=503, body=echo), Reply(status=401, body=echo))
    client = client_for(url)
    assert SECRET not in repr(client)
    assert "***" in repr(client)
    with caplog.at_level(logging.DEBUG, logger="streamcall"):
        with pytest.raises(AuthenticationError) as info:
            client.chat.stream("m", MESSAGES)
    exc = info.value
    assert SECRET not in str(exc)
    assert SECRET not in repr(exc)
    assert SECRET not in str(exc.body)
    assert "Invalid key *** for this org" in str(exc)
    assert caplog.records, "the retry should have been logged"
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert SECRET not in repr(exc.request.headers)  # type: ignore[union-attr]
    assert SECRET not in repr(client.transport_config())


def test_api_key_echoed_inside_a_stream_error_is_redacted(server: ReplayServer) -> None:
    payload = f'{{"object":"error","message":"key {SECRET} revoked","type":"auth"}}'
    url = server.route(Reply(body=sse_body([payload], done=False)))
    with pytest.raises(StreamError) as info:
        with client_for(url).chat.stream("m", MESSAGES) as stream:
            list(stream)
    assert "key *** revoked" in str(info.value)
    assert SECRET not in str(info.value.body)


def test_finish_error_raised_after_done_is_redacted_too(server: ReplayServer) -> None:
    chunk = (
        '{"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"' + SECRET + '"},'
        '"finish_reason":"error"}]}'
    )
    url = server.route(Reply(body=sse_body([chunk])))
    with pytest.raises(StreamError) as info:
        with client_for(url).chat.stream("m", MESSAGES) as stream:
            list(stream)
    assert SECRET not in str(info.value.body)


def test_short_test_keys_do_not_mangle_messages() -> None:
    from streamcall.errors import redact

    assert redact("please check your plan", ["k"]) == "please check your plan"
    assert redact(f"bad key {SECRET}", [SECRET]) == "bad key ***"
