"""Anthropic calls: ``@anthropic_call("claude-sonnet-4-5", stream=True)`` (Messages API)."""

from typing import TYPE_CHECKING

from streamcall.core.anthropic import _types
from streamcall.core.anthropic._types import *  # noqa: F403 - the names of its __all__
from streamcall.core.base._lazy import lazy_exports

if TYPE_CHECKING:
    from streamcall.core.anthropic.tool import AnthropicTool as AnthropicTool

__all__ = [*_types.__all__, "AnthropicTool"]

# AnthropicTool is a pydantic model, imported on first use (keeps this import fast).
__getattr__ = lazy_exports(__name__, AnthropicTool="streamcall.core.anthropic.tool:AnthropicTool")
