"""A client's key never shows in an error or a log line, whatever its length.

Every HTTP client of the registry talks to a server that echoes the key everywhere it can: in
response headers (``x-request-id`` and others), a 401 JSON body, an HTML 500 body (retried, so
the ``retrying`` log line repeats it), an in-stream error event and an undecodable event
(``StreamDecodeError.raw``). Keys of 3, 7 and 40 characters; every record of every logger is
captured at DEBUG (httpcore2's print the response headers). A key of 3 to 7 characters is
redacted as a whole token, one of 1 or 2 only as a whole or quoted value
(``streamcall.errors.redact``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from streamcall.errors import (
    APIStatusError,
    AuthenticationError,
    InternalServerError,
    StreamcallError,
    StreamDecodeError,
    StreamError,
    excerpt,
    known_secrets,
    redact,
    redact_value,
)
from streamcall.registry import PROVIDERS, call_decorator
from streamcall.transport.retries import RetryPolicy
from tests.replay import ReplayServer, Reply

HTTP = [name for name in PROVIDERS if name != "local"]
KEYS = {
    "3": "qz7",
    "7": "Kq7-zX9",
    "40": "sk-live-9fQ2mZ8xT4vB1nR6cY3wL5pJ0hG7dK2e",
}
FAST_RETRY = RetryPolicy(max_retries=1, initial_delay=0.001, max_delay=0.002)


class Owner:
    """What registers a secret in the unit tests below (as a client does)."""


OWNER = Owner()


def leaks(key: str, text: str) -> bool:
    """Whether ``text`` shows ``key``: anywhere for a long key, as a token for a short one."""
    if len(key) >= 8:
        return key in text
    return re.search(rf"(?<![^\W_]){re.escape(key)}(?![^\W_])", text) is not None


def echo_headers(key: str) -> dict[str, str]:
    return {"x-request-id": key, "x-echo": f"token {key}", "set-cookie": f"session={key}"}


def is_ndjson(provider: str) -> bool:
    return PROVIDERS[provider].wire == "ollama"


def event(provider: str, payload: str) -> Reply:
    """A 200 stream of one event (an SSE ``data:`` line, or an NDJSON line for Ollama)."""
    if is_ndjson(provider):
        body, kind = (payload + "\n").encode(), "application/x-ndjson"
    else:
        body, kind = f"data: {payload}\n\n".encode(), "text/event-stream"
    return Reply(body=body, content_type=kind, headers={"x-request-id": payload[-60:]})


def status_401(key: str) -> Reply:
    body = (
        '{"error": {"message": "Incorrect API key provided: ' + key + '. See the docs.", '
        '"type": "invalid_request_error", "key": "' + key + '"}}'
    )
    return Reply(
        status=401, body=body.encode(), content_type="application/json", headers=echo_headers(key)
    )


def html_500(key: str) -> Reply:
    body = f"<html><body><h1>500</h1><p>upstream said key={key} is bad</p></body></html>"
    return Reply(
        status=500,
        body=body.encode(),
        content_type="text/html",
        headers={**echo_headers(key), "Retry-After": "0"},
    )


def in_stream_error(provider: str, key: str) -> Reply:
    message = f'{{"error": {{"message": "key {key} was revoked", "type": "auth", "code": "k"}}}}'
    return event(provider, message)


def undecodable(provider: str, key: str) -> Reply:
    return event(provider, '{not json, "key": "' + key + '"}')


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger, at DEBUG (httpcore2's included)."""
    with caplog.at_level(logging.DEBUG):
        yield caplog


def ask(provider: str, url: str, key: str, **options: Any) -> Any:
    """The provider's streamed call through its own client; the client to close."""
    entry = PROVIDERS[provider]
    client = entry.make_client(api_key=key, base_url=url, retries=FAST_RETRY, **options)

    @call_decorator(provider)(entry.default_model or "m", stream=True, client=client)
    def call() -> str:
        return "Hello?"

    return call, client


def fail(provider: str, url: str, key: str) -> StreamcallError:
    call, client = ask(provider, url, key)
    with client, pytest.raises(StreamcallError) as caught:
        for _ in call():
            pass
    return caught.value


async def fail_async(provider: str, url: str, key: str) -> StreamcallError:
    entry = PROVIDERS[provider]
    client = entry.make_client(api_key=key, base_url=url, retries=FAST_RETRY)

    @call_decorator(provider)(entry.default_model or "m", stream=True, client=client)
    async def call() -> str:
        return "Hello?"

    async with client:
        with pytest.raises(StreamcallError) as caught:
            async for _ in await call():
                pass
    return caught.value


