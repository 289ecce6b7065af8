"""Cohere calls: ``@cohere_call("command-r-plus", stream=True)`` (v2 chat, tools stream too)."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.cohere import _types
from streamcall.core.cohere._types import *  # noqa: F403 - the names of its __all__

if TYPE_CHECKING:
    from streamcall.core.cohere.tool import CohereTool as CohereTool

__all__ = [*_types.__all__, "CohereTool"]

# CohereTool is a pydantic model, imported on first use (keeps this import fast).
__getattr__ = lazy_exports(__name__, CohereTool="streamcall.core.cohere.tool:CohereTool")
