"""Cohere calls: ``@cohere_call("command-r-plus", stream=True)`` (v2 chat, tools stream too)."""

from typing import TYPE_CHECKING, Any

from streamcall.core.base._call import make_call_decorator
from streamcall.core.cohere._types import (
    CohereCallParams,
    CohereCallResponse,
    CohereCallResponseChunk,
    CohereDynamicConfig,
    CohereSpec,
    CohereStream,
)

cohere_call = make_call_decorator(CohereSpec())

__all__ = [
    "CohereCallParams",
    "CohereCallResponse",
    "CohereCallResponseChunk",
    "CohereDynamicConfig",
    "CohereStream",
    "CohereTool",
    "cohere_call",
]

if TYPE_CHECKING:
    from streamcall.core.cohere.tool import CohereTool


def __getattr__(name: str) -> Any:
    # CohereTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "CohereTool":
        from streamcall.core.cohere.tool import CohereTool

        return CohereTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
