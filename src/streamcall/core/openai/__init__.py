"""OpenAI calls: ``@openai_call("gpt-4.1-mini", stream=True)`` (Chat Completions), and
``@openai_responses_call("gpt-5-mini", stream=True)`` (the Responses API).

Chat Completions works with OpenAI-compatible servers through ``client=OpenAI(base_url=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from streamcall.core.base._call import make_call_decorator
from streamcall.core.openai._types import (
    OpenAICallParams,
    OpenAICallResponse,
    OpenAICallResponseChunk,
    OpenAIDynamicConfig,
    OpenAISpec,
    OpenAIStream,
)
from streamcall.core.openai.responses import (
    OpenAIResponsesCallResponse,
    OpenAIResponsesCallResponseChunk,
    OpenAIResponsesStream,
    openai_responses_call,
)

openai_call: CallDecorator[OpenAIStream, OpenAICallResponse, OpenAICallParams] = (
    make_call_decorator(OpenAISpec())
)
call: CallDecorator[OpenAIStream, OpenAICallResponse, OpenAICallParams] = openai_call
"""``openai.call``, as in ``from streamcall.core import openai``."""

OpenAIMessageParam: TypeAlias = dict[str, Any]
"""A message as the OpenAI client accepts: ``{"role": ..., "content": ...}`` dicts."""
AsyncOpenAIDynamicConfig: TypeAlias = OpenAIDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""

__all__ = [
    "AsyncOpenAIDynamicConfig",
    "OpenAICallParams",
    "OpenAICallResponse",
    "OpenAICallResponseChunk",
    "OpenAIDynamicConfig",
    "OpenAIMessageParam",
    "OpenAIResponsesCallResponse",
    "OpenAIResponsesCallResponseChunk",
    "OpenAIResponsesStream",
    "OpenAIStream",
    "OpenAITool",
    "call",
    "openai_call",
    "openai_responses_call",
]

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.openai.tool import OpenAITool


def __getattr__(name: str) -> Any:
    # OpenAITool is a pydantic model, imported on first use (keeps this import fast).
    if name == "OpenAITool":
        from streamcall.core.openai.tool import OpenAITool

        return OpenAITool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
