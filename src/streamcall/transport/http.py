"""Sending a request: retries before the first body byte, timeouts, and typed errors.

:class:`Exchange` holds every decision about one request (pure apart from the clock): the
timeout extension for the next attempt, whether a failure is retried and after how long, and
which typed error it becomes. :class:`HTTPTransport` and :class:`AsyncHTTPTransport` are the two
thin loops around it that actually send, sleep and read.

An attempt lasts until the response *body* starts: after a success status the loop reads the
first body chunk (under the first-byte limit) before handing the response over, so a server
that sends its headers at once and then stays silent times out as ``first_byte`` like one that
sends nothing. The first-byte limit is one budget for the whole call: quick failures are retried
within it, a timeout has spent it; once a body byte has arrived nothing is retried. A kept-alive
connection the server closed as the request went out is replaced at once (no backoff, no retry
counted, once a call).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextvars import Token
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar

from streamcall._secrets import CREDENTIAL_HEADERS
from streamcall.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    excerpt,
    known_secrets,
    redact,
    redact_value,
    status_error_class,
)
from streamcall.transport.body import aiter_chunks, httpx_error, iter_chunks
from streamcall.transport.retries import DEFAULT_RETRY_POLICY, RetryPolicy
from streamcall.transport.stream import EventStream, EventStreamAsync, map_read_error
from streamcall.transport.timeouts import DEFAULT_TIMEOUTS, Deadline, Timeouts

if TYPE_CHECKING:
    import httpx2

    from streamcall.transport.session import FrameDecoder, StreamCodec

__all__ = [
    "AsyncHTTPTransport",
    "Exchange",
    "HTTPTransport",
    "Sendable",
    "Streamable",
    "TransportConfig",
]

logger = logging.getLogger("streamcall")

MAX_ERROR_BODY: Final = 1024 * 1024
REQUEST_ID_HEADERS: Final = (
    "x-request-id",
    "request-id",
    "mistral-correlation-id",
    "x-kong-request-id",
)


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Timeouts, retries and secrets for one provider client."""

    timeouts: Timeouts = DEFAULT_TIMEOUTS
    retry: RetryPolicy = DEFAULT_RETRY_POLICY
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"TransportConfig(timeouts={self.timeouts!r}, retry={self.retry!r}, secrets=***)"


def error_message(body: object) -> str | None:
    """The human message inside a provider's error payload, whatever its shape."""
    if isinstance(body, str):
        return body.strip() or None
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, Mapping):
        nested = error_message(error)
        if nested:
            return nested
    elif isinstance(error, str) and error:
        return error
    for key in ("message", "detail", "error_message", "msg"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list | Mapping) and value:
            import msgspec

            return msgspec.json.encode(value).decode()
    return None


def parse_body(raw: bytes) -> object:
    """An error body as JSON when it is JSON, else as text."""
    import msgspec

    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw.decode("utf-8", "replace")


