"""``MistralTool``: the base class of tools for Mistral calls (a pydantic model)."""

from __future__ import annotations

from streamcall.core.base.tool import FunctionTool

__all__ = ["MistralTool"]


class MistralTool(FunctionTool):
    """A tool for Mistral calls; ``tool_schema()`` gives the definition it sends."""
