"""``CohereTool``: the base class of tools for Cohere calls (a pydantic model)."""

from __future__ import annotations

from typing import Any, ClassVar

from streamcall.core.base.tool import BaseTool

__all__ = ["CohereTool"]


class CohereTool(BaseTool):
    """A tool for Cohere v2 calls."""

    __provider__: ClassVar[str] = "cohere"

    @classmethod
    def tool_schema(cls) -> dict[str, Any]:
        """The tool definition Cohere v2 expects."""
        return {
            "type": "function",
            "function": {
                "name": cls._name(),
                "description": cls._description(),
                "parameters": cls.parameters_schema(),
            },
        }
