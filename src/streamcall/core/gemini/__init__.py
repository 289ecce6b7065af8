"""Gemini calls: ``@gemini_call("gemini-2.5-flash", stream=True)`` (Google AI Studio)."""

from typing import TYPE_CHECKING, Any

from streamcall.core.base._call import make_call_decorator
from streamcall.core.gemini._types import (
    GeminiCallParams,
    GeminiCallResponse,
    GeminiCallResponseChunk,
    GeminiDynamicConfig,
    GeminiSpec,
    GeminiStream,
)

gemini_call = make_call_decorator(GeminiSpec())

__all__ = [
    "GeminiCallParams",
    "GeminiCallResponse",
    "GeminiCallResponseChunk",
    "GeminiDynamicConfig",
    "GeminiStream",
    "GeminiTool",
    "gemini_call",
]

if TYPE_CHECKING:
    from streamcall.core.gemini.tool import GeminiTool


def __getattr__(name: str) -> Any:
    # GeminiTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "GeminiTool":
        from streamcall.core.gemini.tool import GeminiTool

        return GeminiTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
