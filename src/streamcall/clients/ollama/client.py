"""The Ollama native client: ``Ollama(...).chat(model=..., messages=..., stream=True)``.

Mirrors the ``ollama`` SDK's ``Client.chat`` (``chat_async`` for async) on ``POST /api/chat``
(NDJSON). No key is needed locally; ``OLLAMA_API_KEY`` is sent as a bearer token if set. The
keywords of ``chat`` and ``chat_async`` are declared once, in :mod:`.params`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar, Unpack

from streamcall.clients._base import BaseClient, Prepared, StreamCall, WholeCall
from streamcall.clients._codec import build_chat_body
from streamcall.clients._params import LineClientOptions, MessagesArg, keys_of
from streamcall.clients.ollama.codec import ChatStreamCodec, decode_chat_response
from streamcall.clients.ollama.params import ChatArgs
from streamcall.wire.ndjson import NDJSONDecoder
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE

if TYPE_CHECKING:
    from streamcall.clients.ollama.models import ChatResponse

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
        max_line_size: The largest NDJSON line accepted, in bytes (default 16 MiB).
        timeout_ms, retries, timeouts, client, async_client, default_headers: As for every
            streamcall client.
    """

    provider: ClassVar[str] = "Ollama"
    default_base_url: ClassVar[str] = "http://localhost:11434"
    option_keys: ClassVar[frozenset[str]] = keys_of(LineClientOptions)
    stream_accept: ClassVar[str] = "application/x-ndjson"
    _keywords: ClassVar[frozenset[str]] = keys_of(ChatArgs)

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        max_line_size: int = DEFAULT_MAX_EVENT_SIZE,
        **options: Unpack[LineClientOptions],
    ) -> None:
        url = base_url or os.environ.get(self.env_base_url) or _host()
        super().__init__(api_key, url, **options)
        self.max_line_size = max_line_size

    def api_key(self) -> str:
        """The optional key (``""`` when there is none: a local server needs none)."""
        return self._api_key or os.environ.get(self.env_api_key) or ""

    def frames(self) -> NDJSONDecoder:
        """NDJSON lines, each at most ``max_line_size`` bytes."""
        return NDJSONDecoder(self.max_line_size)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """A bearer token, when there is a key."""
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def _request(self, model: str, messages: MessagesArg, stream: bool, args: ChatArgs) -> Prepared:
        params = self.body_of(args)
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        return self.call_request("/api/chat", body, stream, args)

    def _stream(
        self, model: str, messages: MessagesArg, args: ChatArgs
    ) -> StreamCall[ChatResponse]:
        return self.stream_call(self._request(model, messages, True, args), ChatStreamCodec())

    def _whole(self, model: str, messages: MessagesArg, args: ChatArgs) -> WholeCall[ChatResponse]:
        return WholeCall(*self._request(model, messages, False, args), decode_chat_response)

    def chat(
        self, *, model: str, messages: MessagesArg, stream: bool = False, **params: Unpack[ChatArgs]
    ) -> Any:
        """A chat: an ``EventStream[ChatResponse]`` with ``stream=True`` (use it in ``with``),
        else one ``ChatResponse``."""
        return self.send(self.chat, stream, model, messages, params)

    def chat_async(
        self, *, model: str, messages: MessagesArg, stream: bool = False, **params: Unpack[ChatArgs]
    ) -> Any:
        """:meth:`chat`, async: an ``AwaitableStream`` if ``stream``, else an awaitable."""
        return self.send(self.chat_async, stream, model, messages, params)
