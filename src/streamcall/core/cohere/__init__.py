"""Cohere calls: ``@cohere_call("command-r-plus", stream=True)`` (v2 chat, tools stream too)."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.cohere._types import *  # noqa: F403
from streamcall.core.cohere._types import __all__ as __all__

if TYPE_CHECKING:
    from streamcall.core.cohere.tool import CohereTool as CohereTool

# The names of _types (type checkers read them from its literal __all__), and the tool class: a
# pydantic model, imported on first use (so that importing this module imports no pydantic).
__all__ = [*__all__, "CohereTool"]
__getattr__ = lazy_exports(__name__, CohereTool="streamcall.core.cohere.tool:CohereTool")
