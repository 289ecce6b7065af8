"""The Gemini client (Google AI Studio): ``Gemini(...).models.generate_content_stream(...)``.

Mirrors the ``google-genai`` SDK's ``client.models.generate_content(_stream)`` over
streamcall's transport: ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` with the
``x-goog-api-key`` header.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients._base import BaseClient
from streamcall.clients._codec import encode_json
from streamcall.clients.gemini.codec import StreamCodec, decode_response
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder

if TYPE_CHECKING:
    import httpx2

    from streamcall.clients.gemini.models import GenerateContentResponse
    from streamcall.transport.http import TransportConfig
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = ["Gemini"]


def normalize_contents(contents: Any) -> list[Any]:
    """``contents`` as a list of ``{"role", "parts"}``; a string is one user turn."""
    if isinstance(contents, str):
        return [{"role": "user", "parts": [{"text": contents}]}]
    if isinstance(contents, Mapping):
        return [contents]
    if not isinstance(contents, Sequence) or not contents:
        raise ValueError("contents must be a string or a non-empty list of contents")
    out: list[Any] = []
    for i, item in enumerate(contents):
        if isinstance(item, str):
            out.append({"role": "user", "parts": [{"text": item}]})
        elif isinstance(item, Mapping) and "parts" in item:
            out.append(item)
        else:
            raise TypeError(f"contents[{i}] must be a string or a dict with 'parts', got {item!r}")
    return out


class Gemini(BaseClient):
    """A lean client for the Gemini API.

    Args:
        api_key: Defaults to ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``).
        base_url: Defaults to ``GEMINI_BASE_URL`` or
            ``https://generativelanguage.googleapis.com``.
        api_version: The path version (``v1beta``).
    """

    provider: ClassVar[str] = "Gemini"
    env_api_key: ClassVar[str] = "GEMINI_API_KEY"
    env_base_url: ClassVar[str] = "GEMINI_BASE_URL"
    default_base_url: ClassVar[str] = "https://generativelanguage.googleapis.com"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        api_version: str = "v1beta",
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        client: httpx2.Client | None = None,
        async_client: httpx2.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        super().__init__(
            api_key or os.environ.get("GOOGLE_API_KEY"),
            base_url,
            timeouts=timeouts,
            timeout_ms=timeout_ms,
            retries=retries,
            client=client,
            async_client=async_client,
            default_headers=default_headers,
        )
        self.api_version = api_version
        self.max_event_size = max_event_size
        self.models = Models(self)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Gemini authenticates with ``x-goog-api-key`` (never a URL parameter)."""
        return {"x-goog-api-key": api_key}

    def _prepare(
        self, params: dict[str, Any], stream: bool
    ) -> tuple[httpx2.Request, TransportConfig]:
        model = params.pop("model")
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        name = model if model.startswith("models/") else f"models/{model}"
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        path = f"/{self.api_version}/{quote(name, safe='/')}:{method}"
        config = dict(params.get("config") or {})
        body: dict[str, Any] = {"contents": normalize_contents(params["contents"])}
        for key in ("systemInstruction", "tools", "toolConfig", "safetySettings"):
            if key in config:
                body[key] = config.pop(key)
        if config:
            body["generationConfig"] = config
        request = self.build_request(
            "POST",
            path,
            encode_json(body),
            accept="text/event-stream" if stream else "application/json",
            headers=params.get("http_headers"),
        )
        return request, self.call_config(stream, params.get("timeout_ms"), params.get("retries"))


class Models:
    """``client.models``: ``generate_content(_stream)`` and their ``_async`` twins.

    ``config`` holds ``generationConfig`` keys (``temperature``, ``maxOutputTokens``,
    ``thinkingConfig``, ``responseMimeType``, ...) plus ``systemInstruction``, ``tools``,
    ``toolConfig`` and ``safetySettings``, in the API's camelCase.
    """

    def __init__(self, client: Gemini) -> None:
        self._client = client

    def generate_content_stream(
        self,
        *,
        model: str,
        contents: Any,
        config: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> EventStream[GenerateContentResponse]:
        """Stream a response: an ``EventStream`` of chunks (use it in ``with``)."""
        params = {k: v for k, v in locals().items() if k != "self"}
        client = self._client
        request, transport_config = client._prepare(params, stream=True)
        frames, codec = SSEDecoder(client.max_event_size), StreamCodec()
        return client.sync_transport().stream(
            request, transport_config, frames, codec, client_ref=client
        )

    def generate_content_stream_async(
        self,
        *,
        model: str,
        contents: Any,
        config: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> AwaitableStream[EventStreamAsync[GenerateContentResponse]]:
        """:meth:`generate_content_stream`, async: ``async with ...(...) as stream`` (closed on
        leaving the block), or ``await`` it for the ``EventStreamAsync`` (the caller then
        closes it)."""
        params = {k: v for k, v in locals().items() if k != "self"}
        return AwaitableStream(self._stream_async(params))

    async def _stream_async(
        self, params: dict[str, Any]
    ) -> EventStreamAsync[GenerateContentResponse]:
        client = self._client
        request, transport_config = client._prepare(params, stream=True)
        frames, codec = SSEDecoder(client.max_event_size), StreamCodec()
        return await client.async_transport().stream(
            request, transport_config, frames, codec, client_ref=client
        )

    def generate_content(
        self,
        *,
        model: str,
        contents: Any,
        config: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> GenerateContentResponse:
        """A whole response."""
        params = {k: v for k, v in locals().items() if k != "self"}
        request, transport_config = self._client._prepare(params, stream=False)
        return decode_response(self._client.sync_transport().read(request, transport_config))

    async def generate_content_async(
        self,
        *,
        model: str,
        contents: Any,
        config: Mapping[str, Any] | None = None,
        http_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> GenerateContentResponse:
        """A whole response, asynchronously."""
        params = {k: v for k, v in locals().items() if k != "self"}
        request, transport_config = self._client._prepare(params, stream=False)
        raw = await self._client.async_transport().read(request, transport_config)
        return decode_response(raw)
