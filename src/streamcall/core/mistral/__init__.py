"""Mistral calls: ``@mistral_call("mistral-large-latest", stream=True)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from streamcall.clients.mistral.models import (
    AssistantMessage,
    SystemMessage,
    ToolMessage,
    UserMessage,
)
from streamcall.core.base._call import make_call_decorator
from streamcall.core.mistral._types import (
    MistralCallParams,
    MistralCallResponse,
    MistralCallResponseChunk,
    MistralDynamicConfig,
    MistralSpec,
    MistralStream,
)

mistral_call: CallDecorator[MistralStream, MistralCallResponse, MistralCallParams] = (
    make_call_decorator(MistralSpec())
)
call: CallDecorator[MistralStream, MistralCallResponse, MistralCallParams] = mistral_call
"""``mistral.call``, as in ``from streamcall.core import mistral``."""

MistralMessageParam: TypeAlias = AssistantMessage | SystemMessage | ToolMessage | UserMessage
"""A message as the Mistral client accepts (message models; dicts work too)."""

__all__ = [
    "MistralCallParams",
    "MistralCallResponse",
    "MistralCallResponseChunk",
    "MistralDynamicConfig",
    "MistralMessageParam",
    "MistralStream",
    "MistralTool",
    "call",
    "mistral_call",
]


if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.mistral.tool import MistralTool


def __getattr__(name: str) -> Any:
    # MistralTool is a pydantic model, imported on first use (keeps this import fast).
    if name == "MistralTool":
        from streamcall.core.mistral.tool import MistralTool

        return MistralTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
