"""Mistral calls: ``@mistral_call("mistral-large-latest", stream=True)``."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.mistral._types import *  # noqa: F403
from streamcall.core.mistral._types import __all__ as __all__

if TYPE_CHECKING:
    from streamcall.core.mistral.tool import MistralTool as MistralTool

# The names of _types (type checkers read them from its literal __all__), and the tool class: a
# pydantic model, imported on first use (so that importing this module imports no pydantic).
__all__ = [*__all__, "MistralTool"]
__getattr__ = lazy_exports(__name__, MistralTool="streamcall.core.mistral.tool:MistralTool")
