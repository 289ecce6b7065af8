"""What every provider client shares: key and URL resolution, transports, lifecycle.

A provider client subclasses :class:`BaseClient`, sets the class attributes naming its
environment variables' prefix and default URL, and overrides :meth:`BaseClient.auth_headers`. The
httpx2 clients are created on first use, so importing and constructing a client costs nothing.

A call is prepared once, as a :class:`StreamCall` or a :class:`WholeCall`, by a function of the
provider's; :meth:`BaseClient.open_stream`, :meth:`BaseClient.read_whole` and their ``_async``
forms send it on the synchronous or the asynchronous transport.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    Unpack,
    cast,
)

from streamcall._lifecycle import AsyncCloseable, Closeable
from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients._params import CallLimits, ClientOptions, check_keywords, keys_of
from streamcall.errors import (
    APIError,
    ConfigurationError,
    MissingAPIKeyError,
    ResponseTooLargeError,
)
from streamcall.transport.retries import DEFAULT_RETRY_POLICY, RetryPolicy
from streamcall.transport.timeouts import DEFAULT_TIMEOUTS, Timeouts
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder

if TYPE_CHECKING:
    import ssl

    import httpx2

    from streamcall.transport.http import AsyncHTTPTransport, HTTPTransport, TransportConfig
    from streamcall.transport.session import FrameDecoder, StreamCodec
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = [
    "BaseClient",
    "Prepared",
    "StreamCall",
    "WholeCall",
    "resolve_retries",
    "resolve_timeouts",
    "shared_ssl_context",
    "warm_up",
]

E = TypeVar("E")
R = TypeVar("R")
T = TypeVar("T")
P = ParamSpec("P")

USER_AGENT = "streamcall/0.1.0"

DEFAULT_MAX_CONNECTIONS = 1000
"""Connections a client's pool opens at most, per side (sync, async): the official OpenAI SDK's
figure, so that an async service's concurrent streams each get one (httpx2's own default, 100,
made the 101st stream wait)."""
MAX_KEEPALIVE_CONNECTIONS = 100
"""Idle connections a pool keeps open for reuse (at most ``max_connections``)."""
DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024
"""The largest whole (non-streamed) response body read, in bytes (64 MiB)."""

Prepared: TypeAlias = "tuple[httpx2.Request, TransportConfig]"
"""A call's request and its transport settings (:meth:`BaseClient.call_request`)."""


def _checked_url(url: str, provider: str) -> str:
    """``url`` if it is a usable http(s) URL, else a ``ConfigurationError`` now (httpx2 would
    raise its own ``InvalidURL`` only when the first request is built)."""
    from urllib.parse import urlsplit

    problem = None
    if not url.startswith(("http://", "https://")):
        problem = "must be http(s)"
    elif any(c.isspace() or ord(c) < 32 or c in '<>"^`{|}' for c in url):
        problem = "has characters a URL cannot have"
    else:
        try:
            parts = urlsplit(url)
            _ = parts.port
        except ValueError as exc:
            problem = str(exc)
        else:
            if not parts.hostname:
                problem = "has no host"
    if problem is not None:
        raise ConfigurationError(f"{provider} base URL {problem}: {url!r}")
    return url


def resolve_timeouts(timeouts: Timeouts | None, timeout_ms: int | None) -> Timeouts:
    """Timeouts from an explicit object and/or an SDK-style total ``timeout_ms``."""
    base = DEFAULT_TIMEOUTS if timeouts is None else timeouts
    if timeout_ms is None:
        return base
    if timeout_ms <= 0:
        raise ConfigurationError(f"timeout_ms must be positive, got {timeout_ms}")
    return replace(base, total=timeout_ms / 1000)


def _limit(name: str, value: object, none_ok: bool) -> Any:
    """``value`` if it is a positive int (or ``None`` where ``none_ok``), else a
    ``ConfigurationError``."""
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        what = "a positive int or None" if none_ok else "a positive int"
        raise ConfigurationError(f"{name} must be {what}, got {value!r}")
    return value


def resolve_retries(retries: int | RetryPolicy | None, default: RetryPolicy) -> RetryPolicy:
    """A retry policy from a count, a policy, or ``None`` (the default)."""
    if retries is None:
        return default
    if isinstance(retries, RetryPolicy):
        return retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigurationError(f"retries must be a non-negative int or RetryPolicy: {retries!r}")
    return replace(default, max_retries=retries)