def check(exc: StreamcallError, key: str, logs: pytest.LogCaptureFixture) -> None:
    """Nothing the error carries, and no log line, shows ``key``."""
    shown = [str(exc), repr(exc), repr(exc.args)]
    shown += [repr(getattr(exc, name, None)) for name in ("body", "raw", "request_id")]
    shown += [repr(getattr(exc, name, None)) for name in ("type", "code", "message")]
    request = getattr(exc, "request", None)
    if request is not None:
        shown.append(repr(request.headers))
    response = getattr(exc, "response", None)
    if response is not None:
        shown += [repr(response), repr(response.headers), repr(list(response.headers.items()))]
    for text in shown:
        assert not leaks(key, text), text
    assert logs.records
    for record in logs.records:
        assert not leaks(key, record.getMessage()), (record.name, record.getMessage())
    assert not leaks(key, logs.text)


def saw_header_logs(logs: pytest.LogCaptureFixture) -> bool:
    """httpcore2 logged the response headers (which echo the key) at DEBUG."""
    return any(
        r.name.startswith("httpcore2") and "receive_response_headers.complete" in r.getMessage()
        for r in logs.records
    )


# -- every provider, every key length -------------------------------------------------------


@pytest.mark.parametrize("size", sorted(KEYS))
@pytest.mark.parametrize("provider", HTTP)
def test_a_401_echoing_the_key(
    server: ReplayServer, all_logs: pytest.LogCaptureFixture, provider: str, size: str
) -> None:
    key = KEYS[size]
    exc = fail(provider, server.route(status_401(key)), key)
    assert isinstance(exc, AuthenticationError)
    check(exc, key, all_logs)
    assert saw_header_logs(all_logs)
    assert exc.request_id == "***"
    assert exc.response is not None
    assert exc.response.headers["x-echo"] == "token ***"
    assert "Incorrect API key provided: ***. See the docs." in str(exc)
    assert "(request id ***)" in str(exc)


@pytest.mark.parametrize("size", sorted(KEYS))
@pytest.mark.parametrize("provider", HTTP)
def test_an_html_500_retried_then_failing(
    server: ReplayServer, all_logs: pytest.LogCaptureFixture, provider: str, size: str
) -> None:
    key = KEYS[size]
    url = server.route(html_500(key))
    exc = fail(provider, url, key)
    assert isinstance(exc, InternalServerError)
    assert len(server.requests(url)) == 2
    retrying = [r for r in all_logs.records if r.getMessage().startswith("retrying")]
    assert retrying
    assert "key=*** is bad" in retrying[0].getMessage()
    check(exc, key, all_logs)
    assert "key=*** is bad" in str(exc)


@pytest.mark.parametrize("size", sorted(KEYS))
@pytest.mark.parametrize("provider", HTTP)
def test_an_in_stream_error_echoing_the_key(
    server: ReplayServer, all_logs: pytest.LogCaptureFixture, provider: str, size: str
) -> None:
    key = KEYS[size]
    exc = fail(provider, server.route(in_stream_error(provider, key)), key)
    assert isinstance(exc, StreamError)
    assert "key *** was revoked" in str(exc)
    check(exc, key, all_logs)
    assert saw_header_logs(all_logs)


@pytest.mark.parametrize("size", sorted(KEYS))
@pytest.mark.parametrize("provider", HTTP)
def test_an_undecodable_event_holding_the_key(
    server: ReplayServer, all_logs: pytest.LogCaptureFixture, provider: str, size: str
) -> None:
    key = KEYS[size]
    exc = fail(provider, server.route(undecodable(provider, key)), key)
    assert isinstance(exc, StreamDecodeError)
    assert exc.raw is not None
    assert '"key": "***"' in exc.raw
    check(exc, key, all_logs)


@pytest.mark.anyio
@pytest.mark.parametrize("size", sorted(KEYS))
@pytest.mark.parametrize("provider", ["openai", "anthropic", "ollama"])
async def test_async_clients_redact_the_same(
    server: ReplayServer, all_logs: pytest.LogCaptureFixture, provider: str, size: str
) -> None:
    key = KEYS[size]
    for reply, kind in [
        (status_401(key), AuthenticationError),
        (html_500(key), InternalServerError),
        (in_stream_error(provider, key), StreamError),
        (undecodable(provider, key), StreamDecodeError),
    ]:
        exc = await fail_async(provider, server.route(reply), key)
        assert isinstance(exc, kind)
        check(exc, key, all_logs)
    assert saw_header_logs(all_logs)
    assert any(r.getMessage().startswith("retrying") for r in all_logs.records)


