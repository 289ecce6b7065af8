"""``MistralTool``: the base class of tools for Mistral calls (a pydantic model)."""

from __future__ import annotations

from typing import Any, ClassVar

from streamcall.core.base.tool import BaseTool

__all__ = ["MistralTool"]


class MistralTool(BaseTool):
    """A tool for Mistral calls."""

    __provider__: ClassVar[str] = "mistral"

    @classmethod
    def tool_schema(cls) -> dict[str, Any]:
        """The tool definition Mistral expects."""
        return {
            "type": "function",
            "function": {
                "name": cls._name(),
                "description": cls._description(),
                "parameters": cls.parameters_schema(),
            },
        }
