"""The parameters of Mistral's chat calls, declared once for ``stream``, ``complete`` and their
``_async`` forms (as the official ``mistralai`` SDK names them)."""

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from streamcall.clients._params import RequestOptions

__all__ = ["ChatArgs", "MistralChatParams", "MistralRequestOptions"]


class MistralChatParams(TypedDict, total=False):
    """The body parameters of a chat completion. ``None`` is not sent; ``extra_body`` is merged
    into the body as given."""

    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    stop: str | list[str] | None
    random_seed: int | None
    response_format: Any
    tools: Sequence[Any] | None
    tool_choice: Any
    presence_penalty: float | None
    frequency_penalty: float | None
    n: int | None
    prediction: Any
    parallel_tool_calls: bool | None
    prompt_mode: str | None
    reasoning_effort: str | None
    safe_prompt: bool | None
    metadata: Mapping[str, Any] | None
    extra_body: Mapping[str, Any] | None


class MistralRequestOptions(RequestOptions, total=False):
    """Per-call options: ``http_headers``, ``timeout_ms``, ``retries`` and ``server_url``."""

    server_url: str | None
    """Another API root for this call."""


class ChatArgs(MistralChatParams, MistralRequestOptions, total=False):
    """Every keyword a chat method takes after ``model`` and ``messages`` (``stream`` aside)."""
