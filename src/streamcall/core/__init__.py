"""The call layer: ``streamcall.core.<provider>`` holds each provider's ``<provider>_call``.

As in ``mirascope.core``: ``from streamcall.core import mistral`` then
``@mistral.call("mistral-large-latest", stream=True)``, and the base names (``BaseTool``,
``BaseToolKit``, ``toolkit_tool``, ``prompt_template``, ``Messages``, ...) from here. Provider
modules and the pydantic-based names are imported on first use, so that importing one
provider stays fast.
"""

import importlib
from typing import TYPE_CHECKING, Any

from streamcall.core.base import (
    BaseCallParams,
    BaseCallResponse,
    BaseCallResponseChunk,
    BaseDynamicConfig,
    BaseMessageParam,
    BaseStream,
    CostMetadata,
    LocalProvider,
    Metadata,
    Provider,
    Usage,
    prompt_template,
)
from streamcall.core.base.cost import calculate_cost

__all__ = [
    "BaseCallParams",
    "BaseCallResponse",
    "BaseCallResponseChunk",
    "BaseDynamicConfig",
    "BaseMessageParam",
    "BaseStream",
    "BaseTool",
    "BaseToolKit",
    "CostMetadata",
    "LocalProvider",
    "Messages",
    "Metadata",
    "Provider",
    "Usage",
    "anthropic",
    "azure",
    "calculate_cost",
    "cohere",
    "gemini",
    "local",
    "mistral",
    "ollama",
    "openai",
    "prompt_template",
    "toolkit_tool",
]

_PROVIDER_MODULES = frozenset(
    {"anthropic", "azure", "cohere", "gemini", "local", "mistral", "ollama", "openai"}
)

if TYPE_CHECKING:
    from streamcall.core import (
        anthropic,
        azure,
        cohere,
        gemini,
        local,
        mistral,
        ollama,
        openai,
    )
    from streamcall.core.base.messages import Messages
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.base.toolkit import BaseToolKit, toolkit_tool


def __getattr__(name: str) -> Any:
    # BaseTool and toolkits are pydantic models: importing pydantic only when tools are used
    # keeps `import streamcall.core.<provider>` fast. Provider modules load on first use.
    if name == "BaseTool":
        from streamcall.core.base.tool import BaseTool

        return BaseTool
    if name in ("BaseToolKit", "toolkit_tool"):
        from streamcall.core.base import toolkit

        return getattr(toolkit, name)
    if name == "Messages":
        from streamcall.core.base.messages import Messages

        return Messages
    if name in _PROVIDER_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
