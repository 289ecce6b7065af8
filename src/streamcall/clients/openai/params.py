"""The parameters of OpenAI's ``chat.completions.create`` and ``responses.create``, declared
once for the sync and async forms (as the official ``openai`` SDK names them)."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, TypedDict

from streamcall.clients._params import ExtraRequestOptions

__all__ = ["ChatArgs", "ChatCompletionParams", "Input", "ResponseArgs", "ResponseCreateParams"]


class ChatCompletionParams(TypedDict, total=False):
    """The body parameters of a chat completion. ``None`` is not sent; ``extra_body`` is merged
    into the body as given. ``stream_options`` belongs to streams (``stream=True``); without it
    a stream asks for usage when the client's ``stream_usage`` is on."""

    stream_options: Mapping[str, Any] | None
    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    max_completion_tokens: int | None
    n: int | None
    stop: str | list[str] | None
    seed: int | None
    tools: Sequence[Any] | None
    tool_choice: Any
    parallel_tool_calls: bool | None
    response_format: Any
    presence_penalty: float | None
    frequency_penalty: float | None
    logit_bias: Mapping[str, int] | None
    logprobs: bool | None
    top_logprobs: int | None
    reasoning_effort: str | None
    service_tier: str | None
    user: str | None
    metadata: Mapping[str, str] | None
    store: bool | None
    extra_body: Mapping[str, Any] | None


class ChatArgs(ChatCompletionParams, ExtraRequestOptions, total=False):
    """Every keyword ``chat.completions.create`` takes besides ``model``, ``messages`` and
    ``stream``: the body parameters and the per-call options."""


class ResponseCreateParams(TypedDict, total=False):
    """The body parameters of a Responses API call (``None`` is not sent; ``extra_body`` is
    merged into the body as given)."""

    instructions: str | None
    tools: Sequence[Any] | None
    tool_choice: Any
    parallel_tool_calls: bool | None
    max_output_tokens: int | None
    temperature: float | None
    top_p: float | None
    reasoning: Mapping[str, Any] | None
    text: Mapping[str, Any] | None
    previous_response_id: str | None
    store: bool | None
    metadata: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None


class ResponseArgs(ResponseCreateParams, ExtraRequestOptions, total=False):
    """Every keyword ``responses.create`` takes besides ``model``, ``input`` and ``stream``."""


Input: TypeAlias = str | Sequence[Any]
"""A Responses ``input``: a string, or a non-empty list of input items."""
