"""Anthropic calls: ``@anthropic_call("claude-sonnet-4-5", stream=True)`` (Messages API)."""

from typing import TYPE_CHECKING, Any

from streamcall.core.anthropic._types import (
    AnthropicCallParams,
    AnthropicCallResponse,
    AnthropicCallResponseChunk,
    AnthropicDynamicConfig,
    AnthropicSpec,
    AnthropicStream,
)
from streamcall.core.base._call import make_call_decorator

anthropic_call = make_call_decorator(AnthropicSpec())

__all__ = [
    "AnthropicCallParams",
    "AnthropicCallResponse",
    "AnthropicCallResponseChunk",
    "AnthropicDynamicConfig",
    "AnthropicStream",
    "AnthropicTool",
    "anthropic_call",
]

if TYPE_CHECKING:
    from streamcall.core.anthropic.tool import AnthropicTool


def __getattr__(name: str) -> Any:
    # AnthropicTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "AnthropicTool":
        from streamcall.core.anthropic.tool import AnthropicTool

        return AnthropicTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
