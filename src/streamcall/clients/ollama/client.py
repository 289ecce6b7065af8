"""The Ollama native client: ``Ollama(...).chat(model=..., messages=..., stream=True)``.

Mirrors the ``ollama`` SDK's ``Client.chat`` (``chat_async`` for async) on ``POST /api/chat``
(NDJSON). No key is needed locally; ``OLLAMA_API_KEY`` is sent as a bearer token if set.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients._base import BaseClient
from streamcall.clients._codec import build_chat_body
from streamcall.clients.ollama.codec import ChatStreamCodec, decode_chat_response
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts
from streamcall.wire.ndjson import NDJSONDecoder
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE

if TYPE_CHECKING:
    import httpx2

    from streamcall.clients.ollama.models import ChatResponse
    from streamcall.transport.http import TransportConfig
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = ["Ollama"]


def _host() -> str | None:
    host = os.environ.get("OLLAMA_HOST")
    if host and not host.startswith(("http://", "https://")):
        host = "http://" + host
    return host


class Ollama(BaseClient):
    """A lean client for Ollama's native chat API.

    Args:
        base_url: Defaults to ``OLLAMA_BASE_URL``, then ``OLLAMA_HOST``, then
            ``http://localhost:11434``.
        api_key: Optional (Ollama's cloud); defaults to ``OLLAMA_API_KEY``.
    """

    provider: ClassVar[str] = "Ollama"
    env_api_key: ClassVar[str] = "OLLAMA_API_KEY"
    env_base_url: ClassVar[str] = "OLLAMA_BASE_URL"
    default_base_url: ClassVar[str] = "http://localhost:11434"

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        client: httpx2.Client | None = None,
        async_client: httpx2.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_line_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        super().__init__(
            api_key,
            base_url or os.environ.get(self.env_base_url) or _host(),
            timeouts=timeouts,
            timeout_ms=timeout_ms,
            retries=retries,
            client=client,
            async_client=async_client,
            default_headers=default_headers,
        )
        self.max_line_size = max_line_size

    def api_key(self) -> str:
        """The optional key (``""`` when there is none: a local server needs none)."""
        return self._api_key or os.environ.get(self.env_api_key) or ""

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """A bearer token, when there is a key."""
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _prepare(
        self, params: dict[str, Any], stream: bool
    ) -> tuple[httpx2.Request, TransportConfig]:
        model, messages = params.pop("model"), params.pop("messages")
        timeout_ms, retries = params.pop("timeout_ms", None), params.pop("retries", None)
        headers = params.pop("http_headers", None)
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        request = self.build_request(
            "POST",
            "/api/chat",
            body,
            accept="application/x-ndjson" if stream else "application/json",
            headers=headers,
        )
        return request, self.call_config(stream, timeout_ms, retries)

    def chat(
        self,
        *,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        stream: bool = False,
        tools: Sequence[Any] | None = None,
        think: bool | str | None = None,
        format: str | Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: str | float | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """A chat: an ``EventStream[ChatResponse]`` with ``stream=True`` (use it in ``with``),
        else one ``ChatResponse``."""
        params = {k: v for k, v in locals().items() if k not in ("self", "stream")}
        request, config = self._prepare(params, stream)
        if stream:
            frames, codec = NDJSONDecoder(self.max_line_size), ChatStreamCodec()
            events: EventStream[ChatResponse] = self.sync_transport().stream(
                request, config, frames, codec, client_ref=self
            )
            return events
        return decode_chat_response(self.sync_transport().read(request, config))

    def chat_async(
        self,
        *,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        stream: bool = False,
        tools: Sequence[Any] | None = None,
        think: bool | str | None = None,
        format: str | Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: str | float | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """:meth:`chat`, async. With ``stream=True`` an :class:`AwaitableStream`: ``async with
        client.chat_async(..., stream=True) as stream`` (closed on leaving the block), or
        ``await`` it for the ``EventStreamAsync`` (the caller then closes it). Otherwise an
        awaitable of the ``ChatResponse``."""
        params = {k: v for k, v in locals().items() if k not in ("self", "stream")}
        if stream:
            return AwaitableStream(self._chat_async(params, stream))
        return self._chat_async(params, stream)

    async def _chat_async(self, params: dict[str, Any], stream: bool) -> Any:
        request, config = self._prepare(params, stream)
        if stream:
            frames, codec = NDJSONDecoder(self.max_line_size), ChatStreamCodec()
            events: EventStreamAsync[ChatResponse] = await self.async_transport().stream(
                request, config, frames, codec, client_ref=self
            )
            return events
        return decode_chat_response(await self.async_transport().read(request, config))
