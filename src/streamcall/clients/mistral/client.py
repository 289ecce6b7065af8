"""The Mistral client: ``Mistral(...).chat.stream / stream_async / complete / complete_async``.

Mirrors the official ``mistralai`` SDK's surface over streamcall's own transport.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients._base import BaseClient
from streamcall.clients.mistral.codec import (
    ChatStreamCodec,
    build_chat_body,
    decode_chat_response,
)
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder

if TYPE_CHECKING:
    import httpx2

    from streamcall.clients.mistral.models import ChatCompletionResponse, CompletionEvent
    from streamcall.transport.http import TransportConfig
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = ["Chat", "Mistral"]

CHAT_PATH = "/v1/chat/completions"


class Mistral(BaseClient):
    """A lean client for Mistral's chat API.

    Args:
        api_key: The API key; defaults to ``MISTRAL_API_KEY``. A missing key is reported
            (``MissingAPIKeyError``) when a call is made, not here.
        server_url: The API root; defaults to ``MISTRAL_BASE_URL`` or
            ``https://api.mistral.ai``.
        timeout_ms: Total time allowed for one call, in milliseconds (``Timeouts.total``).
        retries: Retries before the first response byte (an int, or a ``RetryPolicy``);
            default 2.
        timeouts: Full control over connect / first-byte / idle / total limits.
        client, async_client: Your own ``httpx2.Client`` / ``httpx2.AsyncClient``.
        max_event_size: The largest SSE event accepted, in bytes (default 16 MiB).
    """

    provider: ClassVar[str] = "Mistral"
    env_api_key: ClassVar[str] = "MISTRAL_API_KEY"
    env_base_url: ClassVar[str] = "MISTRAL_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.mistral.ai"

    chat: Chat

    def __init__(
        self,
        api_key: str | None = None,
        server_url: str | None = None,
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
            server_url,
            timeouts=timeouts,
            timeout_ms=timeout_ms,
            retries=retries,
            client=client,
            async_client=async_client,
            default_headers=default_headers,
        )
        self.max_event_size = max_event_size
        self.chat = Chat(self)


class Chat:
    """Chat completions: streamed (``stream``, ``stream_async``) and whole (``complete``...)."""

    def __init__(self, client: Mistral) -> None:
        self._client = client

    def _prepare(
        self,
        *,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        stream: bool,
        params: dict[str, Any],
        http_headers: Mapping[str, str] | None,
        server_url: str | None,
        timeout_ms: int | None,
        retries: int | RetryPolicy | None,
    ) -> tuple[httpx2.Request, TransportConfig]:
        client = self._client
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        request = client.build_request(
            "POST",
            CHAT_PATH,
            body,
            accept="text/event-stream" if stream else "application/json",
            headers=http_headers,
            base_url=server_url,
        )
        return request, client.call_config(stream, timeout_ms, retries)

    def _stream_parts(self) -> tuple[SSEDecoder, ChatStreamCodec]:
        return SSEDecoder(self._client.max_event_size), ChatStreamCodec()

    def stream(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stream: bool = True,
        stop: str | list[str] | None = None,
        random_seed: int | None = None,
        response_format: Any = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        n: int | None = None,
        prediction: Any = None,
        parallel_tool_calls: bool | None = None,
        prompt_mode: str | None = None,
        reasoning_effort: str | None = None,
        safe_prompt: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> EventStream[CompletionEvent]:
        """Stream a chat completion: an ``EventStream`` of :class:`CompletionEvent`.

        Use it as a context manager (or iterate it to the end) so that the connection is
        released; ``break`` inside a ``with`` block is fine.
        """
        _require_streaming(stream)
        request, config = self._prepare(
            model=model,
            messages=messages,
            stream=True,
            params=_params(locals()),
            http_headers=http_headers,
            server_url=server_url,
            timeout_ms=timeout_ms,
            retries=retries,
        )
        frames, codec = self._stream_parts()
        transport = self._client.sync_transport()
        return transport.stream(request, config, frames, codec, client_ref=self._client)

    def stream_async(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stream: bool = True,
        stop: str | list[str] | None = None,
        random_seed: int | None = None,
        response_format: Any = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        n: int | None = None,
        prediction: Any = None,
        parallel_tool_calls: bool | None = None,
        prompt_mode: str | None = None,
        reasoning_effort: str | None = None,
        safe_prompt: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> AwaitableStream[EventStreamAsync[CompletionEvent]]:
        """Stream a chat completion asynchronously: an ``EventStreamAsync`` of
        :class:`CompletionEvent`, opened by ``async with client.chat.stream_async(...) as
        stream`` (closed on leaving the block) or by ``await`` (as the official SDK; the caller
        then closes it, for example with ``async with``)."""
        _require_streaming(stream)
        params = _params(locals())
        return AwaitableStream(
            self._open_async(model, messages, params, http_headers, server_url, timeout_ms, retries)
        )

    async def _open_async(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        params: dict[str, Any],
        http_headers: Mapping[str, str] | None,
        server_url: str | None,
        timeout_ms: int | None,
        retries: int | RetryPolicy | None,
    ) -> EventStreamAsync[CompletionEvent]:
        request, config = self._prepare(
            model=model,
            messages=messages,
            stream=True,
            params=params,
            http_headers=http_headers,
            server_url=server_url,
            timeout_ms=timeout_ms,
            retries=retries,
        )
        frames, codec = self._stream_parts()
        transport = self._client.async_transport()
        return await transport.stream(request, config, frames, codec, client_ref=self._client)

    def complete(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stop: str | list[str] | None = None,
        random_seed: int | None = None,
        response_format: Any = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        n: int | None = None,
        prediction: Any = None,
        parallel_tool_calls: bool | None = None,
        prompt_mode: str | None = None,
        reasoning_effort: str | None = None,
        safe_prompt: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> ChatCompletionResponse:
        """A whole (non-streamed) chat completion."""
        request, config = self._prepare(
            model=model,
            messages=messages,
            stream=False,
            params=_params(locals()),
            http_headers=http_headers,
            server_url=server_url,
            timeout_ms=timeout_ms,
            retries=retries,
        )
        return decode_chat_response(self._client.sync_transport().read(request, config))

    async def complete_async(
        self,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        stop: str | list[str] | None = None,
        random_seed: int | None = None,
        response_format: Any = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        n: int | None = None,
        prediction: Any = None,
        parallel_tool_calls: bool | None = None,
        prompt_mode: str | None = None,
        reasoning_effort: str | None = None,
        safe_prompt: bool | None = None,
        metadata: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> ChatCompletionResponse:
        """A whole (non-streamed) chat completion, asynchronously."""
        request, config = self._prepare(
            model=model,
            messages=messages,
            stream=False,
            params=_params(locals()),
            http_headers=http_headers,
            server_url=server_url,
            timeout_ms=timeout_ms,
            retries=retries,
        )
        raw = await self._client.async_transport().read(request, config)
        return decode_chat_response(raw)


_NOT_BODY = frozenset(
    {"self", "model", "messages", "stream", "http_headers", "server_url", "timeout_ms", "retries"}
)


def _params(call_locals: Mapping[str, Any]) -> dict[str, Any]:
    """The body parameters among a method's arguments."""
    return {k: v for k, v in call_locals.items() if k not in _NOT_BODY}


def _require_streaming(stream: bool) -> None:
    if stream is not True:
        raise ValueError("chat.stream() always streams; use chat.complete() for stream=False")
