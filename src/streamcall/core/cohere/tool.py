"""``CohereTool``: the base class of tools for Cohere calls (a pydantic model)."""

from __future__ import annotations

from typing import ClassVar

from streamcall.core.base.tool import FunctionTool

__all__ = ["CohereTool"]


class CohereTool(FunctionTool):
    """A tool for Cohere v2 calls; ``tool_schema()`` gives the definition it sends."""

    __provider__: ClassVar[str] = "cohere"
