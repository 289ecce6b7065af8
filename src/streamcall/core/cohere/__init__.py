"""Cohere calls: ``@cohere_call("command-r-plus", stream=True)`` (v2 chat, tools stream too)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from streamcall.clients.cohere.models import (
    AssistantChatMessageV2,
    SystemChatMessageV2,
    ToolChatMessageV2,
    UserChatMessageV2,
)
from streamcall.core.base._call import make_call_decorator
from streamcall.core.cohere._types import (
    CohereCallParams,
    CohereCallResponse,
    CohereCallResponseChunk,
    CohereDynamicConfig,
    CohereSpec,
    CohereStream,
)

cohere_call: CallDecorator[CohereStream, CohereCallResponse, CohereCallParams] = (
    make_call_decorator(CohereSpec())
)
call: CallDecorator[CohereStream, CohereCallResponse, CohereCallParams] = cohere_call
"""``cohere.call``, as in ``from streamcall.core import cohere``."""

CohereMessageParam: TypeAlias = (
    AssistantChatMessageV2 | SystemChatMessageV2 | ToolChatMessageV2 | UserChatMessageV2
)
"""A message as the Cohere v2 client accepts (message models; dicts work too)."""
AsyncCohereDynamicConfig: TypeAlias = CohereDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""

__all__ = [
    "AsyncCohereDynamicConfig",
    "CohereCallParams",
    "CohereCallResponse",
    "CohereCallResponseChunk",
    "CohereDynamicConfig",
    "CohereMessageParam",
    "CohereStream",
    "CohereTool",
    "call",
    "cohere_call",
]

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.cohere.tool import CohereTool


def __getattr__(name: str) -> Any:
    # CohereTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "CohereTool":
        from streamcall.core.cohere.tool import CohereTool

        return CohereTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
