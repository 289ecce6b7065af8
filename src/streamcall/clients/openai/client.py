"""The OpenAI Chat Completions client (also for OpenAI-compatible servers).

``OpenAI(...).chat.completions.create(model=..., messages=..., stream=True)`` returns an
``EventStream[ChatCompletionChunk]`` (iterate it as the SDK's ``Stream``); without ``stream`` a
``ChatCompletion``. ``AsyncOpenAI`` has the same surface with ``await``. Point ``base_url`` at
vLLM, llama.cpp's server, Ollama ``/v1``, Groq, xAI, DeepSeek, OpenRouter, Together or LM Studio.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from streamcall.clients._awaitable import AwaitableStream
from streamcall.clients._base import BaseClient
from streamcall.clients._codec import build_chat_body
from streamcall.clients.openai.codec import ChatStreamCodec, decode_chat_completion
from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder

if TYPE_CHECKING:
    import httpx2

    from streamcall.clients.openai.models import ChatCompletion, ChatCompletionChunk
    from streamcall.transport.http import TransportConfig
    from streamcall.transport.stream import EventStream, EventStreamAsync

__all__ = ["AsyncOpenAI", "OpenAI"]

CHAT_PATH = "/chat/completions"
_CALL_OPTIONS = ("timeout_ms", "retries", "extra_headers")


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
    env_api_key: ClassVar[str] = "OPENAI_API_KEY"
    env_base_url: ClassVar[str] = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        organization: str | None = None,
        project: str | None = None,
        stream_usage: bool = True,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        client: httpx2.Client | None = None,
        async_client: httpx2.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    ) -> None:
        headers = dict(default_headers or {})
        if organization:
            headers["OpenAI-Organization"] = organization
        if project:
            headers["OpenAI-Project"] = project
        super().__init__(
            api_key,
            base_url,
            timeouts=timeouts,
            timeout_ms=timeout_ms,
            retries=retries,
            client=client,
            async_client=async_client,
            default_headers=headers,
        )
        self.stream_usage = stream_usage
        self.max_event_size = max_event_size
        self.chat = Chat(self, asynchronous=False)
        self.responses = Responses(self)

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

    def _prepare(
        self, params: dict[str, Any], stream: bool
    ) -> tuple[httpx2.Request, TransportConfig]:
        model = params.pop("model")
        messages = params.pop("messages")
        timeout_ms, retries, headers = (params.pop(k, None) for k in _CALL_OPTIONS)
        if stream and params.get("stream_options") is None and self.stream_usage:
            params["stream_options"] = {"include_usage": True}
        body = build_chat_body(model=model, messages=messages, stream=stream, params=params)
        request = self.build_request(
            "POST",
            self.chat_path(model),
            body,
            accept="text/event-stream" if stream else "application/json",
            headers=headers,
        )
        return request, self.call_config(stream, timeout_ms, retries)

    def _stream(self, params: dict[str, Any]) -> EventStream[ChatCompletionChunk]:
        request, config = self._prepare(params, stream=True)
        frames, codec = SSEDecoder(self.max_event_size), ChatStreamCodec()
        return self.sync_transport().stream(request, config, frames, codec, client_ref=self)

    async def _stream_async(self, params: dict[str, Any]) -> EventStreamAsync[ChatCompletionChunk]:
        request, config = self._prepare(params, stream=True)
        frames, codec = SSEDecoder(self.max_event_size), ChatStreamCodec()
        transport = self.async_transport()
        return await transport.stream(request, config, frames, codec, client_ref=self)

    def _complete(self, params: dict[str, Any]) -> ChatCompletion:
        request, config = self._prepare(params, stream=False)
        return decode_chat_completion(self.sync_transport().read(request, config))

    async def _complete_async(self, params: dict[str, Any]) -> ChatCompletion:
        request, config = self._prepare(params, stream=False)
        return decode_chat_completion(await self.async_transport().read(request, config))


class AsyncOpenAI(OpenAI):
    """:class:`OpenAI` whose ``chat.completions.create`` is a coroutine, as in the SDK."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chat = Chat(self, asynchronous=True)


class Chat:
    """``client.chat``: holds ``completions``."""

    def __init__(self, client: OpenAI, asynchronous: bool) -> None:
        self.completions: Completions | AsyncCompletions = (
            AsyncCompletions(client) if asynchronous else Completions(client)
        )


def _params(call_locals: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in call_locals.items() if k not in ("self", "stream")}


