"""StreamSession (sans-IO): one way to signal the end, errors after the events before them."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from streamcall._lifecycle import AsyncCloseable, Closeable
from streamcall.clients.anthropic.codec import MessagesStreamCodec
from streamcall.clients.mistral.codec import ChatStreamCodec
from streamcall.clients.mistral.models import CompletionEvent
from streamcall.clients.ollama.codec import ChatStreamCodec as OllamaCodec
from streamcall.clients.openai.responses_codec import ResponsesStreamCodec
from streamcall.errors import StreamDecodeError, StreamError, StreamInterruptedError
from streamcall.transport.session import StreamSession
from streamcall.wire import NDJSONDecoder, SSEDecoder


def chunk(text: str, finish: str | None = None) -> bytes:
    reason = "null" if finish is None else f'"{finish}"'
    return (
        'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
        f'[{{"index":0,"delta":{{"content":"{text}"}},"finish_reason":{reason}}}]}}\n\n'
    ).encode()


def texts(events: list[CompletionEvent]) -> list[str | None]:
    return [e.data.choices[0].delta.content for e in events]  # type: ignore[misc]


def mistral() -> StreamSession[CompletionEvent]:
    return StreamSession(SSEDecoder(), ChatStreamCodec())


@pytest.mark.parametrize("split", [1, 7, 10_000])
def test_done_marker_ends_the_session_after_the_events_before_it(split: int) -> None:
    body = chunk("a") + chunk("b", "stop") + b"data: [DONE]\n\n" + chunk("after")
    session, events = mistral(), []
    for i in range(0, len(body), split):
        events += session.feed(body[i : i + split])
        if session.done:
            break
    assert texts(events) == ["a", "b"]
    assert session.done
    assert session.error is None


def test_batch_with_error_payload_keeps_the_events_before_it() -> None:
    session = mistral()
    body = chunk("a") + chunk("b") + b'data: {"object":"error","message":"boom"}\n\n' + chunk("c")
    events = session.feed(body)
    assert texts(events) == ["a", "b"]
    assert session.done
    assert isinstance(session.error, StreamError)


def test_finish_reason_error_is_raised_at_the_end_not_before() -> None:
    session = mistral()
    events = session.feed(chunk("a", "error") + chunk("usage"))
    assert texts(events) == ["a", "usage"]
    assert not session.done
    assert session.end() == []
    assert session.done
    assert isinstance(session.error, StreamError)


def test_body_ending_without_a_finish_is_interrupted() -> None:
    session = mistral()
    session.feed(chunk("a"))
    session.end()
    assert session.done
    assert isinstance(session.error, StreamInterruptedError)


def test_body_ending_after_a_finish_reason_is_clean() -> None:
    session = mistral()
    session.feed(chunk("a", "stop"))
    session.end()
    assert session.done
    assert session.error is None


def test_oversized_frame_ends_the_session_with_a_decode_error() -> None:
    session = StreamSession(SSEDecoder(max_event_size=10), ChatStreamCodec())
    assert session.feed(b"data: " + b"x" * 50) == []
    assert session.done
    assert isinstance(session.error, StreamDecodeError)


def test_terminal_event_with_failure_ends_with_the_error_after_it() -> None:
    session = StreamSession(SSEDecoder(), ResponsesStreamCodec())
    failed = (
        b'event: response.failed\ndata: {"type":"response.failed","sequence_number":1,'
        b'"response":{"id":"r","object":"response","created_at":1,"status":"failed",'
        b'"model":"m","output":[],"error":{"code":"server_error","message":"no"}}}\n\n'
    )
    events = session.feed(failed)
    assert [e.type for e in events] == ["response.failed"]
    assert session.done
    assert isinstance(session.error, StreamError)


def test_anthropic_message_stop_is_the_end() -> None:
    session = StreamSession(SSEDecoder(), MessagesStreamCodec())
    events = session.feed(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert [e.type for e in events] == ["message_stop"]
    assert session.done
    assert session.error is None


def test_ndjson_last_line_without_newline_comes_from_end() -> None:
    session = StreamSession(NDJSONDecoder(), OllamaCodec())
    line = (
        b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"hi"},"done":true}'
    )
    assert session.feed(line) == []
    events = session.end()
    assert [e.message.content for e in events] == ["hi"]  # type: ignore[union-attr]
    assert session.done
    assert session.error is None


class _Held(Closeable):
    def __init__(self) -> None:
        self.open = True

    def close(self) -> None:
        self.open = False

    def _unreleased(self) -> Callable[[], object] | None:
        return self.close if self.open else None


class _HeldAsync(AsyncCloseable):
    _holds = "its thing"

    def __init__(self) -> None:
        self.open = True

    async def aclose(self) -> None:
        self.open = False

    def _unreleased(self) -> Callable[[], object] | None:
        return (lambda: None) if self.open else None


def test_closeable_with_and_leak_warning() -> None:
    with _Held() as held:
        assert held.open
    assert not held.open
    with pytest.warns(ResourceWarning, match="_Held was garbage-collected while open"):
        _Held()  # finalized at once by reference counting
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _Held().close()  # closed: no warning


@pytest.mark.anyio
async def test_async_closeable_async_with_and_leak_warning() -> None:
    async with _HeldAsync() as held:
        assert held.open
    assert not held.open
    with pytest.warns(ResourceWarning, match="aclose\\(\\) to release its thing"):
        _HeldAsync()
