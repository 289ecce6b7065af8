"""The provider-neutral call layer, as in ``mirascope.core.base``."""

from typing import TYPE_CHECKING, Any

from streamcall.core.base._accumulate import Usage
from streamcall.core.base.call_response import BaseCallResponse
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk
from streamcall.core.base.cost import CostMetadata
from streamcall.core.base.messages import BaseMessageParam, Messages, prompt_template
from streamcall.core.base.stream import BaseStream
from streamcall.core.base.types import (
    BaseCallParams,
    BaseDynamicConfig,
    LocalProvider,
    Metadata,
    Provider,
)

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
    "prompt_template",
    "toolkit_tool",
]


if TYPE_CHECKING:
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.base.toolkit import BaseToolKit, toolkit_tool


def __getattr__(name: str) -> Any:
    # BaseTool is a pydantic model: importing pydantic only when tools are used keeps
    # `import streamcall.core.<provider>` fast.
    if name == "BaseTool":
        from streamcall.core.base.tool import BaseTool

        return BaseTool
    if name in ("BaseToolKit", "toolkit_tool"):
        from streamcall.core.base import toolkit

        return getattr(toolkit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
