"""Ollama calls: ``@ollama_call("llama3.2", stream=True)`` (native ``/api/chat``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from streamcall.core.base._call import make_call_decorator
from streamcall.core.ollama._types import (
    OllamaCallParams,
    OllamaCallResponse,
    OllamaCallResponseChunk,
    OllamaDynamicConfig,
    OllamaSpec,
    OllamaStream,
)

ollama_call: CallDecorator[OllamaStream, OllamaCallResponse, OllamaCallParams] = (
    make_call_decorator(OllamaSpec())
)
call: CallDecorator[OllamaStream, OllamaCallResponse, OllamaCallParams] = ollama_call
"""``ollama.call``, as in ``from streamcall.core import ollama``."""

OllamaMessageParam: TypeAlias = dict[str, Any]
"""A message as the Ollama client accepts: ``{"role": ..., "content": ...}`` dicts."""
AsyncOllamaDynamicConfig: TypeAlias = OllamaDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""

__all__ = [
    "AsyncOllamaDynamicConfig",
    "OllamaCallParams",
    "OllamaCallResponse",
    "OllamaCallResponseChunk",
    "OllamaDynamicConfig",
    "OllamaMessageParam",
    "OllamaStream",
    "OllamaTool",
    "call",
    "ollama_call",
]

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.ollama.tool import OllamaTool


def __getattr__(name: str) -> Any:
    # OllamaTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "OllamaTool":
        from streamcall.core.ollama.tool import OllamaTool

        return OllamaTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
