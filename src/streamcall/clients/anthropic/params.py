"""The parameters of Anthropic's ``messages.create``, declared once for the sync and async forms
(as the official ``anthropic`` SDK names them)."""

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from streamcall.clients._params import ExtraRequestOptions

__all__ = ["MessageArgs", "MessageCreateParams"]


class MessageCreateParams(TypedDict, total=False):
    """The optional body parameters of a message (``model``, ``max_tokens`` and ``messages``
    are the methods' own). ``None`` is not sent; ``extra_body`` is merged into the body."""

    system: str | list[Any] | None
    temperature: float | None
    top_p: float | None
    top_k: int | None
    stop_sequences: list[str] | None
    tools: Sequence[Any] | None
    tool_choice: Mapping[str, Any] | None
    thinking: Mapping[str, Any] | None
    metadata: Mapping[str, Any] | None
    service_tier: str | None
    extra_body: Mapping[str, Any] | None


class MessageArgs(MessageCreateParams, ExtraRequestOptions, total=False):
    """Every optional keyword of ``messages.create``: body parameters and per-call options."""
