"""The Cohere v2 client: ``ClientV2(...).chat_stream / chat`` and their async twins.

Mirrors the official ``cohere`` SDK's v2 surface (``cohere.ClientV2``) over streamcall's own
transport. The keywords of the four chat methods are declared once, in :mod:`.params`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Unpack

from streamcall.clients._base import BaseClient, Prepared, StreamCall, WholeCall
from streamcall.clients._params import MessagesArg, StreamClientOptions, keys_of
from streamcall.clients.cohere.codec import ChatStreamCodec, build_chat_body, decode_chat_response
from streamcall.clients.cohere.params import ChatArgs
from streamcall.transport.retries import RetryPolicy

if TYPE_CHECKING:
    from streamcall.clients._awaitable import AwaitableStream
    from streamcall.clients.cohere.models import ChatResponse, StreamEvent
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
        timeouts, client, async_client, default_headers, max_event_size: As for every
            streamcall client.
    """

    provider: ClassVar[str] = "Cohere"
    _keywords: ClassVar[frozenset[str]] = keys_of(ChatArgs)
    default_base_url: ClassVar[str] = "https://api.cohere.com"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        **options: Unpack[StreamClientOptions],
    ) -> None:
        super().__init__(api_key, base_url, timeout_ms=timeout_ms, retries=retries, **options)

    def _request(self, model: str, messages: MessagesArg, stream: bool, args: ChatArgs) -> Prepared:
        params = self.body_of(args)
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        return self.call_request(CHAT_PATH, body, stream, args)

    def _stream(self, model: str, messages: MessagesArg, args: ChatArgs) -> StreamCall[StreamEvent]:
        return self.stream_call(self._request(model, messages, True, args), ChatStreamCodec())

    def _whole(self, model: str, messages: MessagesArg, args: ChatArgs) -> WholeCall[ChatResponse]:
        return WholeCall(*self._request(model, messages, False, args), decode_chat_response)

    def chat_stream(
        self, model: str, messages: MessagesArg, **params: Unpack[ChatArgs]
    ) -> EventStream[StreamEvent]:
        """Stream a chat: an ``EventStream`` of :class:`StreamEvent` (use it in ``with``)."""
        return self.send(self.chat_stream, True, model, messages, params)

    def chat_stream_async(
        self, model: str, messages: MessagesArg, **params: Unpack[ChatArgs]
    ) -> AwaitableStream[EventStreamAsync[StreamEvent]]:
        """:meth:`chat_stream`, async: ``async with`` it, or ``await`` it (then close it)."""
        return self.send(self.chat_stream_async, True, model, messages, params)

    def chat(self, model: str, messages: MessagesArg, **params: Unpack[ChatArgs]) -> ChatResponse:
        """A whole (non-streamed) chat response."""
        return self.send(self.chat, False, model, messages, params)

    async def chat_async(
        self, model: str, messages: MessagesArg, **params: Unpack[ChatArgs]
    ) -> ChatResponse:
        """:meth:`chat`, async."""
        return await self.send(self.chat_async, False, model, messages, params)


Cohere = ClientV2
"""Alias: ``from streamcall.clients.cohere import Cohere``."""
