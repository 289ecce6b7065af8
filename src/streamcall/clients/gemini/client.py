"""The Gemini client (Google AI Studio): ``Gemini(...).models.generate_content_stream(...)``.

Mirrors the ``google-genai`` SDK's ``client.models.generate_content(_stream)`` over
streamcall's transport: ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` with the
``x-goog-api-key`` header. The keywords of the four methods are declared once, in :mod:`.params`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Unpack
from urllib.parse import quote

from streamcall.clients._base import BaseClient, Prepared, StreamCall, WholeCall
from streamcall.clients._codec import encode_json
from streamcall.clients._params import ClientOptions, keys_of
from streamcall.clients.gemini.codec import StreamCodec, decode_response
from streamcall.clients.gemini.params import ContentArgs

if TYPE_CHECKING:
    from streamcall.clients._awaitable import AwaitableStream
    from streamcall.clients.gemini.models import GenerateContentResponse
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = ["Gemini"]

_ARGS = keys_of(ContentArgs)


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
        timeout_ms, retries, timeouts, client, async_client, default_headers, max_event_size:
            As for every streamcall client.
    """

    provider: ClassVar[str] = "Gemini"
    default_base_url: ClassVar[str] = "https://generativelanguage.googleapis.com"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        api_version: str = "v1beta",
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(api_key or os.environ.get("GOOGLE_API_KEY"), base_url, **options)
        self.api_version = api_version

    @property
    def models(self) -> Models:
        """``client.models``: ``generate_content`` and ``generate_content_stream`` (and async)."""
        return Models(self)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Gemini authenticates with ``x-goog-api-key`` (never a URL parameter)."""
        return {"x-goog-api-key": api_key}


class Models:
    """``client.models``: ``generate_content(_stream)`` and their ``_async`` twins, all taking
    the keywords of :class:`~.params.ContentArgs` (``config``, per-call options) besides
    ``model`` and ``contents``.

    ``config`` holds ``generationConfig`` keys (``temperature``, ``maxOutputTokens``,
    ``thinkingConfig``, ``responseMimeType``, ...) plus ``systemInstruction``, ``tools``,
    ``toolConfig`` and ``safetySettings``, in the API's camelCase.
    """

    _keywords: ClassVar[frozenset[str]] = _ARGS

    def __init__(self, client: Gemini) -> None:
        self._client = client

    def _request(self, model: str, contents: Any, stream: bool, args: ContentArgs) -> Prepared:
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        name = model if model.startswith("models/") else f"models/{model}"
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        path = f"/{self._client.api_version}/{quote(name, safe='/')}:{method}"
        config = dict(args.get("config") or {})
        body: dict[str, Any] = {"contents": normalize_contents(contents)}
        for key in ("systemInstruction", "tools", "toolConfig", "safetySettings"):
            if key in config:
                body[key] = config.pop(key)
        if config:
            body["generationConfig"] = config
        return self._client.call_request(path, encode_json(body), stream, args)

    def _stream(
        self, model: str, contents: Any, args: ContentArgs
    ) -> StreamCall[GenerateContentResponse]:
        return self._client.stream_call(self._request(model, contents, True, args), StreamCodec())

    def _whole(
        self, model: str, contents: Any, args: ContentArgs
    ) -> WholeCall[GenerateContentResponse]:
        return WholeCall(*self._request(model, contents, False, args), decode_response)

    def generate_content_stream(
        self, *, model: str, contents: Any, **params: Unpack[ContentArgs]
    ) -> EventStream[GenerateContentResponse]:
        """Stream a response: an ``EventStream`` of chunks (use it in ``with``)."""
        return self._client.send(self.generate_content_stream, True, model, contents, params)

    def generate_content_stream_async(
        self, *, model: str, contents: Any, **params: Unpack[ContentArgs]
    ) -> AwaitableStream[EventStreamAsync[GenerateContentResponse]]:
        """:meth:`generate_content_stream`, async: ``async with`` it, or ``await`` it."""
        return self._client.send(self.generate_content_stream_async, True, model, contents, params)

    def generate_content(
        self, *, model: str, contents: Any, **params: Unpack[ContentArgs]
    ) -> GenerateContentResponse:
        """A whole response."""
        return self._client.send(self.generate_content, False, model, contents, params)

    async def generate_content_async(
        self, *, model: str, contents: Any, **params: Unpack[ContentArgs]
    ) -> GenerateContentResponse:
        """:meth:`generate_content`, async."""
        return await self._client.send(self.generate_content_async, False, model, contents, params)
