"""The Anthropic Messages client: ``Anthropic(...).messages.create(..., stream=True)``.

Mirrors the official ``anthropic`` SDK's ``messages.create`` (``create_async`` for async) over
streamcall's own transport: ``x-api-key`` and ``anthropic-version`` headers, ``POST
/v1/messages``. The keywords of both are declared once, in :mod:`.params`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Unpack

from streamcall.clients._base import BaseClient, Prepared, StreamCall, WholeCall
from streamcall.clients._codec import check_messages, encode_json, without_none
from streamcall.clients._params import MessagesArg, keys_of
from streamcall.clients.anthropic.codec import MessagesStreamCodec, decode_message
from streamcall.clients.anthropic.params import MessageArgs

if TYPE_CHECKING:
    from streamcall.clients.anthropic.models import Message, MessageStreamEvent

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
    default_base_url: ClassVar[str] = "https://api.anthropic.com"
    headers_option: ClassVar[str] = "extra_headers"
    provider_headers: ClassVar[Mapping[str, str]] = {"anthropic-version": API_VERSION}

    @property
    def messages(self) -> Messages:
        """``client.messages``."""
        return Messages(self)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Anthropic authenticates with ``x-api-key``."""
        return {"x-api-key": api_key}


class Messages:
    """``client.messages``: ``create`` (sync) and ``create_async``, both taking the keywords of
    :class:`~.params.MessageArgs` besides ``model``, ``max_tokens``, ``messages``, ``stream``."""

    _keywords: ClassVar[frozenset[str]] = keys_of(MessageArgs)

    def __init__(self, client: Anthropic) -> None:
        self._client = client

    def _request(
        self, model: str, max_tokens: int, messages: MessagesArg, stream: bool, args: MessageArgs
    ) -> Prepared:
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        if not isinstance(max_tokens, int) or max_tokens <= 0:
            raise ValueError("max_tokens must be a positive int (Anthropic requires it)")
        params = self._client.body_of(args)
        extra = params.pop("extra_body", None) or {}
        body = {
            "model": model,
            "messages": check_messages(messages),
            "stream": stream,
            "max_tokens": max_tokens,
            **without_none(params),
        }
        return self._client.call_request(
            MESSAGES_PATH, encode_json({**body, **extra}), stream, args
        )

    def _stream(
        self, model: str, max_tokens: int, messages: MessagesArg, args: MessageArgs
    ) -> StreamCall[MessageStreamEvent]:
        call = self._request(model, max_tokens, messages, True, args)
        return self._client.stream_call(call, MessagesStreamCodec())

    def _whole(
        self, model: str, max_tokens: int, messages: MessagesArg, args: MessageArgs
    ) -> WholeCall[Message]:
        return WholeCall(*self._request(model, max_tokens, messages, False, args), decode_message)

    def create(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: MessagesArg,
        stream: bool = False,
        **params: Unpack[MessageArgs],
    ) -> Any:
        """A message: an ``EventStream[MessageStreamEvent]`` with ``stream=True`` (use it in
        ``with``), else a ``Message``."""
        return self._client.send(self.create, stream, model, max_tokens, messages, params)

    def create_async(
        self,
        *,
        model: str,
        max_tokens: int,
        messages: MessagesArg,
        stream: bool = False,
        **params: Unpack[MessageArgs],
    ) -> Any:
        """:meth:`create`, async: an ``AwaitableStream`` if ``stream``, else an awaitable."""
        return self._client.send(self.create_async, stream, model, max_tokens, messages, params)
