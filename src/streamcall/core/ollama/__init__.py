"""Ollama calls: ``@ollama_call("llama3.2", stream=True)`` (native ``/api/chat``)."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.ollama import _types
from streamcall.core.ollama._types import *  # noqa: F403 - the names of its __all__

if TYPE_CHECKING:
    from streamcall.core.ollama.tool import OllamaTool as OllamaTool

__all__ = [*_types.__all__, "OllamaTool"]

# OllamaTool is a pydantic model, imported on first use (keeps this import fast).
__getattr__ = lazy_exports(__name__, OllamaTool="streamcall.core.ollama.tool:OllamaTool")
