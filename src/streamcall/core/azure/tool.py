"""``AzureTool``: the base class of tools for Azure OpenAI calls (a pydantic model)."""

from __future__ import annotations

from typing import ClassVar

from streamcall.core.openai.tool import OpenAITool

__all__ = ["AzureTool"]


class AzureTool(OpenAITool):
    """A tool for Azure OpenAI calls (the OpenAI tool shape)."""

    __provider__: ClassVar[str] = "azure"
