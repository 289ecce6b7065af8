"""The call layer: ``streamcall.core.<provider>`` holds each provider's ``<provider>_call``.

Re-exports ``prompt_template`` and the base names, as ``mirascope.core`` does.
"""

from typing import TYPE_CHECKING, Any

from streamcall.core.base import (
    BaseCallParams,
    BaseCallResponse,
    BaseCallResponseChunk,
    BaseDynamicConfig,
    BaseMessageParam,
    BaseStream,
    CostMetadata,
    Metadata,
    Usage,
    prompt_template,
)

__all__ = [
    "BaseCallParams",
    "BaseCallResponse",
    "BaseCallResponseChunk",
    "BaseDynamicConfig",
    "BaseMessageParam",
    "BaseStream",
    "BaseTool",
    "CostMetadata",
    "Metadata",
    "Usage",
    "prompt_template",
]


if TYPE_CHECKING:
    from streamcall.core.base.tool import BaseTool


def __getattr__(name: str) -> Any:
    # BaseTool is a pydantic model: importing pydantic only when tools are used keeps
    # `import streamcall.core.<provider>` fast.
    if name == "BaseTool":
        from streamcall.core.base.tool import BaseTool

        return BaseTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
