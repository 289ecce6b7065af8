"""``OpenAITool``: the base class of tools for OpenAI calls (a pydantic model)."""

from __future__ import annotations

from typing import ClassVar

from streamcall.core.base.tool import FunctionTool

__all__ = ["OpenAITool"]


class OpenAITool(FunctionTool):
    """A tool for OpenAI Chat Completions calls; ``tool_schema()`` gives its definition."""

    __provider__: ClassVar[str] = "openai"
