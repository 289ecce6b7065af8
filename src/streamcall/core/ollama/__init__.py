"""Ollama calls: ``@ollama_call("llama3.2", stream=True)`` (native ``/api/chat``)."""

from typing import TYPE_CHECKING, Any

from streamcall.core.base._call import make_call_decorator
from streamcall.core.ollama._types import (
    OllamaCallParams,
    OllamaCallResponse,
    OllamaCallResponseChunk,
    OllamaDynamicConfig,
    OllamaSpec,
    OllamaStream,
)

ollama_call = make_call_decorator(OllamaSpec())

__all__ = [
    "OllamaCallParams",
    "OllamaCallResponse",
    "OllamaCallResponseChunk",
    "OllamaDynamicConfig",
    "OllamaStream",
    "OllamaTool",
    "ollama_call",
]

if TYPE_CHECKING:
    from streamcall.core.ollama.tool import OllamaTool


def __getattr__(name: str) -> Any:
    # OllamaTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "OllamaTool":
        from streamcall.core.ollama.tool import OllamaTool

        return OllamaTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
