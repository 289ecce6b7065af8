"""OpenAI calls: ``@openai_call("gpt-4.1-mini", stream=True)`` (Chat Completions), and
``@openai_responses_call("gpt-5-mini", stream=True)`` (the Responses API).

Chat Completions works with OpenAI-compatible servers through ``client=OpenAI(base_url=...)``.
"""

from typing import TYPE_CHECKING

from streamcall.core.base._lazy import lazy_exports
from streamcall.core.openai import _types, responses
from streamcall.core.openai._types import *  # noqa: F403 - Chat Completions
from streamcall.core.openai.responses import *  # noqa: F403 - the Responses API

if TYPE_CHECKING:
    from streamcall.core.openai.tool import OpenAITool as OpenAITool

__all__ = [*_types.__all__, *responses.__all__, "OpenAITool"]

# OpenAITool is a pydantic model, imported on first use (keeps this import fast).
__getattr__ = lazy_exports(__name__, OpenAITool="streamcall.core.openai.tool:OpenAITool")
