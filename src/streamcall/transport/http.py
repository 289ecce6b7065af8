"""Sending a request: retries before the first body byte, timeouts, and typed errors.

:class:`Exchange` holds every decision about one request (pure apart from the clock): the
timeout extension for the next attempt, whether a failure is retried and after how long, and
which typed error it becomes. :class:`HTTPTransport` and :class:`AsyncHTTPTransport` are the two
thin loops around it that actually send, sleep and read.

An attempt lasts until the response *body* starts: after a success status the loop reads the
first body chunk (under the first-byte limit) before handing the response over, so a server
that sends its headers at once and then stays silent times out as ``first_byte`` and is
retried like one that sends nothing; once a body byte has arrived nothing is retried.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

from streamcall.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    redact,
    redact_value,
    status_error_class,
)
from streamcall.transport.retries import DEFAULT_RETRY_POLICY, RetryPolicy
from streamcall.transport.stream import (
    EventStream,
    EventStreamAsync,
    FrameDecoder,
    StreamCodec,
    map_read_error,
)
from streamcall.transport.timeouts import DEFAULT_TIMEOUTS, Deadline, Timeouts

if TYPE_CHECKING:
    import httpx2

__all__ = ["AsyncHTTPTransport", "Exchange", "HTTPTransport", "OpenResponse", "TransportConfig"]

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
    message = f"HTTP {response.status_code}: {redact(detail, secrets)}"
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


C = TypeVar("C", Iterator[bytes], AsyncIterator[bytes])


@dataclass(frozen=True, slots=True)
class OpenResponse(Generic[C]):
    """A success response whose body has started (see the module docstring).

    Attributes:
        response: The open response; the caller closes it.
        deadline: Its deadline, now in the idle phase.
        chunks: The body iterator, positioned after ``first``.
        first: The first body chunk; ``None`` when the body is empty.
    """

    response: httpx2.Response
    deadline: Deadline
    chunks: C
    first: bytes | None


class Exchange:
    """The retry and timeout state of one request."""

    __slots__ = ("config", "deadline", "request", "retries")

    def __init__(self, request: httpx2.Request, config: TransportConfig) -> None:
        self.request = request
        self.config = config
        self.deadline = Deadline(config.timeouts)
        self.retries = 0

    def prepare_attempt(self) -> None:
        """Set the request's httpx timeouts for the next attempt."""
        if self.retries:
            self.deadline.restart()
        timeouts = self.config.timeouts
        remaining = self.deadline.remaining()
        if remaining is not None and timeouts.connect is not None:
            timeouts = replace(timeouts, connect=max(min(timeouts.connect, remaining), 0.001))
        self.request.extensions["timeout"] = timeouts.to_httpx().as_dict()

    def transport_failed(self, exc: Exception) -> float:
        """Seconds to wait before retrying after ``exc``; raises the typed error if not."""
        import httpx2

        if isinstance(exc, httpx2.ConnectTimeout | httpx2.PoolTimeout):
            error: APIError = self.deadline.error_for("connect", self.request)
        elif isinstance(exc, httpx2.TimeoutException):
            error = self.deadline.error(self.request)
            if error.kind == "total":
                raise error from exc
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
        remaining = self.deadline.remaining()
        if remaining is not None and delay >= remaining:
            raise error from cause
        self.retries += 1
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


def _read_bounded(chunks: Any) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) >= MAX_ERROR_BODY:
            break
    return bytes(body)


async def _aread_bounded(chunks: Any) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) >= MAX_ERROR_BODY:
            break
    return bytes(body)


