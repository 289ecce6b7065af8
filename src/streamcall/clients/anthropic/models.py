"""Anthropic Messages wire models, named after the official ``anthropic`` SDK.

A streamed call is a sequence of :class:`MessageStreamEvent` objects whose ``type`` is
``message_start``, ``content_block_start``, ``content_block_delta``, ``content_block_stop``,
``message_delta``, ``message_stop``, ``ping`` or ``error`` (or one added later: kept). Deltas are
``text_delta`` (``text``), ``input_json_delta`` (``partial_json``), ``thinking_delta``
(``thinking``), ``signature_delta`` (``signature``) and ``citations_delta``. ``event.raw`` keeps
each event's exact JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec

from streamcall.clients._wire_model import WireModel

__all__ = [
    "ContentBlock",
    "Delta",
    "ErrorDetail",
    "Message",
    "MessageStreamEvent",
    "Usage",
]


class Usage(WireModel, repr_omit_defaults=True):
    """Token usage. ``input_tokens`` excludes cache reads and writes."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    service_tier: str | None = None


class ContentBlock(WireModel):
    """A content block: ``text``, ``tool_use`` (id, name, input), ``thinking`` (thinking,
    signature), ``redacted_thinking`` (data), or a type added later."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Any = None
    thinking: str | None = None
    signature: str | None = None
    data: str | None = None
    citations: list[Any] | None = None


class Message(WireModel):
    """A message (on ``message_start``, and as a whole non-streamed response)."""

    id: str = ""
    type: str = "message"
    role: str = "assistant"
    model: str = ""
    content: list[ContentBlock] = msgspec.field(default_factory=list)
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage | None = None


class Delta(WireModel):
    """The ``delta`` of a ``content_block_delta`` or ``message_delta`` event."""

    type: str | None = None
    text: str | None = None
    partial_json: str | None = None
    thinking: str | None = None
    signature: str | None = None
    citation: Any = None
    stop_reason: str | None = None
    stop_sequence: str | None = None


class ErrorDetail(WireModel):
    """An ``error`` event's error."""

    type: str | None = None
    message: str | None = None


class MessageStreamEvent(WireModel):
    """One event of a streamed Messages call (see the module docstring)."""

    type: str
    index: int | None = None
    message: Message | None = None
    content_block: ContentBlock | None = None
    delta: Delta | None = None
    usage: Usage | None = None
    error: ErrorDetail | None = None
    raw: str | None = None
