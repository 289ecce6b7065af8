"""Gemini calls: ``@gemini_call("gemini-2.5-flash", stream=True)`` (Google AI Studio)."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.gemini import _types
from streamcall.core.gemini._types import *  # noqa: F403 - the names of its __all__

if TYPE_CHECKING:
    from streamcall.core.gemini.tool import GeminiTool as GeminiTool

__all__ = [*_types.__all__, "GeminiTool"]

# GeminiTool is a pydantic model, imported on first use (keeps this import fast).
__getattr__ = lazy_exports(__name__, GeminiTool="streamcall.core.gemini.tool:GeminiTool")
