"""OpenAI Responses API wire models (``POST /v1/responses``, streamed).

A streamed response is a sequence of :class:`ResponseStreamEvent` objects whose ``type`` is
``response.created``, ``response.output_item.added``, ``response.output_text.delta``,
``response.function_call_arguments.delta``, ``response.reasoning_summary_text.delta``, ...,
and finally ``response.completed``, ``response.incomplete`` or ``response.failed`` (which
carries the :class:`Response` with its ``usage``). An ``error`` event may come before
``response.failed``; its details sit at the top level (the spec) or under ``error`` (captures):
both are read. ``raw`` keeps each event's exact JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec

from streamcall.clients._wire_model import WireModel

__all__ = [
    "InputTokensDetails",
    "OutputItem",
    "OutputTokensDetails",
    "Response",
    "ResponseError",
    "ResponseStreamEvent",
    "ResponseUsage",
]


class InputTokensDetails(WireModel, repr_omit_defaults=True):
    """Breakdown of input tokens."""

    cached_tokens: int | None = None


class OutputTokensDetails(WireModel, repr_omit_defaults=True):
    """Breakdown of output tokens."""

    reasoning_tokens: int | None = None


class ResponseUsage(WireModel, repr_omit_defaults=True):
    """Usage of a whole response (on the terminal event)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    input_tokens_details: InputTokensDetails | None = None
    output_tokens_details: OutputTokensDetails | None = None


class OutputItem(WireModel):
    """An output item: ``message``, ``function_call`` (``call_id``, ``name``, ``arguments``),
    ``reasoning`` (``summary``), or a type added later."""

    type: str
    id: str | None = None
    status: str | None = None
    role: str | None = None
    content: list[Any] | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | None = None
    summary: list[Any] | None = None
    encrypted_content: str | None = None


class ResponseError(WireModel):
    """An error's details."""

    code: str | None = None
    message: str | None = None
    type: str | None = None
    param: str | None = None


class Response(WireModel):
    """A response object (on created / completed / incomplete / failed events)."""

    id: str = ""
    object: str | None = None
    created_at: float | None = None
    status: str | None = None
    model: str = ""
    output: list[OutputItem] = msgspec.field(default_factory=list)
    usage: ResponseUsage | None = None
    error: ResponseError | None = None
    incomplete_details: dict[str, Any] | None = None


class ResponseStreamEvent(WireModel):
    """One event of a streamed response (see the module docstring)."""

    type: str
    sequence_number: int | None = None
    response: Response | None = None
    item: OutputItem | None = None
    item_id: str | None = None
    output_index: int | None = None
    content_index: int | None = None
    summary_index: int | None = None
    delta: str | None = None
    text: str | None = None
    arguments: str | None = None
    error: ResponseError | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None
    raw: str | None = None