# Plain classes, not dataclasses: a slotted dataclass costs ~1 ms of import time each.
class StreamCall(Generic[E]):
    """A streamed call ready to send: the request, its settings, how its body decodes."""

    __slots__ = ("codec", "config", "frames", "request")

    def __init__(
        self,
        request: httpx2.Request,
        config: TransportConfig,
        frames: FrameDecoder[Any],
        codec: StreamCodec[Any, E],
    ) -> None:
        self.request = request
        self.config = config
        self.frames = frames
        self.codec = codec


class WholeCall(Generic[R]):
    """A whole (non-streamed) call ready to send, and how its body decodes."""

    __slots__ = ("config", "decode", "request")

    def __init__(
        self, request: httpx2.Request, config: TransportConfig, decode: Callable[[bytes], R]
    ) -> None:
        self.request = request
        self.config = config
        self.decode = decode


class _WholeBody:
    """The frames and the codec of a whole (non-streamed) body: one frame, the body, decoded
    when it ends (a whole call is sent as a stream of one event). A body larger than ``limit``
    bytes raises :class:`~streamcall.errors.ResponseTooLargeError` as soon as it passes it."""

    done = False
    error: APIError | None = None
    finished = True
    interrupted: ClassVar[str] = ""
    unmarked_end: ClassVar[bool] = False  # a broken body is interrupted, not ended
    whole_body: ClassVar[bool] = True  # frames only at the end (the transport need not watch)

    def __init__(self, decode: Callable[[bytes], Any], limit: int) -> None:
        self._decode = decode
        self._limit = limit
        self._body = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        if len(self._body) + len(chunk) > self._limit:
            raise ResponseTooLargeError(
                f"The response body is larger than the {self._limit}-byte bound "
                "(max_body_size); the read stopped there",
                limit=self._limit,
            )
        self._body += chunk
        return []

    def end(self) -> list[bytes]:
        return [bytes(self._body)]

    def decode_all(self, frames: list[bytes]) -> list[Any]:
        return [self._decode(frame) for frame in frames]


def _streamed(prepare: Callable[P, WholeCall[R]], limit: int) -> Callable[P, StreamCall[R]]:
    """``prepare`` making its whole call a stream of one event, the decoded body (at most
    ``limit`` bytes)."""

    def streamed(*args: P.args, **kwargs: P.kwargs) -> StreamCall[R]:
        call = prepare(*args, **kwargs)
        body = _WholeBody(call.decode, limit)
        return StreamCall(call.request, call.config, body, body)

    return streamed


class Prepares(Protocol):
    """What prepares the calls of one ``create``-style method, streamed and whole, and the
    keywords that method takes."""

    @property
    def _keywords(self) -> frozenset[str]: ...

    @property
    def _stream(self) -> Callable[..., StreamCall[Any]]: ...

    @property
    def _whole(self) -> Callable[..., WholeCall[Any]]: ...


_MAKING = threading.Lock()  # held while a transport is made (rarely: once per client and side)

_SSL_LOCK = threading.Lock()
_SSL_CONTEXT: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """The SSL context of every httpx2 client streamcall creates, built once per process.

    httpx2 builds one per client (the system's CA store, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``: tens of ms, the first well over 100 ms); this is the same context
    (``httpx2.create_ssl_context()``, the environment read when it is first built), shared by
    every client and side: an ``SSLContext`` is safe to share, and streamcall's clients all ask
    it for HTTP/1.1. A client given its own httpx2 client keeps that client's context."""
    global _SSL_CONTEXT
    if _SSL_CONTEXT is None:
        with _SSL_LOCK:
            if _SSL_CONTEXT is None:
                import httpx2

                _SSL_CONTEXT = httpx2.create_ssl_context()
    return _SSL_CONTEXT


def warm_up() -> None:
    """Pay now what a process's first request would: import httpx2 and the transport, and
    build the shared SSL context (:func:`shared_ssl_context`); and what its first cost would:
    load the price database (genai-prices, ~0.1-0.2 s). For services, at start-up: the first
    request then costs about what any later one does, less its connection. Idempotent; cheap
    after the first call. Exported as ``streamcall.warm_up``."""
    import streamcall._secrets  # noqa: F401
    from streamcall.core.base import _prices_db
    from streamcall.transport import http, pages, stream  # noqa: F401  (httpx2, httpcore2, h11)

    shared_ssl_context()
    _prices_db.database_version()


