"""Anthropic calls: ``@anthropic_call("claude-sonnet-4-5", stream=True)`` (Messages API)."""

from typing import TYPE_CHECKING

from streamcall.core.anthropic._types import *  # noqa: F403
from streamcall.core.anthropic._types import __all__ as __all__
from streamcall.core.base._lazy import lazy_exports

if TYPE_CHECKING:
    from streamcall.core.anthropic.tool import AnthropicTool as AnthropicTool

# The names of _types (type checkers read them from its literal __all__), and the tool class: a
# pydantic model, imported on first use (so that importing this module imports no pydantic).
__all__ = [*__all__, "AnthropicTool"]
__getattr__ = lazy_exports(__name__, AnthropicTool="streamcall.core.anthropic.tool:AnthropicTool")
