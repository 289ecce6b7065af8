"""Mistral calls: ``@mistral_call("mistral-large-latest", stream=True)``."""

from typing import TYPE_CHECKING, Any

from streamcall.core.base._call import make_call_decorator
from streamcall.core.mistral._types import (
    MistralCallParams,
    MistralCallResponse,
    MistralCallResponseChunk,
    MistralDynamicConfig,
    MistralSpec,
    MistralStream,
)

mistral_call = make_call_decorator(MistralSpec())

__all__ = [
    "MistralCallParams",
    "MistralCallResponse",
    "MistralCallResponseChunk",
    "MistralDynamicConfig",
    "MistralStream",
    "MistralTool",
    "mistral_call",
]


if TYPE_CHECKING:
    from streamcall.core.mistral.tool import MistralTool


def __getattr__(name: str) -> Any:
    # MistralTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "MistralTool":
        from streamcall.core.mistral.tool import MistralTool

        return MistralTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
