"""OpenAI calls: ``@openai_call("gpt-4.1-mini", stream=True)`` (Chat Completions), and
``@openai_responses_call("gpt-5-mini", stream=True)`` (the Responses API).

Chat Completions works with OpenAI-compatible servers through ``client=OpenAI(base_url=...)``.
"""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.openai._types import *  # noqa: F403
from streamcall.core.openai._types import __all__ as __all__
from streamcall.core.openai.responses import (
    OpenAIResponsesCallResponse,
    OpenAIResponsesCallResponseChunk,
    OpenAIResponsesStream,
    openai_responses_call,
)

if TYPE_CHECKING:
    from streamcall.core.openai.tool import OpenAITool as OpenAITool

# The names of _types (Chat Completions; type checkers read them from its literal __all__), the
# Responses API's, and the tool class: a pydantic model, imported on first use (so that
# importing this module imports no pydantic).
__all__ = [
    *__all__,
    "OpenAIResponsesCallResponse",
    "OpenAIResponsesCallResponseChunk",
    "OpenAIResponsesStream",
    "OpenAITool",
    "openai_responses_call",
]
__getattr__ = lazy_exports(__name__, OpenAITool="streamcall.core.openai.tool:OpenAITool")
