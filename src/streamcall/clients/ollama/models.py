"""Ollama native chat wire models (``POST /api/chat``), named after the ``ollama`` SDK.

A streamed chat is NDJSON: each line a :class:`ChatResponse` with ``message.content`` (and
``message.thinking`` with ``think: true``); tool calls arrive whole, with object ``arguments``;
the last line has ``done: true``, ``done_reason`` and the token counts (``prompt_eval_count``,
``eval_count``) and durations in nanoseconds. ``raw`` keeps each line's exact JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec

from streamcall.clients._wire_model import WireModel

__all__ = ["ChatResponse", "Message", "ToolCall", "ToolCallFunction"]


class ToolCallFunction(WireModel):
    """A whole function call; ``arguments`` is an object."""

    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)
    index: int | None = None


class ToolCall(WireModel):
    """A tool call (recent servers give it an ``id``)."""

    function: ToolCallFunction
    id: str | None = None


class Message(WireModel):
    """The assistant's message piece on one line."""

    role: str = "assistant"
    content: str = ""
    thinking: str | None = None
    tool_calls: list[ToolCall] | None = None
    images: list[str] | None = None


class ChatResponse(WireModel):
    """One NDJSON line of a chat (or a whole non-streamed response)."""

    model: str = ""
    created_at: str | None = None
    message: Message | None = None
    done: bool = False
    done_reason: str | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None
    error: str | None = None
    raw: str | None = None
