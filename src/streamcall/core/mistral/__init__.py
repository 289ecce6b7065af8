"""Mistral calls: ``@mistral_call("mistral-large-latest", stream=True)``."""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.mistral import _types
from streamcall.core.mistral._types import *  # noqa: F403 - the names of its __all__

if TYPE_CHECKING:
    from streamcall.core.mistral.tool import MistralTool as MistralTool

__all__ = [*_types.__all__, "MistralTool"]

# MistralTool is a pydantic model, imported on first use (keeps this import fast).
__getattr__ = lazy_exports(__name__, MistralTool="streamcall.core.mistral.tool:MistralTool")
