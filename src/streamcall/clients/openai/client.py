"""The OpenAI Chat Completions client (also for OpenAI-compatible servers).

``OpenAI(...).chat.completions.create(model=..., messages=..., stream=True)`` returns an
``EventStream[ChatCompletionChunk]`` (iterate it as the SDK's ``Stream``); without ``stream`` a
``ChatCompletion``. ``AsyncOpenAI`` has the same surface with ``await``. Point ``base_url`` at
vLLM, llama.cpp's server, Ollama ``/v1``, Groq, xAI, DeepSeek, OpenRouter, Together or LM Studio.
The keyword parameters of ``create`` and ``create_async`` are declared once, in :mod:`.params`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Unpack

from streamcall.clients._base import BaseClient, Prepared, StreamCall, WholeCall
from streamcall.clients._codec import build_chat_body
from streamcall.clients._params import ClientOptions, MessagesArg, keys_of
from streamcall.clients.openai.codec import ChatStreamCodec, decode_chat_completion
from streamcall.clients.openai.params import ChatArgs, Input, ResponseArgs

if TYPE_CHECKING:
    from streamcall.clients.openai.models import ChatCompletion, ChatCompletionChunk
    from streamcall.clients.openai.responses_models import Response, ResponseStreamEvent

__all__ = ["AsyncOpenAI", "OpenAI"]

CHAT_PATH = "/chat/completions"


class OpenAI(BaseClient):
    """A lean client for OpenAI's Chat Completions API and compatible servers.

    Args:
        api_key: Defaults to ``OPENAI_API_KEY``. Required for ``api.openai.com``; a custom
            ``base_url`` (a local server) may go without one.
        base_url: Defaults to ``OPENAI_BASE_URL`` or ``https://api.openai.com/v1``.
        organization, project: Sent as ``OpenAI-Organization`` / ``OpenAI-Project``.
        stream_usage: Ask streams for usage (``stream_options.include_usage``). Turn it off
            for a server that rejects ``stream_options``.
        timeout_ms, retries, timeouts, client, async_client, default_headers, max_event_size:
            As for every streamcall client.
    """

    provider: ClassVar[str] = "OpenAI"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    headers_option: ClassVar[str] = "extra_headers"
    _asynchronous: bool = False  # whether chat.completions.create is awaited

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        organization: str | None = None,
        project: str | None = None,
        stream_usage: bool = True,
        **options: Unpack[ClientOptions],
    ) -> None:
        headers = dict(options.get("default_headers") or {})
        if organization:
            headers["OpenAI-Organization"] = organization
        if project:
            headers["OpenAI-Project"] = project
        options["default_headers"] = headers
        super().__init__(api_key, base_url, **options)
        self.stream_usage = stream_usage

    @property
    def chat(self) -> Chat:
        """``client.chat``: holds ``completions``."""
        return Chat(self, asynchronous=self._asynchronous)

    @property
    def responses(self) -> Responses:
        """``client.responses``: the Responses API."""
        return Responses(self)

    def api_key(self) -> str:
        """The API key; a custom base URL (a local server) may have none (``""``)."""
        key = self._api_key or os.environ.get(self.env_api_key)
        if not key and self.base_url != self.default_base_url:
            return ""
        return super().api_key()

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """A bearer token, when there is a key."""
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def chat_path(self, model: str) -> str:
        """The path of the chat endpoint (under ``base_url``)."""
        return CHAT_PATH


class AsyncOpenAI(OpenAI):
    """:class:`OpenAI` whose ``chat.completions.create`` is a coroutine, as in the SDK."""

    _asynchronous: bool = True


class Chat:
    """``client.chat``: holds ``completions``."""

    def __init__(self, client: OpenAI, asynchronous: bool) -> None:
        self.completions: Completions | AsyncCompletions = (
            AsyncCompletions(client) if asynchronous else Completions(client)
        )


class Completions:
    """``client.chat.completions``: ``create`` (sync) and ``create_async``, both taking the
    keywords of :class:`~.params.ChatArgs` besides ``model``, ``messages`` and ``stream``."""

    _keywords: ClassVar[frozenset[str]] = keys_of(ChatArgs)

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def _request(self, model: str, messages: MessagesArg, stream: bool, args: ChatArgs) -> Prepared:
        client = self._client
        params = self._client.body_of(args)
        if stream and params.get("stream_options") is None and client.stream_usage:
            params["stream_options"] = {"include_usage": True}
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        return client.call_request(client.chat_path(model), body, stream, args)

    def _stream(
        self, model: str, messages: MessagesArg, args: ChatArgs
    ) -> StreamCall[ChatCompletionChunk]:
        prepared = self._request(model, messages, True, args)
        return self._client.stream_call(prepared, ChatStreamCodec())

    def _whole(
        self, model: str, messages: MessagesArg, args: ChatArgs
    ) -> WholeCall[ChatCompletion]:
        return WholeCall(*self._request(model, messages, False, args), decode_chat_completion)

    def create(
        self, *, model: str, messages: MessagesArg, stream: bool = False, **params: Unpack[ChatArgs]
    ) -> Any:
        """A chat completion: an ``EventStream[ChatCompletionChunk]`` with ``stream=True``
        (use it in ``with``), else a ``ChatCompletion``."""
        return self._client.send(self.create, stream, model, messages, params)

    def create_async(
        self, *, model: str, messages: MessagesArg, stream: bool = False, **params: Unpack[ChatArgs]
    ) -> Any:
        """:meth:`create`, async: an ``AwaitableStream`` if ``stream``, else an awaitable."""
        return self._client.send(self.create_async, stream, model, messages, params)


class AsyncCompletions(Completions):
    """``AsyncOpenAI().chat.completions``: ``create`` is awaited (it is :meth:`create_async`)."""

    create = Completions.create_async


class Responses:
    """``client.responses``: the Responses API, ``create`` (sync) and ``create_async``, both
    taking the keywords of :class:`~.params.ResponseArgs` besides ``model``, ``input`` and
    ``stream``."""

    _keywords: ClassVar[frozenset[str]] = keys_of(ResponseArgs)

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def _request(self, model: str, items: Input, stream: bool, args: ResponseArgs) -> Prepared:
        from streamcall.clients._codec import encode_json, without_none

        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        if not isinstance(items, str) and (not isinstance(items, Sequence) or not items):
            raise ValueError("input must be a string or a non-empty list of input items")
        params = self._client.body_of(args)
        extra = params.pop("extra_body", None) or {}
        body = {"model": model, "input": items, "stream": stream, **without_none(params), **extra}
        return self._client.call_request("/responses", encode_json(body), stream, args)

    def _stream(
        self, model: str, items: Input, args: ResponseArgs
    ) -> StreamCall[ResponseStreamEvent]:
        from streamcall.clients.openai.responses_codec import ResponsesStreamCodec

        prepared = self._request(model, items, True, args)
        return self._client.stream_call(prepared, ResponsesStreamCodec())

    def _whole(self, model: str, items: Input, args: ResponseArgs) -> WholeCall[Response]:
        from streamcall.clients.openai.responses_codec import decode_response

        return WholeCall(*self._request(model, items, False, args), decode_response)

    def create(
        self, *, model: str, input: Input, stream: bool = False, **params: Unpack[ResponseArgs]
    ) -> Any:
        """A response: an ``EventStream[ResponseStreamEvent]`` with ``stream=True`` (use it
        in ``with``), else a ``Response``."""
        return self._client.send(self.create, stream, model, input, params)

    def create_async(
        self, *, model: str, input: Input, stream: bool = False, **params: Unpack[ResponseArgs]
    ) -> Any:
        """:meth:`create`, async: an ``AwaitableStream`` if ``stream``, else an awaitable."""
        return self._client.send(self.create_async, stream, model, input, params)