def test_a_key_in_a_custom_header_is_hidden_in_the_request_repr(server: ReplayServer) -> None:
    key = KEYS["40"]
    client = PROVIDERS["openai"].make_client(
        api_key=key, base_url=server.route(status_401(key)), default_headers={"X-Gateway": key}
    )
    with client, pytest.raises(APIStatusError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.request is not None
    assert key not in repr(caught.value.request.headers)
    assert caught.value.request.headers["X-Gateway"] == key  # the request itself is intact


def test_every_httpx2_and_httpcore2_logger_redacts(server: ReplayServer) -> None:
    """The filter is on every logger of those packages (a filter acts only on its own logger's
    records), and on streamcall's."""
    key = KEYS["40"]
    fail("openai", server.route(status_401(key)), key)
    names = [
        name
        for name, logger in logging.Logger.manager.loggerDict.items()
        if name.split(".")[0] in ("httpx2", "httpcore2", "streamcall")
        and isinstance(logger, logging.Logger)
    ]
    assert "httpcore2.http11" in names
    assert "streamcall" in names
    for name in names:
        logger = logging.getLogger(name)
        assert any(type(f).__name__ == "RedactingFilter" for f in logger.filters), name


def test_a_key_is_known_while_its_client_lives(server: ReplayServer) -> None:
    key = "sk-lives-0123456789abcdefghij"
    client = PROVIDERS["openai"].make_client(api_key=key, base_url=server.route(status_401(key)))
    assert key not in known_secrets()
    client.transport_config()
    assert key in known_secrets()
    client.close()
    del client
    assert key not in known_secrets()


def test_a_log_record_with_the_key_in_its_arguments(all_logs: pytest.LogCaptureFixture) -> None:
    from streamcall._secrets import register

    key = "Zr8-Lw2"
    register(OWNER, (key,))
    logging.getLogger("httpcore2.http11").debug("headers=%r", [(b"x-request-id", key.encode())])
    logging.getLogger("streamcall").info("key %s, again %s", key, key)
    messages = [r.getMessage() for r in all_logs.records]
    assert messages == ["headers=[(b'x-request-id', b'***')]", "key ***, again ***"]


# -- the rule ---------------------------------------------------------------------------------


def test_long_keys_are_redacted_anywhere() -> None:
    key = KEYS["40"]
    assert redact(f"id-{key}-x and {key}{key}", [key]) == "id-***-x and ******"


def test_keys_of_3_to_7_characters_are_redacted_as_whole_tokens() -> None:
    assert redact("bad key qz7. Bearer qz7 'qz7' id=qz7; req-qz7", ["qz7"]) == (
        "bad key ***. Bearer *** '***' id=***; req-***"
    )
    assert redact("qz71 xqz7 qz7_", ["qz7"]) == "qz71 xqz7 ***_"  # inside words: left alone
    assert redact("please check your plan", ["che"]) == "please check your plan"


def test_keys_of_1_or_2_characters_only_as_whole_or_quoted_values() -> None:
    assert redact("k", ["k"]) == "***"
    assert redact("(b'x-request-id', b'k') {\"key\": \"k\"}", ["k"]) == (
        "(b'x-request-id', b'***') {\"key\": \"***\"}"
    )
    assert redact("please check your plan, k", ["k"]) == "please check your plan, k"
    assert redact("a key is a key", ["a"]) == "a key is a key"


def test_a_key_inside_a_longer_one_does_not_split_it() -> None:
    long, short = "abcdefghijklmnop", "abcdefgh"
    assert redact(f"{long} {short}", [short, long]) == "*** ***"


def test_values_are_redacted_in_nested_data() -> None:
    body = {"error": {"message": "bad qz7", "qz7": ["qz7", 3]}}
    assert redact_value(body, ["qz7"]) == {"error": {"message": "bad ***", "***": ["***", 3]}}
    assert redact_value(body, ["", None]) is body


def test_a_long_in_stream_message_is_cut_short_after_redaction() -> None:
    from streamcall._secrets import register
    from streamcall.clients._codec import payload_error

    key = "sk-cut-here-0123456789abcdefghijklmnop"
    register(OWNER, (key,))
    prefix = "The provider reported an error in the stream: "
    text = "x" * (490 - len(prefix)) + key + "y" * 5000  # the key spans the 500th character
    error = payload_error({"error": {"message": text}})
    assert error is not None
    assert str(error) == excerpt(prefix + "x" * (490 - len(prefix)) + "***" + "y" * 5000)
    assert str(error).endswith("***yyyyyyy... (4993 more characters in .body)")
    assert key[:8] not in str(error)  # redacted before the cut: no half key
    assert error.body == {"error": {"message": text.replace(key, "***")}}


def test_a_key_at_the_cut_of_raw_is_not_left_half() -> None:
    from streamcall._secrets import register
    from streamcall.clients._codec import decode_error

    key = "sk-raw-edge-0123456789abcdefghijklmnop"
    register(OWNER, (key,))
    raw = "{" + "x" * 1990 + key + "}"
    error = decode_error("a chunk", raw, ValueError("bad"))
    assert error.raw is not None
    assert key[:8] not in error.raw
