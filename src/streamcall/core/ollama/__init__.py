"""Ollama calls: ``@ollama_call("llama3.2", stream=True)`` (native ``/api/chat``)."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.ollama._types import *  # noqa: F403
from streamcall.core.ollama._types import __all__ as __all__

if TYPE_CHECKING:
    from streamcall.core.ollama.tool import OllamaTool as OllamaTool

# The names of _types (type checkers read them from its literal __all__), and the tool class: a
# pydantic model, imported on first use (so that importing this module imports no pydantic).
__all__ = [*__all__, "OllamaTool"]
__getattr__ = lazy_exports(__name__, OllamaTool="streamcall.core.ollama.tool:OllamaTool")
