"""The parameters of Cohere's v2 chat calls, declared once for ``chat_stream``, ``chat`` and their
``_async`` forms (as the official ``cohere`` SDK's ``ClientV2`` names them)."""

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from streamcall.clients._params import RequestOptions

__all__ = ["ChatArgs", "CohereChatParams"]


class CohereChatParams(TypedDict, total=False):
    """The body parameters of a chat. ``None`` is not sent; ``extra_body`` is merged into the
    body as given."""

    tools: Sequence[Any] | None
    documents: Sequence[Any] | None
    citation_options: Mapping[str, Any] | None
    response_format: Mapping[str, Any] | None
    safety_mode: str | None
    max_tokens: int | None
    stop_sequences: Sequence[str] | None
    temperature: float | None
    seed: int | None
    frequency_penalty: float | None
    presence_penalty: float | None
    k: int | None
    p: float | None
    tool_choice: str | None
    thinking: Mapping[str, Any] | None
    strict_tools: bool | None
    extra_body: Mapping[str, Any] | None


class ChatArgs(CohereChatParams, RequestOptions, total=False):
    """Every keyword a chat method takes after ``model`` and ``messages``."""
