"""The Cohere v2 client: ``ClientV2(...).chat_stream / chat`` and their async twins.

Mirrors the official ``cohere`` SDK's v2 surface (``cohere.ClientV2``) over streamcall's own
transport.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients._base import BaseClient
from streamcall.clients.cohere.codec import (
    ChatStreamCodec,
    build_chat_body,
    decode_chat_response,
)
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder

if TYPE_CHECKING:
    import httpx2

    from streamcall.clients.cohere.models import ChatResponse, StreamEvent
    from streamcall.transport.http import TransportConfig
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = ["ClientV2", "Cohere"]

CHAT_PATH = "/v2/chat"


class ClientV2(BaseClient):
    """A lean client for Cohere's v2 chat API.

    Args:
        api_key: The API key; defaults to ``COHERE_API_KEY`` (a missing key is reported when a
            call is made).
        base_url: The API root; defaults to ``COHERE_BASE_URL`` or ``https://api.cohere.com``.
        timeout_ms: Total time allowed for one call, in milliseconds.
        retries: Retries before the first response byte (an int or a ``RetryPolicy``).
        timeouts: Full control over connect / first-byte / idle / total limits.
        client, async_client: Your own ``httpx2.Client`` / ``httpx2.AsyncClient``.
    """

    provider: ClassVar[str] = "Cohere"
    env_api_key: ClassVar[str] = "COHERE_API_KEY"
    env_base_url: ClassVar[str] = "COHERE_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.cohere.com"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        *,
        timeouts: Timeouts | None = None,
        client: httpx2.Client | None = None,
        async_client: httpx2.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            timeouts=timeouts,
            timeout_ms=timeout_ms,
            retries=retries,
            client=client,
            async_client=async_client,
            default_headers=default_headers,
        )
        self.max_event_size = max_event_size

    def _prepare(
        self, model: str, messages: Any, stream: bool, params: dict[str, Any]
    ) -> tuple[httpx2.Request, TransportConfig]:
        timeout_ms = params.pop("timeout_ms", None)
        retries = params.pop("retries", None)
        headers = params.pop("http_headers", None)
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        request = self.build_request(
            "POST",
            CHAT_PATH,
            body,
            accept="text/event-stream" if stream else "application/json",
            headers=headers,
        )
        return request, self.call_config(stream, timeout_ms, retries)

    def chat_stream(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        tools: Sequence[Any] | None = None,
        documents: Sequence[Any] | None = None,
        citation_options: Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        safety_mode: str | None = None,
        max_tokens: int | None = None,
        stop_sequences: Sequence[str] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        frequency_penalty: float | None = None,
        presence_penalty: float | None = None,
        k: int | None = None,
        p: float | None = None,
        tool_choice: str | None = None,
        thinking: Mapping[str, Any] | None = None,
        strict_tools: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> EventStream[StreamEvent]:
        """Stream a chat: an ``EventStream`` of :class:`StreamEvent` (use it in ``with``)."""
        request, config = self._prepare(model, messages, True, _params(locals()))
        frames = SSEDecoder(self.max_event_size)
        return self.sync_transport().stream(
            request, config, frames, ChatStreamCodec(), client_ref=self
        )

    def chat_stream_async(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        tools: Sequence[Any] | None = None,
        documents: Sequence[Any] | None = None,
        citation_options: Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        safety_mode: str | None = None,
        max_tokens: int | None = None,
        stop_sequences: Sequence[str] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        frequency_penalty: float | None = None,
        presence_penalty: float | None = None,
        k: int | None = None,
        p: float | None = None,
        tool_choice: str | None = None,
        thinking: Mapping[str, Any] | None = None,
        strict_tools: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> AwaitableStream[EventStreamAsync[StreamEvent]]:
        """Stream a chat asynchronously: ``async with client.chat_stream_async(...) as
        stream`` (closed on leaving the block), or ``await`` it for the ``EventStreamAsync``
        (as the official SDK; the caller then closes it)."""
        return AwaitableStream(self._chat_stream_async(model, messages, _params(locals())))

    async def _chat_stream_async(
        self, model: str, messages: Sequence[Any] | Iterable[Any], params: dict[str, Any]
    ) -> EventStreamAsync[StreamEvent]:
        request, config = self._prepare(model, messages, True, params)
        frames = SSEDecoder(self.max_event_size)
        return await self.async_transport().stream(
            request, config, frames, ChatStreamCodec(), client_ref=self
        )

    def chat(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        tools: Sequence[Any] | None = None,
        documents: Sequence[Any] | None = None,
        citation_options: Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        safety_mode: str | None = None,
        max_tokens: int | None = None,
        stop_sequences: Sequence[str] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        frequency_penalty: float | None = None,
        presence_penalty: float | None = None,
        k: int | None = None,
        p: float | None = None,
        tool_choice: str | None = None,
        thinking: Mapping[str, Any] | None = None,
        strict_tools: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> ChatResponse:
        """A whole (non-streamed) chat response."""
        request, config = self._prepare(model, messages, False, _params(locals()))
        return decode_chat_response(self.sync_transport().read(request, config))

    async def chat_async(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        tools: Sequence[Any] | None = None,
        documents: Sequence[Any] | None = None,
        citation_options: Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        safety_mode: str | None = None,
        max_tokens: int | None = None,
        stop_sequences: Sequence[str] | None = None,
        temperature: float | None = None,
        seed: int | None = None,
        frequency_penalty: float | None = None,
        presence_penalty: float | None = None,
        k: int | None = None,
        p: float | None = None,
        tool_choice: str | None = None,
        thinking: Mapping[str, Any] | None = None,
        strict_tools: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> ChatResponse:
        """A whole (non-streamed) chat response, asynchronously."""
        request, config = self._prepare(model, messages, False, _params(locals()))
        return decode_chat_response(await self.async_transport().read(request, config))


Cohere = ClientV2
"""Alias: ``from streamcall.clients.cohere import Cohere``."""


def _params(call_locals: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in call_locals.items() if k not in ("self", "model", "messages")}
