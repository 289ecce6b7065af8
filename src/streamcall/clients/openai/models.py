"""OpenAI Chat Completions wire models, named as in the official ``openai`` SDK.

A streamed call yields :class:`ChatCompletionChunk` objects directly (as the SDK does):
``chunk.choices[0].delta.content``, ``delta.tool_calls`` (fragments keyed by ``index``),
``delta.refusal``, and for OpenAI-compatible servers ``delta.reasoning_content`` (DeepSeek,
llama.cpp) or ``delta.reasoning`` (vLLM, Ollama, Groq). With
``stream_options.include_usage`` the last chunk has ``choices: []`` and the ``usage``.
``chunk.raw`` keeps each chunk's exact JSON (fields not modelled here included).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from streamcall.clients._wire_model import WireModel

__all__ = [
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChunkChoice",
    "CompletionTokensDetails",
    "CompletionUsage",
    "Function",
    "PromptTokensDetails",
]

C = TypeVar("C")


class PromptTokensDetails(WireModel, repr_omit_defaults=True):
    """Breakdown of prompt tokens."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None


class CompletionTokensDetails(WireModel, repr_omit_defaults=True):
    """Breakdown of completion tokens."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


class CompletionUsage(WireModel, repr_omit_defaults=True):
    """Token usage; ``prompt_tokens`` includes cached tokens, ``completion_tokens`` reasoning."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None
    prompt_cache_hit_tokens: int | None = None  # DeepSeek
    prompt_cache_miss_tokens: int | None = None  # DeepSeek

    @property
    def cached_tokens(self) -> int | None:
        """Prompt tokens served from the cache (OpenAI's details, or DeepSeek's field)."""
        details = self.prompt_tokens_details
        if details is not None and details.cached_tokens is not None:
            return details.cached_tokens
        return self.prompt_cache_hit_tokens

    @property
    def reasoning_tokens(self) -> int | None:
        """Completion tokens spent on reasoning."""
        details = self.completion_tokens_details
        return None if details is None else details.reasoning_tokens


class ChoiceDeltaToolCallFunction(WireModel):
    """A fragment of a tool call's function: the name first, then argument pieces."""

    name: str | None = None
    arguments: str | None = None


class ChoiceDeltaToolCall(WireModel):
    """A fragment of a tool call; ``id`` and ``type`` come on its first fragment."""

    index: int = 0
    id: str | None = None
    type: str | None = None
    function: ChoiceDeltaToolCallFunction | None = None


class ChoiceDelta(WireModel):
    """What one chunk adds to the message."""

    role: str | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class ChunkChoice(WireModel):
    """One choice of a chunk; ``finish_reason`` is ``stop``, ``length``, ``tool_calls``,
    ``content_filter``, ``function_call``, or a value added later (kept as a string).

    ``delta`` may be absent: Azure's asynchronous content filter sends choices that carry only
    ``content_filter_results``; they add nothing to the message."""

    delta: ChoiceDelta = msgspec.field(default_factory=ChoiceDelta)
    index: int = 0
    finish_reason: str | None = None
    logprobs: Any = None


class _Completion(WireModel, Generic[C]):
    """The fields of a chat completion, streamed (a chunk) or whole, but its choices' type."""

    choices: list[C]
    id: str = ""
    object: str | None = None
    created: int | None = None
    model: str = ""
    system_fingerprint: str | None = None
    service_tier: str | None = None
    usage: CompletionUsage | None = None


class ChatCompletionChunk(_Completion[ChunkChoice]):
    """One streamed chunk; ``choices`` is a tuple (the SDK's is a list), for the reason
    :class:`streamcall.clients.mistral.models.CompletionChunk` gives."""

    choices: tuple[ChunkChoice, ...]  # type: ignore[assignment]

    raw: str | None = None


class Function(WireModel):
    """A whole tool call's function; ``arguments`` is a JSON string."""

    name: str
    arguments: str = ""


class ChatCompletionMessageToolCall(WireModel, omit_defaults=False):
    """A whole tool call (``type``: ``"function"``)."""

    id: str
    function: Function
    type: str = "function"


class ChatCompletionMessage(WireModel):
    """The assistant message of a whole response."""

    role: str = "assistant"
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCall] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class Choice(WireModel):
    """One choice of a whole response."""

    message: ChatCompletionMessage
    index: int = 0
    finish_reason: str | None = None
    logprobs: Any = None


class ChatCompletion(_Completion[Choice]):
    """A whole (non-streamed) chat completion."""
