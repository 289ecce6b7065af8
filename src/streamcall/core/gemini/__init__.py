"""Gemini calls: ``@gemini_call("gemini-2.5-flash", stream=True)`` (Google AI Studio)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from streamcall.core.base._call import make_call_decorator
from streamcall.core.gemini._types import (
    GeminiCallParams,
    GeminiCallResponse,
    GeminiCallResponseChunk,
    GeminiDynamicConfig,
    GeminiSpec,
    GeminiStream,
)

gemini_call: CallDecorator[GeminiStream, GeminiCallResponse, GeminiCallParams] = (
    make_call_decorator(GeminiSpec())
)
call: CallDecorator[GeminiStream, GeminiCallResponse, GeminiCallParams] = gemini_call
"""``gemini.call``, as in ``from streamcall.core import gemini``."""

GeminiMessageParam: TypeAlias = dict[str, Any]
"""A message as the Gemini client accepts: ``{"role": ..., "parts": [...]}`` dicts."""

__all__ = [
    "GeminiCallParams",
    "GeminiCallResponse",
    "GeminiCallResponseChunk",
    "GeminiDynamicConfig",
    "GeminiMessageParam",
    "GeminiStream",
    "GeminiTool",
    "call",
    "gemini_call",
]

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.gemini.tool import GeminiTool


def __getattr__(name: str) -> Any:
    # GeminiTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "GeminiTool":
        from streamcall.core.gemini.tool import GeminiTool

        return GeminiTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