def status_error(
    response: httpx2.Response, raw_body: bytes, secrets: Sequence[str]
) -> APIStatusError:
    """The typed error for an HTTP error response (its body already read)."""
    body = redact_value(parse_body(raw_body), secrets)
    detail = error_message(body) or response.reason_phrase or "no details"
    request_id = next(
        (response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None
    )
    message = f"HTTP {response.status_code}: {excerpt(redact(detail, secrets))}"
    if request_id:
        message += f" (request id {request_id})"
    return status_error_class(response.status_code)(
        message,
        status_code=response.status_code,
        request_id=request_id,
        response=response,
        request=response.request,
        body=body,
    )


E = TypeVar("E")
S = TypeVar("S", EventStream[Any], EventStreamAsync[Any])


class Sendable(Protocol):
    """A request ready to send, with its transport settings."""

    @property
    def request(self) -> httpx2.Request: ...

    @property
    def config(self) -> TransportConfig: ...


class Streamable(Sendable, Protocol[E]):
    """A streamed call: a request and how its body decodes into events ``E``."""

    @property
    def frames(self) -> FrameDecoder[Any]: ...

    @property
    def codec(self) -> StreamCodec[Any, E]: ...


MAX_REDIRECTS = 20


def masked(request: httpx2.Request) -> httpx2.Request:
    """``request`` with headers whose ``repr`` hides every credential header (httpx2 hides only
    ``Authorization``): errors carry their request, and reprs end up in logs."""
    request.headers = _masked_headers()(request.headers)
    return request


@cache
def _masked_headers() -> type[httpx2.Headers]:
    import httpx2

    class MaskedHeaders(httpx2.Headers):
        """``httpx2.Headers`` whose ``repr`` shows ``[secure]`` for every credential header,
        and for any header holding a secret of a client in use."""

        def __repr__(self) -> str:
            known = known_secrets()
            items = [
                (k, "[secure]" if k.lower() in CREDENTIAL_HEADERS or redact(v, known) != v else v)
                for k, v in self.multi_items()
            ]
            shown = dict(items) if len(dict(items)) == len(items) else items
            return f"Headers({shown!r})"

    return MaskedHeaders


class Exchange:
    """The retry and timeout state of one request, and every decision of its attempt loop.

    The loop runs each attempt inside ``with exchange as request:``, which sets the attempt's
    timeouts and makes the deadline govern its reads; in it the loop sends ``request``, stores
    the response in :attr:`response`, and passes each body chunk to :meth:`took` until it
    returns true. On leaving the block the exchange decides: the body started (:attr:`opened`:
    the loop returns :meth:`events`), or retry after :attr:`delay` seconds (the block then ends
    without an exception), or the typed error is raised. Unless :attr:`opened`, the loop closes
    :attr:`response` if there is one.
    """

    __slots__ = (
        "_body",
        "_token",
        "config",
        "deadline",
        "delay",
        "first",
        "opened",
        "reconnected",
        "redirects",
        "request",
        "response",
        "retries",
    )

    def __init__(self, request: httpx2.Request, config: TransportConfig) -> None:
        self.request = request
        self.config = config
        self.deadline = Deadline(config.timeouts)
        self.retries = 0
        self.redirects = 0
        self.response: httpx2.Response | None = None
        self.first: bytes | None = None
        self.opened = False
        self.reconnected = False  # a kept-alive connection the server had closed was replaced
        self.delay = 0.0
        self._body = bytearray()
        self._token: Token[Deadline | None] | None = None

    def __enter__(self) -> httpx2.Request:
        self.prepare_attempt()
        self.response, self.first, self._body = None, None, bytearray()
        self._token = self.deadline.activate()
        return self.request

    def events(
        self,
        stream: type[S],
        call: Streamable[Any],
        chunks: Iterator[bytes] | AsyncIterator[bytes],
        client_ref: object,
    ) -> S:
        """Once :attr:`opened`: the body of ``call`` as an :class:`EventStream` or
        :class:`EventStreamAsync` (``stream``), read on from ``chunks`` (the body iterator,
        positioned after :attr:`first`). The stream closes the response.

        A body that is not the stream raises :class:`~streamcall.errors.UnexpectedResponseError`
        quoting it: an HTML page at once (it is read, bounded, instead of being framed), any
        other body when it ends without having given a single frame (a JSON error object, an
        empty body); a body that frames (a stream whose ``Content-Type`` is wrong) is read."""
        from streamcall.transport.pages import body_readers

        assert self.response is not None
        frames, codec = body_readers(self.response, call, self.first, self.config.secrets)
        return stream(
            self.response,
            self.deadline,
            frames,
            codec,
            secrets=self.config.secrets,
            client_ref=client_ref,
            chunks=chunks,
            first=self.first,
        )

    def took(self, chunk: bytes) -> bool:
        """A body chunk of the attempt's response; whether to stop reading."""
        assert self.response is not None
        status = self.response.status_code
        if status < 300:
            self.first = chunk  # the headers do not end the first-byte wait: this does
            return True
        if status < 400:  # a redirect's body is not read
            return True
        self._body += chunk
        return len(self._body) >= MAX_ERROR_BODY

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> bool:
        import httpx2

        if exc is not None:  # a body read by streamcall raises httpcore2's errors
            exc = httpx_error(exc)
        if self._token is not None:
            Deadline.deactivate(self._token)
            self._token = None
        response = self.response
        if response is None:  # sending failed
            if isinstance(exc, httpx2.TransportError):
                self.delay = self.transport_failed(exc)
                return True
            if isinstance(exc, httpx2.HTTPError | httpx2.InvalidURL):
                detail = redact(str(exc) or type(exc).__name__, self.config.secrets)
                raise APIConnectionError(
                    f"Could not send the request: {detail}", request=self.request
                ) from exc
            return False
        if response.is_redirect and (exc is None or isinstance(exc, httpx2.TransportError)):
            self.request = self.redirected(response)
            self.delay = 0.0
            return True
        if response.status_code >= 300:
            if isinstance(exc, httpx2.HTTPError) and not isinstance(exc, httpx2.TransportError):
                exc = None  # an error body that cannot be decoded (DecodingError): none
                self._body = bytearray()
            if exc is None or isinstance(exc, httpx2.TransportError):
                self.delay = self.status_failed(response, b"" if exc else bytes(self._body))
                return True
            return False
        if exc is None:
            self.deadline.body_started()
            self.opened = True
            if logger.isEnabledFor(logging.DEBUG):  # whole calls and streams alike
                url = self.request.url
                logger.debug(
                    "%s %s://%s%s%s -> %d",
                    self.request.method,
                    url.scheme,
                    url.host,
                    f":{url.port}" if url.port else "",
                    url.path,  # no query or credentials in a log line
                    response.status_code,
                )
        elif isinstance(exc, httpx2.TimeoutException):  # no first body byte in time
            self.delay = self.transport_failed(exc)
            return True
        elif isinstance(exc, httpx2.HTTPError):
            raise map_read_error(exc, self.deadline, self.request, self.config.secrets) from exc
        return False

    def redirected(self, response: httpx2.Response) -> httpx2.Request:
        """The request a redirect asks for. Redirects are followed here, not by httpx2, so that
        no credential reaches another origin: across a scheme, host or port, every header that
        carries one (``Authorization``, ``x-api-key``, ``x-goog-api-key``, ``api-key``, cookies,
        and any header whose value holds one of the client's secrets) is left out."""
        import httpx2

        self.redirects += 1
        if self.redirects > MAX_REDIRECTS:
            raise APIConnectionError(
                f"Too many redirects (more than {MAX_REDIRECTS}) from "
                f"{self.request.url.copy_with(query=None)}",
                request=self.request,
            )
        old = self.request
        url = old.url.join(response.headers["location"])
        method, content = old.method, old.content
        headers = httpx2.Headers(old.headers)
        if (response.status_code == 303 and method != "HEAD") or (
            response.status_code in (301, 302) and method == "POST"
        ):
            method, content = "GET", b""
            for name in ("content-type", "content-length", "transfer-encoding"):
                headers.pop(name, None)
        if (url.scheme, url.host, url.port) != (old.url.scheme, old.url.host, old.url.port):
            secrets = [s for s in self.config.secrets if s]
            for name, value in list(headers.items()):
                if name.lower() in CREDENTIAL_HEADERS or any(s in value for s in secrets):
                    del headers[name]
        headers["host"] = url.netloc.decode("ascii")
        return masked(
            httpx2.Request(method, url, headers=headers, content=content, extensions=old.extensions)
        )

    def prepare_attempt(self) -> None:
        """Start an attempt: set the request's httpx timeouts within what is left of the call's
        first-byte and total budgets (connecting and waiting for the pool count against them)."""
        self.deadline.new_attempt()
        timeouts = self.config.timeouts
        left = self.deadline.start_remaining()
        if left is not None:
            left = max(left, 0.001)
            connect = left if timeouts.connect is None else min(timeouts.connect, left)
            timeouts = replace(timeouts, connect=connect, first_byte=left)
        self.request.extensions["timeout"] = timeouts.to_httpx().as_dict()

    def transport_failed(self, exc: Exception) -> float:
        """Seconds to wait before retrying after ``exc``; raises the typed error if not."""
        import httpx2

        if isinstance(exc, httpx2.PoolTimeout):  # not retried: this client's calls hold the pool
            raise pool_timeout(self.request, self.config.timeouts) from exc
        deadline = self.deadline
        passed = deadline.start_passed()  # the first-byte or total budget is spent
        if isinstance(exc, httpx2.ReadTimeout):  # no first body byte: the budget is spent
            raise deadline.error(self.request) from exc
        if isinstance(exc, httpx2.TimeoutException):  # connecting or sending
            error: APIError = deadline.error_for(passed or "connect", self.request)
            if passed:
                raise error from exc
        elif (
            self.response is None
            and deadline.reused
            and not self.reconnected
            and not passed
            and isinstance(exc, httpx2.RemoteProtocolError | httpx2.ReadError | httpx2.WriteError)
        ):
            # A kept-alive connection the server closed as the request went out (its idle
            # timeout): reconnect at once, once a call, without a backoff or a retry counted.
            self.reconnected = True
            logger.info(
                "reconnecting %s %s: the server had closed the kept-alive connection (%s)",
                self.request.method,
                self.request.url.copy_with(query=None),
                type(exc).__name__,
            )
            return 0.0
        else:
            detail = redact(str(exc) or type(exc).__name__, self.config.secrets)
            error = APIConnectionError(
                f"Could not reach {self.request.url.host}: {detail}", request=self.request
            )
        return self._retry_or_raise(error, None, exc)

    def status_failed(self, response: httpx2.Response, raw_body: bytes) -> float:
        """Seconds to wait before retrying an HTTP error status; raises the typed error if not."""
        error = status_error(response, raw_body, self.config.secrets)
        if not self.config.retry.should_retry_status(response.status_code, response.headers):
            raise error
        return self._retry_or_raise(error, response.headers, None)

    def _retry_or_raise(
        self, error: APIError, headers: Mapping[str, str] | None, cause: Exception | None
    ) -> float:
        policy = self.config.retry
        if self.retries >= policy.max_retries:
            raise error from cause
        delay = policy.delay(self.retries + 1, headers)
        remaining = self.deadline.start_remaining()  # a retry must start within the budget
        if remaining is not None and delay >= remaining:
            raise error from cause
        self.retries += 1
        from streamcall.telemetry._observe import notify_retry  # the hooks and the call's span

        notify_retry(self.retries, policy.max_retries, delay)
        logger.info(
            "retrying %s %s in %.2fs (retry %d of %d): %s",
            self.request.method,
            self.request.url.copy_with(query=None),
            delay,
            self.retries,
            policy.max_retries,
            error.message,
        )
        return delay


def pool_timeout(request: httpx2.Request, timeouts: Timeouts) -> APIError:
    """The error for a call that found no free connection in its client's pool in time: the
    client's own calls hold all ``max_connections`` of them. That wait is part of the wait for
    the first byte (``Timeouts.first_byte``, capped by ``total``); it is not a connect failure
    and is not retried (a retry would queue again behind the same calls)."""
    from streamcall.errors import StreamTimeoutError

    limit = min((t for t in (timeouts.first_byte, timeouts.total) if t is not None), default=None)
    return StreamTimeoutError(
        f"Timed out after {limit}s waiting for a free connection from the client's pool: all "
        "of its connections are in use by other calls (raise the client's max_connections, or "
        "open fewer calls at once; this wait counts against Timeouts.first_byte)",
        kind="pool",
        timeout=limit,
        request=request,
    )


H = TypeVar("H", "httpx2.Client", "httpx2.AsyncClient")


class _Transport(Generic[H]):
    """What both transports share: the httpx2 client ``client`` (``None``: one is created with
    ``options``), made to read under streamcall's deadlines."""

    def __init__(self, client: H | None, options: Mapping[str, Any]) -> None:
        import httpx2

        from streamcall.transport.timeouts import install_deadlines

        kind: Any = httpx2.AsyncClient if isinstance(self, AsyncHTTPTransport) else httpx2.Client
        self.client: H = client if client is not None else kind(**options)
        install_deadlines(self.client)


SEND: Final[dict[str, Any]] = {"stream": True, "follow_redirects": False}
"""How the transports send: the body is streamed and redirects come back to the exchange."""


class HTTPTransport(_Transport["httpx2.Client"]):
    """Sends requests on an ``httpx2.Client`` with streamcall's retries and deadlines."""

    def stream(self, call: Streamable[E], client_ref: object = None) -> EventStream[E]:
        """Send ``call`` until a success response's body starts; that body as an
        :class:`EventStream` (the caller closes it).

        Waiting for the first body byte is part of the attempt, and the first-byte limit is one
        budget for the whole call: attempts that fail fast are retried within it, an attempt
        that used it up is not.
        """
        import time

        exchange = Exchange(call.request, call.config)
        while True:
            try:
                with exchange as request:
                    response = exchange.response = self.client.send(request, **SEND)
                    for chunk in (chunks := iter_chunks(response)):
                        if exchange.took(chunk):
                            break
            finally:
                if exchange.response is not None and not exchange.opened:
                    exchange.response.close()
            if exchange.opened:
                return exchange.events(EventStream, call, chunks, client_ref)
            time.sleep(exchange.delay)


class AsyncHTTPTransport(_Transport["httpx2.AsyncClient"]):
    """Sends requests on an ``httpx2.AsyncClient``; :class:`HTTPTransport`, awaiting."""

    async def stream(self, call: Streamable[E], client_ref: object = None) -> EventStreamAsync[E]:
        import anyio

        exchange = Exchange(call.request, call.config)
        while True:
            try:
                with exchange as request:
                    response = exchange.response = await self.client.send(request, **SEND)
                    async for chunk in (chunks := aiter_chunks(response)):
                        if exchange.took(chunk):
                            break
            finally:
                if exchange.response is not None and not exchange.opened:
                    with anyio.CancelScope(shield=True):
                        await exchange.response.aclose()
            if exchange.opened:
                return exchange.events(EventStreamAsync, call, chunks, client_ref)
            await anyio.sleep(exchange.delay)
