"""Cohere v2 chat wire models (``POST /v2/chat``), named after the official ``cohere`` SDK.

A streamed chat is a sequence of :class:`StreamEvent` objects whose ``type`` is one of
``message-start``, ``content-start``, ``content-delta``, ``content-end``, ``tool-plan-delta``,
``tool-call-start``, ``tool-call-delta``, ``tool-call-end``, ``citation-start``,
``citation-end``, ``message-end``, ``debug`` (or a type added later: kept, never rejected).
Fields follow the wire: text is ``event.delta.message.content.text``, thinking
``...content.thinking``, tool-call pieces ``event.delta.message.tool_calls``, and the finish
reason and usage ``event.delta.finish_reason`` / ``event.delta.usage`` on ``message-end``.
``StreamEvent.raw`` keeps each event's exact JSON.

Request side: :class:`SystemChatMessageV2`, :class:`UserChatMessageV2`,
:class:`AssistantChatMessageV2`, :class:`ToolChatMessageV2`, :class:`ToolV2`; dicts work too.
"""

from __future__ import annotations

from typing import Any, ClassVar

from streamcall.clients._wire_model import WireModel

__all__ = [
    "AssistantChatMessageV2",
    "BilledUnits",
    "ChatResponse",
    "Citation",
    "ContentDelta",
    "EventDelta",
    "EventMessage",
    "FunctionDelta",
    "ResponseMessage",
    "StreamEvent",
    "SystemChatMessageV2",
    "TextContent",
    "ToolCallDelta",
    "ToolCallV2",
    "ToolChatMessageV2",
    "ToolV2",
    "Usage",
    "UsageTokens",
    "UserChatMessageV2",
]


# -- usage ------------------------------------------------------------------------------------


class BilledUnits(WireModel, repr_omit_defaults=True):
    """What is charged."""

    input_tokens: float | None = None
    output_tokens: float | None = None
    search_units: float | None = None
    classifications: float | None = None


class UsageTokens(WireModel, repr_omit_defaults=True):
    """What the model processed (the prompt template and system tokens included)."""

    input_tokens: float | None = None
    output_tokens: float | None = None


class Usage(WireModel, repr_omit_defaults=True):
    """Usage on ``message-end`` (and on a whole response)."""

    billed_units: BilledUnits | None = None
    tokens: UsageTokens | None = None
    cached_tokens: float | None = None


# -- stream events ----------------------------------------------------------------------------


class ContentDelta(WireModel):
    """A piece of content: ``text``, or ``thinking`` for reasoning models."""

    type: str | None = None
    text: str | None = None
    thinking: str | None = None


class FunctionDelta(WireModel):
    """A tool call's function: the name on start, argument fragments after."""

    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(WireModel):
    """A piece of a tool call (the id and name arrive on ``tool-call-start``)."""

    id: str | None = None
    type: str | None = None
    function: FunctionDelta | None = None


class Citation(WireModel):
    """A citation: the span ``start``..``end`` of the text, and its sources."""

    start: int | None = None
    end: int | None = None
    text: str | None = None
    sources: list[dict[str, Any]] | None = None
    type: str | None = None
    content_index: int | None = None


class EventMessage(WireModel):
    """``delta.message`` of an event (lists on ``message-start``, single pieces after)."""

    role: str | None = None
    content: ContentDelta | list[Any] | None = None
    tool_plan: str | None = None
    tool_calls: ToolCallDelta | list[Any] | None = None
    citations: Citation | list[Any] | None = None


class EventDelta(WireModel):
    """``delta`` of an event."""

    message: EventMessage | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    error: str | None = None


class StreamEvent(WireModel):
    """One event of a streamed v2 chat.

    Attributes:
        type: The event type (see the module docstring).
        index: The content block, tool call or citation this event belongs to.
        id: The response id (on ``message-start``).
        delta: The event's payload.
        raw: The event's exact JSON text (fields not modelled here included).
    """

    type: str
    index: int | None = None
    id: str | None = None
    delta: EventDelta | None = None
    raw: str | None = None


# -- requests ---------------------------------------------------------------------------------


class SystemChatMessageV2(WireModel, tag_field="role", tag="system"):
    """A system message."""

    role: ClassVar[str] = "system"
    content: str | list[Any]


class UserChatMessageV2(WireModel, tag_field="role", tag="user"):
    """A user message."""

    role: ClassVar[str] = "user"
    content: str | list[Any]


class FunctionCall(WireModel):
    """The function of a whole tool call; ``arguments`` is a JSON string."""

    name: str
    arguments: str = ""


class ToolCallV2(WireModel):
    """A whole tool call, as sent back in an assistant message (``type``: ``"function"``)."""

    type: str
    id: str | None = None
    function: FunctionCall | None = None


class TextContent(WireModel, tag_field="type", tag="text"):
    """Text content."""

    text: str


class AssistantChatMessageV2(WireModel, tag_field="role", tag="assistant"):
    """An assistant turn: text, a tool plan and/or tool calls."""

    role: ClassVar[str] = "assistant"
    content: str | list[Any] | None = None
    tool_plan: str | None = None
    tool_calls: list[ToolCallV2] | None = None
    citations: list[Any] | None = None


class ToolChatMessageV2(WireModel, tag_field="role", tag="tool"):
    """A tool result, answering the call ``tool_call_id``."""

    role: ClassVar[str] = "tool"
    tool_call_id: str
    content: str | list[Any]


class ToolV2Function(WireModel):
    """A function the model may call; ``parameters`` is a JSON Schema."""

    name: str
    parameters: dict[str, Any]
    description: str | None = None


class ToolV2(WireModel, omit_defaults=False):
    """A tool definition (``type`` is ``"function"``)."""

    function: ToolV2Function
    type: str = "function"


# -- whole responses --------------------------------------------------------------------------


class ResponseMessage(WireModel):
    """The assistant message of a whole response."""

    role: str = "assistant"
    content: list[Any] | None = None
    tool_plan: str | None = None
    tool_calls: list[ToolCallV2] | None = None
    citations: list[Any] | None = None


class ChatResponse(WireModel):
    """A non-streamed v2 chat response."""

    id: str = ""
    finish_reason: str | None = None
    message: ResponseMessage | None = None
    usage: Usage | None = None
