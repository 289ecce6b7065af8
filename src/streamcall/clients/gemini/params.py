"""The parameters of Gemini's ``generate_content(_stream)`` calls, declared once for them and
their ``_async`` forms (as the ``google-genai`` SDK names them)."""

from collections.abc import Mapping
from typing import Any, TypedDict

from streamcall.clients._params import RequestOptions

__all__ = ["ContentArgs", "GenerateContentParams"]


class GenerateContentParams(TypedDict, total=False):
    """The body parameters besides ``contents``.

    ``config`` holds ``generationConfig`` keys (``temperature``, ``maxOutputTokens``,
    ``thinkingConfig``, ``responseMimeType``, ...) plus ``systemInstruction``, ``tools``,
    ``toolConfig`` and ``safetySettings``, in the API's camelCase.
    """

    config: Mapping[str, Any] | None


class ContentArgs(GenerateContentParams, RequestOptions, total=False):
    """Every keyword a ``generate_content`` method takes besides ``model`` and ``contents``."""
