"""``OllamaTool``: the base class of tools for Ollama calls (a pydantic model)."""

from __future__ import annotations

from streamcall.core.base.tool import FunctionTool

__all__ = ["OllamaTool"]


class OllamaTool(FunctionTool):
    """A tool for Ollama chat calls; ``tool_schema()`` gives its definition."""
