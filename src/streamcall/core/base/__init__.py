"""The provider-neutral call layer, as in ``mirascope.core.base``."""

from typing import TYPE_CHECKING

from streamcall.core.base._accumulate import Usage
from streamcall.core.base._lazy import lazy_exports
from streamcall.core.base.call_response import BaseCallResponse
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk
from streamcall.core.base.cost import CostMetadata
from streamcall.core.base.messages import BaseMessageParam, Messages, prompt_template
from streamcall.core.base.stream import BaseStream, ReplayWarning, StreamState
from streamcall.core.base.types import (
    BaseCallParams,
    BaseDynamicConfig,
    CommonCallParams,
    LocalProvider,
    Metadata,
    Provider,
    StreamConfig,
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
    "CommonCallParams",
    "CostMetadata",
    "LocalProvider",
    "Messages",
    "Metadata",
    "Provider",
    "ReplayWarning",
    "StreamConfig",
    "StreamEvent",
    "StreamState",
    "Usage",
    "prompt_template",
    "toolkit_tool",
]


if TYPE_CHECKING:
    from streamcall.core.base.events import StreamEvent
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.base.toolkit import BaseToolKit, toolkit_tool

# BaseTool and the toolkits are pydantic models: importing pydantic only when tools are used
# keeps `import streamcall.core.<provider>` fast.
__getattr__ = lazy_exports(
    __name__,
    BaseTool="streamcall.core.base.tool:BaseTool",
    StreamEvent="streamcall.core.base.events:StreamEvent",
    BaseToolKit="streamcall.core.base.toolkit:BaseToolKit",
    toolkit_tool="streamcall.core.base.toolkit:toolkit_tool",
)
