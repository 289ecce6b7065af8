"""OpenAI calls: ``@openai_call("gpt-4.1-mini", stream=True)`` (Chat Completions), and
``@openai_responses_call("gpt-5-mini", stream=True)`` (the Responses API).

Chat Completions works with OpenAI-compatible servers through ``client=OpenAI(base_url=...)``.
"""

from typing import TYPE_CHECKING, Any

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

openai_call = make_call_decorator(OpenAISpec())

__all__ = [
    "OpenAICallParams",
    "OpenAICallResponse",
    "OpenAICallResponseChunk",
    "OpenAIDynamicConfig",
    "OpenAIResponsesCallResponse",
    "OpenAIResponsesCallResponseChunk",
    "OpenAIResponsesStream",
    "OpenAIStream",
    "OpenAITool",
    "openai_call",
    "openai_responses_call",
]

if TYPE_CHECKING:
    from streamcall.core.openai.tool import OpenAITool


def __getattr__(name: str) -> Any:
    # OpenAITool is a pydantic model, imported on first use (keeps this import fast).
    if name == "OpenAITool":
        from streamcall.core.openai.tool import OpenAITool

        return OpenAITool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
