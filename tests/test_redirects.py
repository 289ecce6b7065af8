"""Redirects: a credential never follows one to another origin; loops end in a typed error.

Every HTTP client of the registry (its own auth header: ``Authorization``, ``x-api-key``,
``x-goog-api-key``, ``api-key``) is sent a 307 or 308 to another port and to another host name
(``localhost`` for ``127.0.0.1``); the second server must see none of the key. A redirect within
the same origin keeps it (the call must still authenticate).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streamcall.errors import APIConnectionError, APIStatusError, StreamcallError
from streamcall.registry import PROVIDERS, call_decorator
from tests.replay import RecordedRequest, ReplayServer, Reply

KEY = "sk-test-redirect-key-123"
HTTP = [name for name in PROVIDERS if name != "local"]
STOP = Reply(
    status=400, body=b'{"error": {"message": "stop here"}}', content_type="application/json"
)


@pytest.fixture(scope="module")
def other_server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


def call_through(server: ReplayServer, provider: str, first_url: str) -> None:
    """One streamed call of ``provider`` whose client points at ``first_url``."""
    entry = PROVIDERS[provider]
    client = entry.make_client(api_key=KEY, base_url=first_url)
    decorator = call_decorator(provider)

    @decorator(entry.default_model or "some-model", stream=True, client=client)
    def ask() -> str:
        return "Hello?"

    with client, pytest.raises(StreamcallError):
        for _ in ask():
            pass


def carries_key(request: RecordedRequest) -> bool:
    return any(KEY in value for value in request.headers.values())


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("provider", HTTP)
def test_the_key_never_reaches_another_port(
    server: ReplayServer, other_server: ReplayServer, provider: str, status: int
) -> None:
    target = other_server.route(STOP)
    first = server.route(Reply(status=status, headers={"Location": f"{target}/moved"}))
    call_through(server, provider, first)
    assert carries_key(server.requests(first)[0])
    (moved,) = other_server.requests(target)
    assert not carries_key(moved), moved.headers
    assert moved.method == "POST"
    assert moved.body == server.requests(first)[0].body  # 307/308 keep the method and body


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("provider", HTTP)
def test_the_key_never_reaches_another_host(
    server: ReplayServer, provider: str, status: int
) -> None:
    target = server.route(STOP).replace("127.0.0.1", "localhost")
    first = server.route(Reply(status=status, headers={"Location": f"{target}/moved"}))
    call_through(server, provider, first)
    (moved,) = server.requests(target.replace("localhost", "127.0.0.1"))
    assert not carries_key(moved), moved.headers


@pytest.mark.parametrize("provider", HTTP)
def test_a_same_origin_redirect_keeps_the_key(server: ReplayServer, provider: str) -> None:
    target = server.route(STOP)
    first = server.route(Reply(status=307, headers={"Location": f"{target}/moved"}))
    call_through(server, provider, first)
    (moved,) = server.requests(target)
    assert carries_key(moved)


def test_a_redirect_loop_is_a_typed_error(server: ReplayServer) -> None:
    first = server.route(Reply(status=307, headers={"Location": "again"}))  # the same route
    client = PROVIDERS["openai"].make_client(api_key=KEY, base_url=first)
    with pytest.raises(APIConnectionError, match="Too many redirects") as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert KEY not in str(caught.value)
    client.close()


def test_303_becomes_a_get_without_body(server: ReplayServer) -> None:
    target = server.route(STOP)
    first = server.route(Reply(status=303, headers={"Location": f"{target}/result"}))
    client = PROVIDERS["openai"].make_client(api_key=KEY, base_url=first)
    with pytest.raises(StreamcallError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    (moved,) = server.requests(target)
    assert (moved.method, moved.body) == ("GET", b"")
    assert carries_key(moved)  # same origin
    client.close()


@pytest.mark.parametrize("provider", HTTP)
def test_an_error_request_repr_hides_the_key(server: ReplayServer, provider: str) -> None:
    """httpx2 hides only Authorization; x-api-key, x-goog-api-key and api-key are hidden too."""
    url = server.route(Reply(status=401, body=b'{"error": {"message": "bad key"}}'))
    client = PROVIDERS[provider].make_client(api_key=KEY, base_url=url)

    @call_decorator(provider)(PROVIDERS[provider].default_model or "m", client=client)
    def ask() -> str:
        return "Hello?"

    with client, pytest.raises(APIStatusError) as caught:
        ask()
    request = caught.value.request
    assert request is not None
    shown = repr(request.headers)
    assert KEY not in shown
    assert "[secure]" in shown
    assert "user-agent" in shown.lower()
