"""streamcall: streaming-first LLM calls.

Subpackages are imported on demand so that ``import streamcall`` stays cheap:
``streamcall.clients.<provider>`` holds the lean provider clients, ``streamcall.wire`` the
sans-IO decoders, ``streamcall.transport`` the HTTP layer and ``streamcall.errors`` the errors.

As in ``mirascope``, the names a program needs most are here too (``from streamcall import
llm, prompt_template, BaseTool, BaseToolKit, Messages``), each imported on first use.
``streamcall.warm_up()`` pays at a service's start-up what its first request would (httpx2's
import and the SSL context, shared by every client).
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
    "warm_up",
]

_FROM_CORE = frozenset(__all__) - {"__version__", "core", "llm", "warm_up"}

if TYPE_CHECKING:
    from streamcall import core, llm
    from streamcall.clients._base import warm_up
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
    if name == "warm_up":  # for services: httpx2 and the shared SSL context, before a request
        return importlib.import_module("streamcall.clients._base").warm_up
    if name in _FROM_CORE:
        return getattr(importlib.import_module("streamcall.core"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
