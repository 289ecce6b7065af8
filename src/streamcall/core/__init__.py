"""The call layer: ``streamcall.core.<provider>`` holds each provider's ``<provider>_call``.

Re-exports ``prompt_template`` and the base names, as ``mirascope.core`` does.
"""

from streamcall.core.base import (
    BaseCallParams,
    BaseCallResponse,
    BaseCallResponseChunk,
    BaseDynamicConfig,
    BaseMessageParam,
    BaseStream,
    BaseTool,
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
