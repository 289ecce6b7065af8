"""Gemini calls: ``@gemini_call("gemini-2.5-flash", stream=True)`` (Google AI Studio)."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.gemini._types import *  # noqa: F403
from streamcall.core.gemini._types import __all__ as __all__

if TYPE_CHECKING:
    from streamcall.core.gemini.tool import GeminiTool as GeminiTool

# The names of _types (type checkers read them from its literal __all__), and the tool class: a
# pydantic model, imported on first use (so that importing this module imports no pydantic).
__all__ = [*__all__, "GeminiTool"]
__getattr__ = lazy_exports(__name__, GeminiTool="streamcall.core.gemini.tool:GeminiTool")