class Completions:
    """``client.chat.completions``: ``create`` (sync) and ``create_async``."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def create(
        self,
        *,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        stream: bool = False,
        stream_options: Mapping[str, Any] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        n: int | None = None,
        stop: str | list[str] | None = None,
        seed: int | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        parallel_tool_calls: bool | None = None,
        response_format: Any = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        logit_bias: Mapping[str, int] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        reasoning_effort: str | None = None,
        service_tier: str | None = None,
        user: str | None = None,
        metadata: Mapping[str, str] | None = None,
        store: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """A chat completion: an ``EventStream[ChatCompletionChunk]`` with ``stream=True``
        (use it in ``with``), else a ``ChatCompletion``."""
        params = _params(locals())
        if stream:
            return self._client._stream(params)
        return self._client._complete(params)

    def create_async(
        self,
        *,
        model: str,
        messages: Sequence[Any] | Iterable[Any],
        stream: bool = False,
        stream_options: Mapping[str, Any] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        n: int | None = None,
        stop: str | list[str] | None = None,
        seed: int | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        parallel_tool_calls: bool | None = None,
        response_format: Any = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        logit_bias: Mapping[str, int] | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        reasoning_effort: str | None = None,
        service_tier: str | None = None,
        user: str | None = None,
        metadata: Mapping[str, str] | None = None,
        store: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """:meth:`create`, async. With ``stream=True`` an :class:`AwaitableStream`: ``async
        with ...create_async(..., stream=True) as stream`` (closed on leaving the block), or
        ``await`` it for the ``EventStreamAsync`` (the caller then closes it). Otherwise an
        awaitable of the ``ChatCompletion``."""
        params = _params(locals())
        if stream:
            return AwaitableStream(self._client._stream_async(params))
        return self._client._complete_async(params)


class AsyncCompletions(Completions):
    """``AsyncOpenAI().chat.completions``: ``create`` is awaited, as in the SDK."""

    def create(self, **kwargs: Any) -> Any:
        """``await client.chat.completions.create(...)`` (or ``async with`` it when
        streaming); see :meth:`create_async`."""
        return self.create_async(**kwargs)


class Responses:
    """``client.responses``: the Responses API, ``create`` (sync) and ``create_async``."""

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def _prepare(
        self, params: dict[str, Any], stream: bool
    ) -> tuple[httpx2.Request, TransportConfig]:
        from streamcall.clients._codec import encode_json, without_none

        client = self._client
        model, items = params.pop("model"), params.pop("input")
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        if not isinstance(items, str) and (not isinstance(items, Sequence) or not items):
            raise ValueError("input must be a string or a non-empty list of input items")
        timeout_ms, retries, headers = (params.pop(k, None) for k in _CALL_OPTIONS)
        extra = params.pop("extra_body", None) or {}
        body = {"model": model, "input": items, "stream": stream, **without_none(params), **extra}
        request = client.build_request(
            "POST",
            "/responses",
            encode_json(body),
            accept="text/event-stream" if stream else "application/json",
            headers=headers,
        )
        return request, client.call_config(stream, timeout_ms, retries)

    def create(
        self,
        *,
        model: str,
        input: str | Sequence[Any],
        stream: bool = False,
        instructions: str | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        parallel_tool_calls: bool | None = None,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        reasoning: Mapping[str, Any] | None = None,
        text: Mapping[str, Any] | None = None,
        previous_response_id: str | None = None,
        store: bool | None = None,
        metadata: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """A response: an ``EventStream[ResponseStreamEvent]`` with ``stream=True`` (use it
        in ``with``), else a ``Response``."""
        params = _params(locals())  # first: nothing but the arguments is local yet
        from streamcall.clients.openai.responses_codec import (
            ResponsesStreamCodec,
            decode_response,
        )

        request, config = self._prepare(params, stream)
        transport = self._client.sync_transport()
        if stream:
            frames = SSEDecoder(self._client.max_event_size)
            return transport.stream(
                request, config, frames, ResponsesStreamCodec(), client_ref=self._client
            )
        return decode_response(transport.read(request, config))

    def create_async(
        self,
        *,
        model: str,
        input: str | Sequence[Any],
        stream: bool = False,
        instructions: str | None = None,
        tools: Sequence[Any] | None = None,
        tool_choice: Any = None,
        parallel_tool_calls: bool | None = None,
        max_output_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        reasoning: Mapping[str, Any] | None = None,
        text: Mapping[str, Any] | None = None,
        previous_response_id: str | None = None,
        store: bool | None = None,
        metadata: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        timeout_ms: int | None = None,
        retries: int | RetryPolicy | None = None,
    ) -> Any:
        """:meth:`create`, async. With ``stream=True`` an :class:`AwaitableStream`: ``async
        with ...create_async(..., stream=True) as stream`` (closed on leaving the block), or
        ``await`` it for the ``EventStreamAsync`` (the caller then closes it). Otherwise an
        awaitable of the ``Response``."""
        params = _params(locals())  # first: nothing but the arguments is local yet
        if stream:
            return AwaitableStream(self._create_async(params, stream))
        return self._create_async(params, stream)

    async def _create_async(self, params: dict[str, Any], stream: bool) -> Any:
        from streamcall.clients.openai.responses_codec import (
            ResponsesStreamCodec,
            decode_response,
        )

        request, config = self._prepare(params, stream)
        transport = self._client.async_transport()
        if stream:
            frames = SSEDecoder(self._client.max_event_size)
            return await transport.stream(
                request, config, frames, ResponsesStreamCodec(), client_ref=self._client
            )
        return decode_response(await transport.read(request, config))
