"""Anthropic calls: ``@anthropic_call("claude-sonnet-4-5", stream=True)`` (Messages API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from streamcall.core.anthropic._types import (
    AnthropicCallParams,
    AnthropicCallResponse,
    AnthropicCallResponseChunk,
    AnthropicDynamicConfig,
    AnthropicSpec,
    AnthropicStream,
)
from streamcall.core.base._call import make_call_decorator

anthropic_call: CallDecorator[AnthropicStream, AnthropicCallResponse, AnthropicCallParams] = (
    make_call_decorator(AnthropicSpec())
)
call: CallDecorator[AnthropicStream, AnthropicCallResponse, AnthropicCallParams] = anthropic_call
"""``anthropic.call``, as in ``from streamcall.core import anthropic``."""

AnthropicMessageParam: TypeAlias = dict[str, Any]
"""A message as the Anthropic client accepts: ``{"role": ..., "content": ...}`` dicts."""
AsyncAnthropicDynamicConfig: TypeAlias = AnthropicDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""

__all__ = [
    "AnthropicCallParams",
    "AnthropicCallResponse",
    "AnthropicCallResponseChunk",
    "AnthropicDynamicConfig",
    "AnthropicMessageParam",
    "AnthropicStream",
    "AnthropicTool",
    "AsyncAnthropicDynamicConfig",
    "anthropic_call",
    "call",
]

if TYPE_CHECKING:
    from streamcall.core.anthropic.tool import AnthropicTool
    from streamcall.core.base._typing import CallDecorator


def __getattr__(name: str) -> Any:
    # AnthropicTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "AnthropicTool":
        from streamcall.core.anthropic.tool import AnthropicTool

        return AnthropicTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
