"""No raw httpx2 error reaches a user: every class httpx2 can raise maps to a StreamcallError.

Walks httpx2's exception tree and puts each class through the two places a request can fail:
sending (``Exchange``: before a response exists) and reading a body (``map_read_error``). Then
the cases the issue met for real: a corrupt gzip body (error status and success status) and a
malformed base URL (a ``ConfigurationError`` when the client is built).
"""

from __future__ import annotations

import httpx2
import pytest

from streamcall.errors import (
    APIConnectionError,
    APIStatusError,
    ConfigurationError,
    StreamcallError,
    StreamInterruptedError,
    StreamTimeoutError,
)
from streamcall.registry import PROVIDERS
from streamcall.transport.http import Exchange, TransportConfig
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.stream import map_read_error
from streamcall.transport.timeouts import Deadline, Timeouts
from tests.replay import ReplayServer, Reply


def every_subclass(cls: type[BaseException]) -> list[type[BaseException]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(every_subclass(sub))
    return found


REQUEST = httpx2.Request("POST", "https://api.example.com/v1/chat")
CLASSES = [*every_subclass(httpx2.HTTPError), httpx2.InvalidURL]


def instance(cls: type[BaseException]) -> BaseException:
    if issubclass(cls, httpx2.HTTPStatusError):
        return cls("boom", request=REQUEST, response=httpx2.Response(500, request=REQUEST))
    if issubclass(cls, httpx2.RequestError):
        return cls("boom", request=REQUEST)
    return cls("boom")


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
def test_a_failure_while_sending_is_typed_or_retried(cls: type[BaseException]) -> None:
    config = TransportConfig(Timeouts(total=60), RetryPolicy(max_retries=0), ("k",))
    exchange = Exchange(REQUEST, config)
    exc = instance(cls)
    with pytest.raises(StreamcallError) as caught, exchange:
        raise exc
    assert caught.value.__cause__ is exc


@pytest.mark.parametrize("cls", every_subclass(httpx2.HTTPError), ids=lambda c: c.__name__)
def test_a_failure_while_reading_is_typed(cls: type[BaseException]) -> None:
    deadline = Deadline(Timeouts(total=60))
    error = map_read_error(instance(cls), deadline, REQUEST, ())  # type: ignore[arg-type]
    assert isinstance(error, StreamcallError)
    if issubclass(cls, httpx2.TimeoutException):
        assert isinstance(error, StreamTimeoutError)
    elif issubclass(cls, httpx2.ReadError | httpx2.RemoteProtocolError):
        assert isinstance(error, StreamInterruptedError)
    else:
        assert isinstance(error, APIConnectionError)


GZIP_GARBAGE = {"Content-Encoding": "gzip"}


def test_a_corrupt_gzip_error_body_is_a_status_error(server: ReplayServer) -> None:
    url = server.route(Reply(status=400, headers=GZIP_GARBAGE, body=b"this is not gzip at all"))
    client = PROVIDERS["openai"].make_client(api_key="k", base_url=url, retries=0)
    with pytest.raises(APIStatusError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 400
    client.close()


def test_a_corrupt_gzip_stream_is_a_typed_error(server: ReplayServer) -> None:
    url = server.route(Reply(headers=GZIP_GARBAGE, body=b"data: this is not gzip\n\n" * 50))
    client = PROVIDERS["openai"].make_client(api_key="k", base_url=url, retries=0)
    with pytest.raises(StreamcallError):
        stream = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        with stream:
            for _ in stream:
                pass
    client.close()


BAD_URLS = ["http://exa mple.com", "http://[::1", "http://host:99999", "http://", "ftp://x"]
WITH_URL = [e for e in PROVIDERS.values() if e.name != "local"]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("entry", WITH_URL, ids=[e.name for e in WITH_URL])
def test_a_malformed_base_url_fails_when_the_client_is_built(entry: object, url: str) -> None:
    with pytest.raises(ConfigurationError, match="base URL"):
        entry.make_client(api_key="k", base_url=url)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"message": "' + b"x" * 1_100_000 + b'"}}',
        b"<html><body>" + b"<p>Internal error</p>\n" * 60_000 + b"</body></html>",
    ],
    ids=["json", "html"],
)
def test_a_huge_error_body_gives_a_short_message(server: ReplayServer, body: bytes) -> None:
    """A 5xx with a megabyte body: the message is an excerpt, the (bounded) body is kept."""
    url = server.route(Reply(status=500, body=body, content_type="text/html"))
    client = PROVIDERS["openai"].make_client(api_key="k", base_url=url, retries=0)
    with pytest.raises(APIStatusError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert len(str(caught.value)) < 700
    assert "more characters" in str(caught.value)
    assert caught.value.body
    client.close()
