"""``LocalTool``: the base class of tools for local-model calls (a pydantic model)."""

from __future__ import annotations

from typing import ClassVar

from streamcall.core.openai.tool import OpenAITool

__all__ = ["LocalTool"]


class LocalTool(OpenAITool):
    """A tool for local-model calls (the OpenAI tool shape)."""

    __provider__: ClassVar[str] = "local"
