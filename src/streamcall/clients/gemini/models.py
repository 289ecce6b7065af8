"""Gemini (Google AI Studio) wire models, with the ``google-genai`` SDK's snake_case names.

The JSON is camelCase (``usageMetadata``, ``finishReason``, ``functionCall``,
``thoughtSignature``); attributes are snake_case (``usage_metadata``, ...), as in the SDK. A
streamed call yields :class:`GenerateContentResponse` objects: each is a whole response so far
for its chunk; ``usage_metadata`` is cumulative. ``raw`` keeps each chunk's exact JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec

from streamcall.clients._wire_model import WireModel

__all__ = [
    "Candidate",
    "Content",
    "FunctionCall",
    "GenerateContentResponse",
    "Part",
    "UsageMetadata",
]


class _Camel(WireModel, rename="camel"):
    pass


class FunctionCall(_Camel):
    """A whole function call (Gemini's Developer API sends no id)."""

    name: str
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    id: str | None = None


class Part(_Camel):
    """A part: text (``thought=True`` for thinking), a function call, or other data."""

    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    function_call: FunctionCall | None = None
    function_response: dict[str, Any] | None = None
    inline_data: dict[str, Any] | None = None


class Content(_Camel):
    """A turn's content: ``role`` (``user`` or ``model``) and parts."""

    parts: list[Part] = msgspec.field(default_factory=list)
    role: str | None = None


class Candidate(_Camel):
    """One candidate; ``finish_reason`` is ``STOP``, ``MAX_TOKENS``, ``SAFETY``, ..."""

    content: Content | None = None
    finish_reason: str | None = None
    index: int | None = None
    safety_ratings: list[Any] | None = None
    citation_metadata: dict[str, Any] | None = None


class UsageMetadata(_Camel, repr_omit_defaults=True):
    """Cumulative usage: prompt (cached included), candidates (thinking excluded), thoughts."""

    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None
    cached_content_token_count: int | None = None
    thoughts_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None


class GenerateContentResponse(_Camel):
    """One streamed chunk (or a whole response)."""

    candidates: list[Candidate] = msgspec.field(default_factory=list)
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
    prompt_feedback: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    raw: str | None = None
