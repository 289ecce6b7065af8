"""The Anthropic Messages client: ``Anthropic(...).messages.create(..., stream=True)``.

Mirrors the official ``anthropic`` SDK's ``messages.create`` (``create_async`` for async) over
streamcall's own transport: ``x-api-key`` and ``anthropic-version`` headers, ``POST
/v1/messages``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients._base import BaseClient
from streamcall.clients._codec import check_messages, encode_json, without_none
from streamcall.clients.anthropic.codec import MessagesStreamCodec, decode_message
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder

if TYPE_CHECKING:
    import httpx2

    from streamcall.clients.anthropic.models import Message, MessageStreamEvent
    from streamcall.transport.http import TransportConfig
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = ["Anthropic"]

MESSAGES_PATH = "/v1/messages"
API_VERSION = "2023-06-01"


class Anthropic(BaseClient):
    """A lean client for Anthropic's Messages API.

    Args:
        api_key: Defaults to ``ANTHROPIC_API_KEY`` (a missing key is reported at call time).
        base_url: Defaults to ``ANTHROPIC_BASE_URL`` or ``https://api.anthropic.com``.
        timeout_ms, retries, timeouts, client, async_client, default_headers, max_event_size:
            As for every streamcall client.
    """

    provider: ClassVar[str] = "Anthropic"
    env_api_key: ClassVar[str] = "ANTHROPIC_API_KEY"
    env_base_url: ClassVar[str] = "ANTHROPIC_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.anthropic.com"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
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
            default_headers={"anthropic-version": API_VERSION, **(default_headers or {})},
        )
        self.max_event_size = max_event_size
        self.messages = Messages(self)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Anthropic authenticates with ``x-api-key``."""
        return {"x-api-key": api_key}

    def _prepare(
        self, params: dict[str, Any], stream: bool
    ) -> tuple[httpx2.Request, TransportConfig]:
        model = params.pop("model")
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        if not isinstance(params.get("max_tokens"), int) or params["max_tokens"] <= 0:
            raise ValueError("max_tokens must be a positive int (Anthropic requires it)")
        timeout_ms = params.pop("timeout_ms", None)
        retries = params.pop("retries", None)
        headers = params.pop("extra_headers", None)
        extra = params.pop("extra_body", None) or {}
        messages = check_messages(params.pop("messages"))
        body = {"model": model, "messages": messages, "stream": stream, **without_none(params)}
        request = self.build_request(
            "POST",
            MESSAGES_PATH,
            encode_json({**body, **extra}),
            accept="text/event-stream" if stream else "application/json",
            headers=headers,
        )
        return request, self.call_config(stream, timeout_ms, retries)


def _params(call_locals: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in call_locals.items() if k not in ("self", "stream")}


class Messages:
    """``client.messages``: ``create`` (sync) and ``create_async``."""

    def __init__(self, client: Anthropic) -> None:
        self._client = client

    def create(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Sequence[Any] | Iterable[Any],
        stream: bool = False,
        system: str | list[Any] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stop_sequences: list[str] | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        service_tier: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """A message: an ``EventStream[MessageStreamEvent]`` with ``stream=True`` (use it in
        ``with``), else a ``Message``."""
        params = _params(locals())
        client = self._client
        request, config = client._prepare(params, stream)
        transport = client.sync_transport()
        if stream:
            frames, codec = SSEDecoder(client.max_event_size), MessagesStreamCodec()
            events: EventStream[MessageStreamEvent] = transport.stream(
                request, config, frames, codec, client_ref=client
            )
            return events
        message: Message = decode_message(transport.read(request, config))
        return message

    def create_async(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: Sequence[Any] | Iterable[Any],
        stream: bool = False,
        system: str | list[Any] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stop_sequences: list[str] | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Mapping[str, Any] | None = None,
        thinking: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        service_tier: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """:meth:`create`, async. With ``stream=True`` an :class:`AwaitableStream`: ``async
        with ...create_async(..., stream=True) as stream`` (closed on leaving the block), or
        ``await`` it for the ``EventStreamAsync`` (the caller then closes it). Otherwise an
        awaitable of the ``Message``."""
        params = _params(locals())
        if stream:
            return AwaitableStream(self._create_async(params, stream))
        return self._create_async(params, stream)

    async def _create_async(self, params: dict[str, Any], stream: bool) -> Any:
        client = self._client
        request, config = client._prepare(params, stream)
        transport = client.async_transport()
        if stream:
            frames, codec = SSEDecoder(client.max_event_size), MessagesStreamCodec()
            events: EventStreamAsync[MessageStreamEvent] = await transport.stream(
                request, config, frames, codec, client_ref=client
            )
            return events
        message: Message = decode_message(await transport.read(request, config))
        return message
