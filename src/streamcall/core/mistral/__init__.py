"""Mistral calls: ``@mistral_call("mistral-large-latest", stream=True)``."""

from streamcall.core.base._call import make_call_decorator
from streamcall.core.mistral._types import (
    MistralCallParams,
    MistralCallResponse,
    MistralCallResponseChunk,
    MistralDynamicConfig,
    MistralSpec,
    MistralStream,
    MistralTool,
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
