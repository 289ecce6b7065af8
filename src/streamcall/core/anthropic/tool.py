"""``AnthropicTool``: the base class of tools for Anthropic calls (a pydantic model)."""

from __future__ import annotations

from typing import Any, ClassVar

from streamcall.core.base.tool import BaseTool

__all__ = ["AnthropicTool"]


class AnthropicTool(BaseTool):
    """A tool for Anthropic Messages calls: ``{name, description, input_schema}``."""

    __provider__: ClassVar[str] = "anthropic"

    @classmethod
    def tool_schema(cls) -> dict[str, Any]:
        """The tool definition Anthropic expects."""
        return {
            "name": cls._name(),
            "description": cls._description(),
            "input_schema": cls.parameters_schema(),
        }
