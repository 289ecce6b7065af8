"""What every provider client shares: key and URL resolution, transports, lifecycle.

A provider client subclasses :class:`BaseClient`, sets the class attributes naming its
environment variables and default URL, and overrides :meth:`BaseClient.auth_headers`. The
httpx2 clients are created on first use, so importing and constructing a client costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar, Self

from streamcall.errors import ConfigurationError, MissingAPIKeyError
from streamcall.transport.retries import DEFAULT_RETRY_POLICY, RetryPolicy
from streamcall.transport.timeouts import DEFAULT_TIMEOUTS, Timeouts

if TYPE_CHECKING:
    import httpx2

    from streamcall.transport.http import AsyncHTTPTransport, HTTPTransport, TransportConfig

__all__ = ["BaseClient", "resolve_retries", "resolve_timeouts"]

USER_AGENT = "streamcall/0.1.0"


def resolve_timeouts(timeouts: Timeouts | None, timeout_ms: int | None) -> Timeouts:
    """Timeouts from an explicit object and/or an SDK-style total ``timeout_ms``."""
    base = DEFAULT_TIMEOUTS if timeouts is None else timeouts
    if timeout_ms is None:
        return base
    if timeout_ms <= 0:
        raise ConfigurationError(f"timeout_ms must be positive, got {timeout_ms}")
    return replace(base, total=timeout_ms / 1000)


def resolve_retries(retries: int | RetryPolicy | None, default: RetryPolicy) -> RetryPolicy:
    """A retry policy from a count, a policy, or ``None`` (the default)."""
    if retries is None:
        return default
    if isinstance(retries, RetryPolicy):
        return retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigurationError(f"retries must be a non-negative int or RetryPolicy: {retries!r}")
    return replace(default, max_retries=retries)


class BaseClient:
    """Base of the provider clients (``Mistral``, ...)."""

    provider: ClassVar[str]
    env_api_key: ClassVar[str]
    env_base_url: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        client: httpx2.Client | None = None,
        async_client: httpx2.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        if api_key is not None and not isinstance(api_key, str):
            raise ConfigurationError(f"api_key must be a string, got {type(api_key).__name__}")
        self._api_key = api_key
        url = base_url or os.environ.get(self.env_base_url) or self.default_base_url
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"{self.provider} base URL must be http(s): {url!r}")
        self.base_url = url.rstrip("/")
        self.timeouts = resolve_timeouts(timeouts, timeout_ms)
        self.retry_policy = resolve_retries(retries, DEFAULT_RETRY_POLICY)
        self.default_headers = dict(default_headers or {})
        self._client = client
        self._async_client = async_client
        self._owns_client = client is None
        self._owns_async_client = async_client is None
        self._transport: HTTPTransport | None = None
        self._async_transport: AsyncHTTPTransport | None = None

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
        """The transport settings for one call, with per-call overrides applied."""
        from streamcall.transport.http import TransportConfig

        secrets = (self._api_key or os.environ.get(self.env_api_key) or "",)
        return TransportConfig(
            timeouts=timeouts or self.timeouts,
            retry=resolve_retries(retries, self.retry_policy),
            secrets=tuple(s for s in secrets if s),
        )

    def call_config(
        self,
        stream: bool,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> TransportConfig:
        """The transport settings of one call. A whole (non-streamed) response arrives only
        when it is finished, so its first-byte limit is the total."""
        timeouts = resolve_timeouts(self.timeouts, timeout_ms)
        if not stream and timeouts.total is not None:
            timeouts = replace(timeouts, first_byte=timeouts.total)
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
        url = (base_url.rstrip("/") if base_url else self.base_url) + path
        return httpx2.Request(method, url, headers=all_headers, content=body)

    # -- transports ---------------------------------------------------------------------------

    def sync_transport(self) -> HTTPTransport:
        """The synchronous transport (its httpx2 client is created on first use)."""
        from streamcall.transport.http import HTTPTransport

        if self._client is None:
            import httpx2

            self._client = httpx2.Client(timeout=self.timeouts.to_httpx(), follow_redirects=True)
        if self._transport is None:
            self._transport = HTTPTransport(self._client)
        return self._transport

    def async_transport(self) -> AsyncHTTPTransport:
        """The asynchronous transport (its httpx2 client is created on first use)."""
        from streamcall.transport.http import AsyncHTTPTransport

        if self._async_client is None:
            import httpx2

            self._async_client = httpx2.AsyncClient(
                timeout=self.timeouts.to_httpx(), follow_redirects=True
            )
        if self._async_transport is None:
            self._async_transport = AsyncHTTPTransport(self._async_client)
        return self._async_transport

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the synchronous HTTP client, if this object created it."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None
            self._transport = None

    async def aclose(self) -> None:
        """Close the asynchronous HTTP client, if this object created it."""
        if self._async_client is not None and self._owns_async_client:
            await self._async_client.aclose()
            self._async_client = None
            self._async_transport = None

    def __del__(self) -> None:
        # Pooled keep-alive sockets of a forgotten client are closed, not leaked. An async
        # client cannot be closed here (no event loop); use `async with` or `aclose()`.
        if getattr(self, "_owns_client", False) and getattr(self, "_client", None) is not None:
            self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
        self.close()
