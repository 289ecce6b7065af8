"""A 200 answer that is not the stream: a typed error quoting what came, not "interrupted".

A proxy's HTML page, a JSON error object (``insufficient_quota`` behind a gateway), an empty
body, a body that held no event: each raises ``UnexpectedResponseError`` (an ``APIStatusError``
with ``status_code`` 200) whose message quotes the server's error message or the start of the
body, for every HTTP provider of the registry, through the call layer and the low-level
clients, sync and async. A real stream with a wrong or missing ``Content-Type`` is still read.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import UserMessage
from streamcall.clients.openai import AsyncOpenAI, OpenAI
from streamcall.errors import (
    APIStatusError,
    StreamcallError,
    StreamDecodeError,
    StreamError,
    StreamInterruptedError,
    UnexpectedResponseError,
)
from streamcall.registry import PROVIDERS, call_decorator
from tests.replay import Chunking, ReplayServer, Reply, sse_body

KEY = "sk-test-error-page-key-42"
HTTP = [name for name in PROVIDERS if name != "local"]
SSE = [name for name in HTTP if PROVIDERS[name].wire != "ollama"]
NDJSON = [name for name in HTTP if PROVIDERS[name].wire == "ollama"]

HTML = (
    b"<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n"
    b"<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    + b"<!-- padding -->\n" * 400
    + b"</body>\n</html>\n"
)
QUOTA = json.dumps(
    {
        "error": {
            "message": "You exceeded your current quota, please check your plan and billing "
            "details.",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
).encode()
NOT_A_STREAM = b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
OPENAI_MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


def call_stream(provider: str, url: str) -> tuple[Any, StreamcallError]:
    """A streamed call of ``provider`` at ``url`` through the call layer: the stream and the
    error its iteration raised."""
    entry = PROVIDERS[provider]
    client = entry.make_client(api_key=KEY, base_url=url)
    decorator = call_decorator(provider)

    @decorator(entry.default_model or "some-model", stream=True, client=client)
    def ask() -> str:
        return "Hello?"

    with client:
        stream = ask()
        with pytest.raises(StreamcallError) as info:
            for _ in stream:
                pass
    return stream, info.value


def check_page(error: StreamcallError, *quoted: str) -> UnexpectedResponseError:
    assert isinstance(error, UnexpectedResponseError), repr(error)
    assert isinstance(error, APIStatusError)
    assert error.status_code == 200
    assert error.response is not None
    assert error.request is not None
    message = str(error)
    for text in quoted:
        assert text in message, message
    assert len(message) < 400, message  # the start, not the whole body
    assert KEY not in message
    return error


@pytest.mark.parametrize("provider", HTTP)
def test_an_html_page_is_quoted(server: ReplayServer, provider: str) -> None:
    url = server.route(Reply(body=HTML, content_type="text/html; charset=utf-8"))
    stream, error = call_stream(provider, url)
    page = check_page(error, "text/html", "502 Bad Gateway")
    assert page.content_type == "text/html; charset=utf-8"
    assert isinstance(page.body, str)
    assert page.body.startswith("<!DOCTYPE html>")
    assert stream.state == "failed"
    assert stream.error is error


@pytest.mark.parametrize("provider", SSE)
def test_a_json_error_object_gives_the_servers_message(server: ReplayServer, provider: str) -> None:
    url = server.route(Reply(body=QUOTA, content_type="application/json"))
    stream, error = call_stream(provider, url)
    page = check_page(error, "You exceeded your current quota", "insufficient_quota")
    assert page.code == "insufficient_quota"
    assert page.type == "insufficient_quota"
    assert page.body == json.loads(QUOTA)
    assert stream.state == "failed"


@pytest.mark.parametrize("provider", NDJSON)
def test_a_json_error_line_is_the_providers_error_for_ndjson(
    server: ReplayServer, provider: str
) -> None:
    # NDJSON: the object is a line of the stream, which reports it as an in-stream error.
    url = server.route(Reply(body=QUOTA, content_type="application/json"))
    _, error = call_stream(provider, url)
    assert isinstance(error, StreamError)
    assert "You exceeded your current quota" in str(error)


@pytest.mark.parametrize("provider", HTTP)
@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "chunked"])
def test_an_empty_body_says_so(server: ReplayServer, provider: str, content_length: bool) -> None:
    url = server.route(Reply(body=b"", content_length=content_length))
    stream, error = call_stream(provider, url)
    check_page(error, "empty body", "text/event-stream")
    assert stream.state == "failed"


@pytest.mark.parametrize("provider", SSE)
def test_a_body_with_no_event_is_quoted(server: ReplayServer, provider: str) -> None:
    url = server.route(Reply(body=NOT_A_STREAM, content_type="text/plain"))
    _, error = call_stream(provider, url)
    check_page(error, "held no event", "text/plain", "upstream connect error")


@pytest.mark.parametrize("provider", NDJSON)
def test_a_line_that_is_not_json_is_a_decode_error_for_ndjson(
    server: ReplayServer, provider: str
) -> None:
    # NDJSON: any line is a frame; one that is not JSON is refused with the line kept.
    url = server.route(Reply(body=NOT_A_STREAM, content_type="text/plain"))
    _, error = call_stream(provider, url)
    assert isinstance(error, StreamDecodeError)
    assert error.raw is not None
    assert error.raw.startswith("upstream connect error")


def test_a_long_body_with_no_event_is_quoted_briefly(server: ReplayServer) -> None:
    body = b"Service Unavailable " * 10_000  # 200 KB, one line, no event
    url = server.route(Reply(body=body, chunking=Chunking.fixed(4096)))
    with OpenAI(api_key=KEY, base_url=url) as client:
        with pytest.raises(UnexpectedResponseError) as info:
            list(client.chat.completions.create(model="m", messages=OPENAI_MESSAGES, stream=True))
    message = check_page(info.value, "Service Unavailable").message
    assert message.endswith("...")


def test_the_key_is_redacted_from_the_quote(server: ReplayServer) -> None:
    body = json.dumps({"error": {"message": f"bad key {KEY}", "code": "invalid_api_key"}})
    url = server.route(Reply(body=body.encode(), content_type="application/json"))
    with OpenAI(api_key=KEY, base_url=url) as client:
        with pytest.raises(UnexpectedResponseError) as info:
            list(client.chat.completions.create(model="m", messages=OPENAI_MESSAGES, stream=True))
    assert "bad key ***" in str(info.value)
    assert KEY not in json.dumps(info.value.body)


@pytest.mark.anyio
async def test_async_streams_raise_it_too(server: ReplayServer) -> None:
    url = server.route(Reply(body=HTML, content_type="text/html"))
    async with AsyncOpenAI(api_key=KEY, base_url=url) as client:
        stream = await client.chat.completions.create(
            model="m", messages=OPENAI_MESSAGES, stream=True
        )
        with pytest.raises(UnexpectedResponseError) as info:
            async for _ in stream:
                pass
    check_page(info.value, "502 Bad Gateway")

    url = server.route(Reply(body=QUOTA, content_type="application/json", content_length=True))
    async with Mistral(api_key=KEY, server_url=url) as other:
        with pytest.raises(UnexpectedResponseError) as info:
            async with await other.chat.stream_async("m", [UserMessage(content="hi")]) as s:
                async for _ in s:
                    pass
    check_page(info.value, "You exceeded your current quota")


def test_a_whole_call_answered_with_an_html_page_quotes_it(server: ReplayServer) -> None:
    url = server.route(Reply(body=HTML, content_type="text/html"))
    with Mistral(api_key=KEY, server_url=url) as client:
        with pytest.raises(UnexpectedResponseError) as info:
            client.chat.complete("m", [UserMessage(content="hi")])
    check_page(info.value, "502 Bad Gateway")


def chunk(content: str, finish: str | None = None) -> str:
    return json.dumps(
        {
            "id": "abc",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
        }
    )


STREAM = sse_body([chunk("Hel"), chunk("lo", "stop")])


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
def test_a_stream_with_a_wrong_content_type_is_still_read(
    server: ReplayServer, content_type: str
) -> None:
    url = server.route(Reply(body=STREAM, content_type=content_type, chunking=Chunking.events()))
    with OpenAI(api_key=KEY, base_url=url) as client:
        chunks = list(
            client.chat.completions.create(model="m", messages=OPENAI_MESSAGES, stream=True)
        )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello"


def test_what_a_stream_yielded_before_a_page_is_kept(server: ReplayServer) -> None:
    # A proxy that gives up mid-stream and appends its own page: the events before it are
    # kept, and the stream is interrupted as before (it had started).
    body = sse_body([chunk("Hel")], done=False) + HTML
    url = server.route(Reply(body=body, chunking=Chunking.events()))
    stream, error = call_stream("openai", url)
    assert isinstance(error, StreamInterruptedError)
    assert stream.construct_call_response().content == "Hel"


@pytest.mark.parametrize(
    ("first", "accept", "watched"),
    [
        (b'data: {"id": 1}\n\n', "text/event-stream", False),
        (b"\xef\xbb\xbf\r\nevent: ping\n", "text/event-stream", False),
        (b": keep-alive\n\n", "text/event-stream", False),
        (b'{"model": "m", "done": false}\n', "application/x-ndjson", False),
        (b'{"error": {"message": "no"}}', "text/event-stream", True),
        (b"d", "text/event-stream", True),  # too little to tell yet
        (None, "text/event-stream", True),  # an empty body
    ],
)
def test_a_body_that_starts_as_a_stream_is_read_unwatched(
    first: bytes | None, accept: str, watched: bool
) -> None:
    # The per-read watch (for a body that never frames) costs a call a read; a body whose
    # first chunk already shows a stream does not need it.
    from types import SimpleNamespace

    import httpx2

    from streamcall.transport.pages import _ErrorPage, _Watched, body_readers
    from streamcall.wire.sse import SSEDecoder

    request = httpx2.Request("POST", "http://127.0.0.1:9/v1", headers={"accept": accept})
    call: Any = SimpleNamespace(frames=SSEDecoder(), codec=object(), request=request)
    response = httpx2.Response(200, headers={"content-type": accept}, request=request)
    frames, codec = body_readers(response, call, first, ())
    assert isinstance(frames, _Watched) is watched
    assert codec is call.codec
    if not watched:
        assert frames is call.frames
    html = httpx2.Response(200, headers={"content-type": "text/html"}, request=request)
    page, same = body_readers(html, call, first, ())
    assert isinstance(page, _ErrorPage)
    assert same is page