class _Side(Generic[T]):
    """One side (sync or async) of a :class:`BaseClient`: its httpx2 client, whether the client
    was created here, and its transport (the class ``kind`` names in
    :mod:`streamcall.transport.http`), made on first use."""

    __slots__ = ("_transport", "client", "kind", "owned")

    def __init__(self, client: Any, kind: str) -> None:
        self.client, self.kind, self.owned = client, kind, client is None
        self._transport: T | None = None

    def transport(self, options: Callable[[], dict[str, Any]]) -> T:
        """The transport; with a new httpx2 client made with ``options()`` if none was given.
        Threads that ask at once share one (each made its own pool, and all but one leaked)."""
        if self._transport is None:
            with _MAKING:
                if self._transport is None:
                    from streamcall.transport import http

                    transport = getattr(http, self.kind)(self.client, options())
                    self.client, self._transport = transport.client, transport
        return self._transport

    def drop(self) -> Any:
        """Forget the httpx2 client and its transport; the client if it was created here (for
        the caller to close), else ``None`` (and nothing is forgotten)."""
        if not self.owned:
            return None
        client, self.client, self._transport = self.client, None, None
        return client


class BaseClient(Closeable, AsyncCloseable):
    """Base of the provider clients (``Mistral``, ...). ``with`` closes its sync HTTP client,
    ``async with`` both.

    Its keyword-only options (:class:`~streamcall.clients._params.ClientOptions`) are every
    client's: ``timeout_ms``, ``retries``, ``timeouts``, ``client``, ``async_client``,
    ``default_headers``, ``max_connections``, ``max_body_size`` and ``max_event_size``.
    """

    provider: ClassVar[str]
    env_prefix: ClassVar[str]
    """The prefix of the environment variables ``{env_prefix}_API_KEY`` and ``..._BASE_URL``
    (by default the provider's name in capitals)."""
    env_api_key: ClassVar[str]
    env_base_url: ClassVar[str]
    default_base_url: ClassVar[str]
    option_keys: ClassVar[frozenset[str]] = keys_of(ClientOptions)
    """The keyword options the constructor forwards here (others are a ``TypeError``)."""
    headers_option: ClassVar[str] = "http_headers"
    """The name of the per-call headers option (``extra_headers`` in the OpenAI-style SDKs)."""
    call_option_keys: ClassVar[frozenset[str]]
    """The per-call options :meth:`call_request` reads (the others go in the body)."""
    stream_accept: ClassVar[str] = "text/event-stream"
    """The ``Accept`` header of a streamed call."""
    provider_headers: ClassVar[Mapping[str, str]] = {}
    """Headers the provider requires on every request (``default_headers`` may override them)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.call_option_keys = keys_of(CallLimits) | {cls.headers_option, "server_url"}
        if "provider" in vars(cls):
            cls.env_prefix = vars(cls).get("env_prefix", cls.provider.upper())
            cls.env_api_key = f"{cls.env_prefix}_API_KEY"
            cls.env_base_url = f"{cls.env_prefix}_BASE_URL"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        check_keywords(f"{type(self).__name__}.__init__", options, self.option_keys)
        if api_key is not None and not isinstance(api_key, str):
            raise ConfigurationError(f"api_key must be a string, got {type(api_key).__name__}")
        self._api_key = api_key
        url = base_url or os.environ.get(self.env_base_url) or self.default_base_url
        self.base_url = _checked_url(url, self.provider).rstrip("/")
        self.timeouts = resolve_timeouts(options.get("timeouts"), options.get("timeout_ms"))
        self.retry_policy = resolve_retries(options.get("retries"), DEFAULT_RETRY_POLICY)
        self.default_headers = {**self.provider_headers, **(options.get("default_headers") or {})}
        self.max_event_size = options.get("max_event_size", DEFAULT_MAX_EVENT_SIZE)
        self.max_connections: int | None = _limit(
            "max_connections", options.get("max_connections", DEFAULT_MAX_CONNECTIONS), True
        )
        self.max_body_size: int = _limit(
            "max_body_size", options.get("max_body_size", DEFAULT_MAX_BODY_SIZE), False
        )
        self._sync: _Side[HTTPTransport] = _Side(options.get("client"), "HTTPTransport")
        self._async: _Side[AsyncHTTPTransport] = _Side(
            options.get("async_client"), "AsyncHTTPTransport"
        )

    def __repr__(self) -> str:
        key = "***" if self._api_key or os.environ.get(self.env_api_key) else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key!r})"

    # -- credentials --------------------------------------------------------------------------

    def api_key(self) -> str:
        """The API key, from the constructor or the environment; raises if there is none."""
        key = self._api_key or os.environ.get(self.env_api_key)
        if not key:
            raise MissingAPIKeyError(
                f"No {self.provider} API key: pass api_key=... to {type(self).__name__}() "
                f"or set the {self.env_api_key} environment variable"
            )
        return key

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Headers that authenticate a request (bearer token unless overridden)."""
        return {"Authorization": f"Bearer {api_key}"}

    def transport_config(
        self, timeouts: Timeouts | None = None, retries: int | RetryPolicy | None = None
    ) -> TransportConfig:
        """The transport settings for one call, with per-call overrides applied. Its secrets
        (the key, and the credential in a ``default_headers`` credential header) are known while
        this client lives, so that errors and log lines never show them
        (:mod:`streamcall._secrets`)."""
        from streamcall._secrets import CREDENTIAL_HEADERS, register
        from streamcall.transport.http import TransportConfig

        found = [self._api_key or os.environ.get(self.env_api_key) or ""]
        for name, value in self.default_headers.items():
            if name.lower() in CREDENTIAL_HEADERS and isinstance(value, str):
                found.append(value.rsplit(" ", 1)[-1])  # "Bearer KEY": the key
        secrets = tuple(dict.fromkeys(s for s in found if s))
        register(self, secrets)
        return TransportConfig(
            timeouts=timeouts or self.timeouts,
            retry=resolve_retries(retries, self.retry_policy),
            secrets=secrets,
        )

    def call_config(
        self,
        stream: bool,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> TransportConfig:
        """The transport settings of one call. A whole (non-streamed) response arrives only
        when it is finished: its first-byte limit is ``Timeouts.whole``, and it has no
        progress limit (its body frames only at its end)."""
        timeouts = resolve_timeouts(self.timeouts, timeout_ms)
        if not stream:
            timeouts = replace(timeouts, first_byte=timeouts.whole, progress=None)
        return self.transport_config(timeouts, retries)

    def build_request(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        accept: str = "application/json",
        headers: Mapping[str, str] | None = None,
        base_url: str | None = None,
    ) -> httpx2.Request:
        """An ``httpx2.Request`` to ``base_url + path`` with auth and JSON headers."""
        import httpx2

        all_headers = {
            "Content-Type": "application/json",
            "Accept": accept,
            "User-Agent": USER_AGENT,
            **self.default_headers,
            **self.auth_headers(self.api_key()),
            **(headers or {}),
        }
        from streamcall.transport.http import masked

        url = (base_url.rstrip("/") if base_url else self.base_url) + path
        return masked(httpx2.Request(method, url, headers=all_headers, content=body))

    def body_of(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """A call's keyword arguments less its per-call options: what goes in the body."""
        return {k: v for k, v in args.items() if k not in self.call_option_keys}

    def call_request(
        self, path: str, body: bytes, stream: bool, options: Mapping[str, Any]
    ) -> Prepared:
        """The ``POST`` request of one call and its transport settings. ``options`` holds the
        call's options: ``timeout_ms``, ``retries``, the headers (:attr:`headers_option`) and
        Mistral's ``server_url``."""
        request = self.build_request(
            "POST",
            path,
            body,
            accept=self.stream_accept if stream else "application/json",
            headers=options.get(self.headers_option),
            base_url=options.get("server_url"),
        )
        return request, self.call_config(stream, options.get("timeout_ms"), options.get("retries"))

    def frames(self) -> FrameDecoder[Any]:
        """The decoder of a streamed body's frames: SSE events unless overridden."""
        return SSEDecoder(self.max_event_size)

    def stream_call(self, prepared: Prepared, codec: StreamCodec[Any, E]) -> StreamCall[E]:
        """The streamed call of ``prepared``, its frames (:meth:`frames`) decoded by ``codec``."""
        return StreamCall(*prepared, self.frames(), codec)

    # -- transports ---------------------------------------------------------------------------

    def _httpx_options(self) -> dict[str, Any]:
        """The settings of an httpx2 client this object creates: at most ``max_connections``
        connections (``None``: no limit), of which up to 100 are kept open when idle."""
        import httpx2

        most = self.max_connections
        keep = MAX_KEEPALIVE_CONNECTIONS if most is None else min(most, MAX_KEEPALIVE_CONNECTIONS)
        return {
            "timeout": self.timeouts.to_httpx(),
            "follow_redirects": True,
            "limits": httpx2.Limits(max_connections=most, max_keepalive_connections=keep),
            "verify": shared_ssl_context(),  # built once per process, not once per client
        }

    def sync_transport(self) -> HTTPTransport:
        """The synchronous transport (its httpx2 client is created on first use)."""
        return self._sync.transport(self._httpx_options)

    def async_transport(self) -> AsyncHTTPTransport:
        """The asynchronous transport (its httpx2 client is created on first use)."""
        return self._async.transport(self._httpx_options)

    # -- sending a prepared call --------------------------------------------------------------
    # ``prepare(*args, **kwargs)`` builds the call; the async forms run it when awaited (or
    # entered), so nothing is built or sent before.

    def open_stream(
        self, prepare: Callable[P, StreamCall[E]], /, *args: P.args, **kwargs: P.kwargs
    ) -> EventStream[E]:
        """Send a streamed call; its open ``EventStream`` (the caller closes it)."""
        return self.sync_transport().stream(prepare(*args, **kwargs), self)

    def open_stream_async(
        self, prepare: Callable[P, StreamCall[E]], /, *args: P.args, **kwargs: P.kwargs
    ) -> AwaitableStream[EventStreamAsync[E]]:
        """:meth:`open_stream`, async: ``await`` it or ``async with`` it."""
        return AwaitableStream(self._opened_async(prepare, *args, **kwargs))

    async def _opened_async(
        self, prepare: Callable[P, StreamCall[E]], /, *args: P.args, **kwargs: P.kwargs
    ) -> EventStreamAsync[E]:
        return await self.async_transport().stream(prepare(*args, **kwargs), self)

    def read_whole(
        self, prepare: Callable[P, WholeCall[R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Send a whole call; its decoded response."""
        with self.open_stream(_streamed(prepare, self.max_body_size), *args, **kwargs) as body:
            return next(body)

    async def read_whole_async(
        self, prepare: Callable[P, WholeCall[R]], /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """:meth:`read_whole`, async."""
        whole = _streamed(prepare, self.max_body_size)
        async with await self._opened_async(whole, *args, **kwargs) as body:
            return await anext(body)

    def send(self, method: Callable[..., R], stream: bool, /, *args: Any) -> R:
        """What a ``create(..., stream=...)``-style method returns, ``method`` being that bound
        method (of the object that prepares its calls, :class:`Prepares`): its keyword
        arguments (the last of ``args``) are checked against ``_keywords`` for it, then its
        arguments go to ``_stream`` or ``_whole`` and that call is sent, by the async form when
        ``method`` is one (``*_async``)."""
        name = method.__qualname__
        prepares: Prepares = method.__self__  # type: ignore[attr-defined]
        check_keywords(name, args[-1], prepares._keywords)
        asynchronous = name.endswith("_async")
        if stream:
            opener = self.open_stream_async if asynchronous else self.open_stream
            return cast("R", opener(prepares._stream, *args))
        reader = self.read_whole_async if asynchronous else self.read_whole
        return cast("R", reader(prepares._whole, *args))

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the synchronous HTTP client, if this object created it."""
        if (client := self._sync.drop()) is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the asynchronous HTTP client, if this object created it."""
        if (client := self._async.drop()) is not None:
            await client.aclose()

    def __del__(self) -> None:
        # Pooled keep-alive sockets of a forgotten client are closed, not leaked. An async
        # client cannot be closed here (no event loop); use `async with` or `aclose()`.
        sync = getattr(self, "_sync", None)
        if sync is not None and sync.owned and sync.client is not None:
            self.close()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
        self.close()
