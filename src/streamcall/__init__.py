"""streamcall: streaming-first LLM calls.

Subpackages are imported on demand so that ``import streamcall`` stays cheap:
``streamcall.clients.<provider>`` holds the lean provider clients, ``streamcall.wire`` the
sans-IO decoders, ``streamcall.transport`` the HTTP layer and ``streamcall.errors`` the errors.

As in ``mirascope``, the names a program needs most are here too (``from streamcall import
llm, prompt_template, BaseTool, BaseToolKit, Messages``), each imported on first use.
"""

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BaseDynamicConfig",
    "BaseMessageParam",
    "BaseTool",
    "BaseToolKit",
    "LocalProvider",
    "Messages",
    "Provider",
    "__version__",
    "core",
    "llm",
    "prompt_template",
    "toolkit_tool",
]

_FROM_CORE = frozenset(__all__) - {"__version__", "core", "llm"}

if TYPE_CHECKING:
    from streamcall import core, llm
    from streamcall.core import (
        BaseDynamicConfig,
        BaseMessageParam,
        BaseTool,
        BaseToolKit,
        LocalProvider,
        Messages,
        Provider,
        prompt_template,
        toolkit_tool,
    )


def __getattr__(name: str) -> Any:
    if name in ("core", "llm"):
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FROM_CORE:
        return getattr(importlib.import_module("streamcall.core"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
