"""``GeminiTool``: the base class of tools for Gemini calls (a pydantic model)."""

from __future__ import annotations

from typing import Any

from streamcall.core.base.tool import BaseTool

__all__ = ["GeminiTool"]

_UNSUPPORTED = frozenset({"title", "default", "additionalProperties", "$schema"})


def _clean(schema: Any) -> Any:
    """The schema without the keys Gemini's ``parameters`` rejects."""
    if isinstance(schema, dict):
        return {k: _clean(v) for k, v in schema.items() if k not in _UNSUPPORTED}
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


class GeminiTool(BaseTool):
    """A tool for Gemini calls: a ``functionDeclarations`` entry."""

    @classmethod
    def tool_schema(cls) -> dict[str, Any]:
        """The function declaration Gemini expects."""
        return {
            "name": cls._name(),
            "description": cls._description(),
            "parameters": _clean(cls.parameters_schema()),
        }