class HTTPTransport:
    """Sends requests on an ``httpx2.Client`` with streamcall's retries and deadlines."""

    def __init__(self, client: httpx2.Client) -> None:
        from streamcall.transport.timeouts import install_deadlines

        self.client = client
        install_deadlines(client)

    def send(
        self, request: httpx2.Request, config: TransportConfig
    ) -> OpenResponse[Iterator[bytes]]:
        """Send until a success response's body starts; return it open (the caller closes it).

        Waiting for the first body byte is part of the attempt: a first-byte timeout after the
        headers is retried as one before them.
        """
        import time

        import httpx2

        exchange = Exchange(request, config)
        deadline = exchange.deadline
        while True:
            exchange.prepare_attempt()
            token = deadline.activate()
            try:
                response = self.client.send(request, stream=True)
            except httpx2.TransportError as exc:
                delay = exchange.transport_failed(exc)
            else:
                if response.status_code >= 400:
                    try:
                        raw_body = _read_bounded(response.iter_bytes())
                    except httpx2.TransportError:
                        raw_body = b""
                    finally:
                        response.close()
                    delay = exchange.status_failed(response, raw_body)
                else:
                    # The headers do not end the first-byte wait: the first body byte does.
                    chunks = response.iter_bytes()
                    try:
                        first = next(chunks, None)
                    except httpx2.TimeoutException as exc:
                        response.close()
                        delay = exchange.transport_failed(exc)
                    except BaseException as exc:
                        response.close()
                        if isinstance(exc, httpx2.HTTPError):
                            raise map_read_error(exc, deadline, request, config.secrets) from exc
                        raise
                    else:
                        deadline.body_started()
                        return OpenResponse(response, deadline, chunks, first)
            finally:
                Deadline.deactivate(token)
            time.sleep(delay)

    def stream(
        self,
        request: httpx2.Request,
        config: TransportConfig,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, Any],
        client_ref: object | None = None,
    ) -> EventStream[Any]:
        """Send ``request`` and return its body as an :class:`EventStream`."""
        opened = self.send(request, config)
        return EventStream(
            opened.response,
            opened.deadline,
            frames,
            codec,
            secrets=config.secrets,
            client_ref=client_ref,
            chunks=opened.chunks,
            first=opened.first,
        )

    def read(self, request: httpx2.Request, config: TransportConfig) -> bytes:
        """Send ``request`` and return its whole body (for non-streamed calls)."""
        import httpx2

        opened = self.send(request, config)
        body = bytearray(opened.first or b"")
        token = opened.deadline.activate()
        try:
            for chunk in opened.chunks:
                body += chunk
        except httpx2.HTTPError as exc:
            raise map_read_error(exc, opened.deadline, request, config.secrets) from exc
        finally:
            Deadline.deactivate(token)
            opened.response.close()
        return bytes(body)


class AsyncHTTPTransport:
    """Sends requests on an ``httpx2.AsyncClient`` with streamcall's retries and deadlines."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        from streamcall.transport.timeouts import install_deadlines

        self.client = client
        install_deadlines(client)

    async def send(
        self, request: httpx2.Request, config: TransportConfig
    ) -> OpenResponse[AsyncIterator[bytes]]:
        """Send until a success response's body starts; return it open (the caller closes it).

        Waiting for the first body byte is part of the attempt, as in
        :meth:`HTTPTransport.send`.
        """
        import anyio
        import httpx2

        exchange = Exchange(request, config)
        deadline = exchange.deadline
        while True:
            exchange.prepare_attempt()
            token = deadline.activate()
            try:
                response = await self.client.send(request, stream=True)
            except httpx2.TransportError as exc:
                delay = exchange.transport_failed(exc)
            else:
                if response.status_code >= 400:
                    try:
                        raw_body = await _aread_bounded(response.aiter_bytes())
                    except httpx2.TransportError:
                        raw_body = b""
                    finally:
                        await response.aclose()
                    delay = exchange.status_failed(response, raw_body)
                else:
                    # The headers do not end the first-byte wait: the first body byte does.
                    chunks = response.aiter_bytes()
                    try:
                        first = await anext(chunks, None)
                    except httpx2.TimeoutException as exc:
                        await response.aclose()
                        delay = exchange.transport_failed(exc)
                    except BaseException as exc:
                        with anyio.CancelScope(shield=True):
                            await response.aclose()
                        if isinstance(exc, httpx2.HTTPError):
                            raise map_read_error(exc, deadline, request, config.secrets) from exc
                        raise
                    else:
                        deadline.body_started()
                        return OpenResponse(response, deadline, chunks, first)
            finally:
                Deadline.deactivate(token)
            await anyio.sleep(delay)

    async def stream(
        self,
        request: httpx2.Request,
        config: TransportConfig,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, Any],
        client_ref: object | None = None,
    ) -> EventStreamAsync[Any]:
        """Send ``request`` and return its body as an :class:`EventStreamAsync`."""
        opened = await self.send(request, config)
        return EventStreamAsync(
            opened.response,
            opened.deadline,
            frames,
            codec,
            secrets=config.secrets,
            client_ref=client_ref,
            chunks=opened.chunks,
            first=opened.first,
        )

    async def read(self, request: httpx2.Request, config: TransportConfig) -> bytes:
        """Send ``request`` and return its whole body (for non-streamed calls)."""
        import httpx2

        opened = await self.send(request, config)
        body = bytearray(opened.first or b"")
        token = opened.deadline.activate()
        try:
            async for chunk in opened.chunks:
                body += chunk
        except httpx2.HTTPError as exc:
            raise map_read_error(exc, opened.deadline, request, config.secrets) from exc
        finally:
            Deadline.deactivate(token)
            await opened.response.aclose()
        return bytes(body)
