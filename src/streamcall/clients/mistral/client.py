"""The Mistral client: ``Mistral(...).chat.stream / stream_async / complete / complete_async``.

Mirrors the official ``mistralai`` SDK's surface over streamcall's own transport. The keyword
parameters of the four chat methods are declared once, in :mod:`.params`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Unpack

from streamcall.clients._base import BaseClient, Prepared, StreamCall, WholeCall
from streamcall.clients._params import MessagesArg, StreamClientOptions, keys_of
from streamcall.clients.mistral.codec import ChatStreamCodec, build_chat_body, decode_chat_response
from streamcall.clients.mistral.params import ChatArgs
from streamcall.transport.retries import RetryPolicy

if TYPE_CHECKING:
    from streamcall.clients._awaitable import AwaitableStream
    from streamcall.clients.mistral.models import ChatCompletionResponse, CompletionEvent
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
        default_headers: Headers sent with every request.
        max_event_size: The largest SSE event accepted, in bytes (default 16 MiB).
    """

    provider: ClassVar[str] = "Mistral"
    default_base_url: ClassVar[str] = "https://api.mistral.ai"

    def __init__(
        self,
        api_key: str | None = None,
        server_url: str | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        **options: Unpack[StreamClientOptions],
    ) -> None:
        super().__init__(api_key, server_url, timeout_ms=timeout_ms, retries=retries, **options)

    @property
    def chat(self) -> Chat:
        """``client.chat``: ``stream``, ``stream_async``, ``complete``, ``complete_async``."""
        return Chat(self)


_ARGS = keys_of(ChatArgs)


class Chat:
    """Chat completions: streamed (``stream``, ``stream_async``) and whole (``complete``...).

    All four take the keywords of :class:`~.params.ChatArgs` after ``model`` and
    ``messages``; ``None`` values are not sent and ``extra_body`` is merged into the body.
    """

    _keywords: ClassVar[frozenset[str]] = _ARGS

    def __init__(self, client: Mistral) -> None:
        self._client = client

    def _request(self, model: str, messages: MessagesArg, stream: bool, args: ChatArgs) -> Prepared:
        params = self._client.body_of(args)
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        return self._client.call_request(CHAT_PATH, body, stream, args)

    def _stream(
        self, model: str, messages: MessagesArg, args: ChatArgs
    ) -> StreamCall[CompletionEvent]:
        prepared = self._request(model, messages, True, args)
        return self._client.stream_call(prepared, ChatStreamCodec())

    def _whole(
        self, model: str, messages: MessagesArg, args: ChatArgs
    ) -> WholeCall[ChatCompletionResponse]:
        return WholeCall(*self._request(model, messages, False, args), decode_chat_response)

    def stream(
        self, model: str, messages: MessagesArg, *, stream: bool = True, **params: Unpack[ChatArgs]
    ) -> EventStream[CompletionEvent]:
        """Stream a chat completion: an ``EventStream`` of :class:`CompletionEvent`.

        Use it as a context manager (or iterate it to the end) so that the connection is
        released; ``break`` inside a ``with`` block is fine.
        """
        return self._client.send(self.stream, _streamed(stream), model, messages, params)

    def stream_async(
        self, model: str, messages: MessagesArg, *, stream: bool = True, **params: Unpack[ChatArgs]
    ) -> AwaitableStream[EventStreamAsync[CompletionEvent]]:
        """:meth:`stream`, async: ``async with`` it, or ``await`` it (then close the stream)."""
        return self._client.send(self.stream_async, _streamed(stream), model, messages, params)

    def complete(
        self, model: str, messages: MessagesArg, **params: Unpack[ChatArgs]
    ) -> ChatCompletionResponse:
        """A whole (non-streamed) chat completion."""
        return self._client.send(self.complete, False, model, messages, params)

    async def complete_async(
        self, model: str, messages: MessagesArg, **params: Unpack[ChatArgs]
    ) -> ChatCompletionResponse:
        """:meth:`complete`, async."""
        return await self._client.send(self.complete_async, False, model, messages, params)


def _streamed(stream: bool) -> bool:
    if stream is not True:
        raise ValueError("chat.stream() always streams; use chat.complete() for stream=False")
    return True
