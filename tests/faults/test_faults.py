"""Every fault of the hostile server gives a typed error, at once, keeping what arrived.

A stream broken after some events (a reset, lying chunked framing, a short ``Content-Length``,
an HTTP/1.0 body that closes early) fails with ``StreamInterruptedError`` within
``FAULT_BOUND`` (the timeouts are longer: a fault must not be mistaken for a stall), and the
text and the finished tool calls received before the break stay on the stream. A request that
gets no usable response (a reset before or inside the headers, garbage instead of a status
line) is retried, then fails with ``APIConnectionError``. A fault after the end of a complete
answer does not fail it. A server that never reads times out with ``StreamTimeoutError``.
Through the call layer of several providers (registry) and through the low-level clients,
sync and async. See ``tests/faults/README.md`` for every fault case and where it is tested.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from streamcall.errors import (
    APIConnectionError,
    APITimeoutError,
    StreamcallError,
    StreamInterruptedError,
    StreamTimeoutError,
)
from streamcall.transport.timeouts import Timeouts
from tests.faults.cases import (
    CALL_PROVIDERS,
    CASES,
    FAULT_BOUND,
    MESSAGES,
    ONE_RETRY,
    ask_async,
    ask_sync,
    make_client,
)
from tests.faults.hostile import Fault, HostileServer, Kind, SilentServer
from tests.streams import recover

pytestmark = pytest.mark.timeout(20)

# Faults that break a started stream, and faults before any response.
MID_STREAM = [
    Kind.RESET_MID_BODY,
    Kind.BAD_CHUNK_SIZE,
    Kind.CHUNK_OVERRUN,
    Kind.NO_TERMINAL_CHUNK,
    Kind.SHORT_CONTENT_LENGTH,
    Kind.HTTP10_CLOSE,
]
BEFORE_RESPONSE = [Kind.RESET_BEFORE_HEADERS, Kind.RESET_MID_HEADERS, Kind.GARBAGE_STATUS_LINE]
STATUS_GARBAGE = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\nProtocol mismatch.\r\n\r\n"
# After a complete answer what the connection does next does not matter: OpenAI and Anthropic
# end on a marker (drained after it); Ollama's `done: true` line is its marker; Gemini has none,
# its last chunk carries the finish reason, and a broken read after that ends the body.
AFTER_THE_END = [
    (provider, kind)
    for provider in ("openai", "anthropic", "gemini", "ollama")
    for kind in (
        Kind.RESET_MID_BODY,
        Kind.NO_TERMINAL_CHUNK,
        Kind.HTTP10_CLOSE,
        Kind.BAD_CHUNK_SIZE,
        Kind.CHUNK_OVERRUN,
    )
]


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture(scope="module")
def silent() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


def fault(kind: Kind, body: bytes, content_type: str = "text/event-stream") -> Fault:
    garbage = STATUS_GARBAGE if kind is Kind.GARBAGE_STATUS_LINE else Fault(kind).garbage
    return Fault(kind, body=body, content_type=content_type, pause=0.05, garbage=garbage)


def assert_typed(error: BaseException) -> None:
    """A streamcall error, raised as such (a raw error may only be its cause)."""
    assert isinstance(error, StreamcallError), repr(error)
    assert not isinstance(error, OSError | httpx2.HTTPError), repr(error)
    assert type(error).__module__ == "streamcall.errors", type(error)


# -- the call layer -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", MID_STREAM, ids=lambda k: k.name)
@pytest.mark.parametrize("provider", CALL_PROVIDERS)
def test_a_broken_stream_fails_typed_keeping_what_arrived(
    hostile: HostileServer, provider: str, kind: Kind
) -> None:
    case = CASES[provider]
    url = hostile.route(fault(kind, case.prefix, case.content_type))
    text, tools = "", []
    started = time.monotonic()
    with make_client(provider, url) as client:
        stream = ask_sync(provider, client)()
        with pytest.raises(StreamInterruptedError) as raised:
            for chunk, tool in stream:
                text += chunk.content if chunk is not None else ""
                if tool is not None:
                    tools.append(tool)
    assert time.monotonic() - started < FAULT_BOUND
    assert_typed(raised.value)
    assert stream.state == "failed"
    assert stream.error is raised.value
    assert text == stream.content == case.text
    assert [call.name for call in stream.tool_calls] == list(case.tools)
    assert [type(tool)._name() for tool in tools] == list(case.tools)
    response = stream.construct_call_response()
    assert response.content == case.text


@pytest.mark.anyio
@pytest.mark.parametrize("kind", MID_STREAM, ids=lambda k: k.name)
@pytest.mark.parametrize("provider", CALL_PROVIDERS)
async def test_a_broken_async_stream_fails_typed_keeping_what_arrived(
    hostile: HostileServer, provider: str, kind: Kind
) -> None:
    case = CASES[provider]
    url = hostile.route(fault(kind, case.prefix, case.content_type))
    text, tools = "", 0
    started = time.monotonic()
    async with make_client(provider, url) as client:
        stream = await ask_async(provider, client)()
        with pytest.raises(StreamInterruptedError) as raised:
            async for chunk, tool in stream:
                text += chunk.content if chunk is not None else ""
                tools += tool is not None
    assert time.monotonic() - started < FAULT_BOUND
    assert_typed(raised.value)
    assert stream.state == "failed"
    assert text == stream.content == case.text
    assert [call.name for call in stream.tool_calls] == list(case.tools)
    assert tools == len(case.tools)


@pytest.mark.parametrize("kind", BEFORE_RESPONSE, ids=lambda k: k.name)
@pytest.mark.parametrize("provider", CALL_PROVIDERS)
def test_no_usable_response_is_retried_then_a_connection_error(
    hostile: HostileServer, provider: str, kind: Kind
) -> None:
    url = hostile.route(fault(kind, b""))
    started = time.monotonic()
    with make_client(provider, url, retries=ONE_RETRY) as client:
        with pytest.raises(StreamcallError) as raised:
            for _ in ask_sync(provider, client)():
                pass
    assert time.monotonic() - started < FAULT_BOUND
    assert_typed(raised.value)
    assert isinstance(raised.value, APIConnectionError)
    assert not isinstance(raised.value, APITimeoutError)  # seen at once, not waited for
    assert hostile.requests(url) == 2  # the first attempt, and its retry


@pytest.mark.anyio
@pytest.mark.parametrize("kind", BEFORE_RESPONSE, ids=lambda k: k.name)
async def test_no_usable_response_async(hostile: HostileServer, kind: Kind) -> None:
    url = hostile.route(fault(kind, b""))
    started = time.monotonic()
    async with make_client("anthropic", url, retries=ONE_RETRY) as client:
        with pytest.raises(APIConnectionError) as raised:
            async for _ in await ask_async("anthropic", client)():
                pass
    assert time.monotonic() - started < FAULT_BOUND
    assert_typed(raised.value)
    assert not isinstance(raised.value, APITimeoutError)
    assert hostile.requests(url) == 2


@pytest.mark.parametrize(
    ("provider", "kind"), AFTER_THE_END, ids=[f"{p}-{k.name}" for p, k in AFTER_THE_END]
)
def test_a_fault_after_a_complete_answer_does_not_fail_it(
    hostile: HostileServer, provider: str, kind: Kind
) -> None:
    """The end marker was read: whatever the connection does next is the drain's business,
    and the next call on the client works."""
    case = CASES[provider]
    good = Fault(Kind.FINE, body=case.body, content_type=case.content_type)
    url = hostile.route(fault(kind, case.body, case.content_type), good)
    with make_client(provider, url) as client:
        ask = ask_sync(provider, client)
        for _ in range(2):
            started = time.monotonic()
            stream = ask()
            for _ in stream:
                pass
            assert time.monotonic() - started < FAULT_BOUND
            assert stream.state == "complete"
            assert [call.name for call in stream.tool_calls][: len(case.tools)] == list(case.tools)
    assert hostile.requests(url) == 2


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "ollama"])
def test_a_connection_with_garbage_after_its_response_is_not_reused(
    hostile: HostileServer, provider: str
) -> None:
    """The garbage arrives in the read that carries the terminal chunk, and h11 keeps it as the
    start of the next response: reused, the connection would make the next call wait for a
    status line until its first-byte limit (60 s by default)."""
    case = CASES[provider]
    good = Fault(Kind.FINE, body=case.body, content_type=case.content_type)
    url = hostile.route(fault(Kind.TRAILING_GARBAGE, case.body, case.content_type), good)
    with make_client(provider, url) as client:
        ask = ask_sync(provider, client)
        for _ in range(2):
            started = time.monotonic()
            stream = ask()
            for _ in stream:
                pass
            assert time.monotonic() - started < FAULT_BOUND
            assert stream.state == "complete"


@pytest.mark.parametrize("provider", CALL_PROVIDERS)
def test_garbage_after_the_terminal_chunk_does_not_fail_the_answer(
    hostile: HostileServer, provider: str
) -> None:
    case = CASES[provider]
    url = hostile.route(fault(Kind.TRAILING_GARBAGE, case.body, case.content_type))
    with make_client(provider, url) as client:
        stream = ask_sync(provider, client)()
        for _ in stream:
            pass
    assert stream.state == "complete"
    assert stream.finish_reasons


# -- the low-level clients --------------------------------------------------------------------


def low_level(provider: str, client: Any) -> Any:
    if provider == "openai":
        return client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    return client.chat.stream(model="m", messages=MESSAGES)


async def low_level_async(provider: str, client: Any) -> Any:
    if provider == "openai":
        return await client.chat.completions.create_async(model="m", messages=MESSAGES, stream=True)
    return await client.chat.stream_async(model="m", messages=MESSAGES)


def text_of(provider: str, event: Any) -> str:
    if provider == "openai":
        return "".join(choice.delta.content or "" for choice in event.choices)
    return recover([event]).text


@pytest.mark.parametrize("kind", MID_STREAM, ids=lambda k: k.name)
@pytest.mark.parametrize("provider", ["openai", "mistral"])
def test_a_low_level_stream_yields_its_events_then_a_typed_error(
    hostile: HostileServer, provider: str, kind: Kind
) -> None:
    case = CASES[provider]
    url = hostile.route(fault(kind, case.prefix, case.content_type))
    events, text = 0, ""
    started = time.monotonic()
    with make_client(provider, url) as client:
        stream = low_level(provider, client)
        with pytest.raises(StreamInterruptedError) as raised:
            for event in stream:
                events += 1
                text += text_of(provider, event)
        assert stream.closed
    assert time.monotonic() - started < FAULT_BOUND
    assert_typed(raised.value)
    assert events == len(case.prefix.split(b"\n\n")) - 1
    assert text == case.text


@pytest.mark.anyio
@pytest.mark.parametrize("kind", MID_STREAM, ids=lambda k: k.name)
@pytest.mark.parametrize("provider", ["openai", "mistral"])
async def test_a_low_level_async_stream_yields_its_events_then_a_typed_error(
    hostile: HostileServer, provider: str, kind: Kind
) -> None:
    case = CASES[provider]
    url = hostile.route(fault(kind, case.prefix, case.content_type))
    text = ""
    started = time.monotonic()
    async with make_client(provider, url) as client:
        stream = await low_level_async(provider, client)
        with pytest.raises(StreamInterruptedError) as raised:
            async for event in stream:
                text += text_of(provider, event)
        assert stream.closed
    assert time.monotonic() - started < FAULT_BOUND
    assert_typed(raised.value)
    assert text == case.text


@pytest.mark.parametrize("kind", BEFORE_RESPONSE, ids=lambda k: k.name)
def test_a_low_level_call_without_a_response_is_a_connection_error(
    hostile: HostileServer, kind: Kind
) -> None:
    url = hostile.route(fault(kind, b""))
    with make_client("openai", url) as client, pytest.raises(APIConnectionError) as raised:
        client.chat.completions.create(model="m", messages=MESSAGES)  # a whole call
    assert_typed(raised.value)
    assert hostile.requests(url) == 1  # retries=0


WHOLE = (
    b'{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"A whole answer, cut somewhere in the middle."},'
    b'"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12}}'
)


@pytest.mark.parametrize(
    "kind", [k for k in MID_STREAM if k is not Kind.HTTP10_CLOSE], ids=lambda k: k.name
)
def test_a_broken_whole_body_is_interrupted_not_undecodable(
    hostile: HostileServer, kind: Kind
) -> None:
    """A whole (non-streamed) body is complete only at its end: a connection broken inside it
    interrupts the call (it is not decoded as far as it got)."""
    url = hostile.route(fault(kind, WHOLE, "application/json"))
    with make_client("openai", url) as client, pytest.raises(StreamInterruptedError) as raised:
        client.chat.completions.create(model="m", messages=MESSAGES)
    assert_typed(raised.value)


# -- a server that never reads ----------------------------------------------------------------

SHORT = Timeouts(connect=0.5, first_byte=0.5, idle=0.5, total=5)


def test_a_server_that_never_answers_times_out_on_the_first_byte(silent: SilentServer) -> None:
    started = time.monotonic()
    with make_client("openai", silent.origin, timeouts=SHORT) as client:
        with pytest.raises(StreamTimeoutError) as raised:
            for _ in low_level("openai", client):
                pass
    assert 0.4 < time.monotonic() - started < 0.5 + FAULT_BOUND
    assert raised.value.kind == "first_byte"
    assert_typed(raised.value)


@pytest.mark.parametrize("sync", [True, False], ids=["sync", "async"])
def test_a_request_the_server_never_reads_times_out(silent: SilentServer, sync: bool) -> None:
    """The request (16 MiB) fills the socket buffers: the write blocks and times out."""
    import anyio

    big = [{"role": "user", "content": "x" * (16 * 1024 * 1024)}]
    started = time.monotonic()
    client = make_client("openai", silent.origin, timeouts=SHORT)
    with pytest.raises(APITimeoutError) as raised:
        if sync:
            with client:
                client.chat.completions.create(model="m", messages=big, stream=True)
        else:

            async def main() -> None:
                async with client:
                    await client.chat.completions.create_async(model="m", messages=big, stream=True)

            anyio.run(main)
    assert time.monotonic() - started < 0.5 + FAULT_BOUND + 1
    assert_typed(raised.value)
