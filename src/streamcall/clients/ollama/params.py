"""The parameters of Ollama's ``chat``, declared once for ``chat`` and ``chat_async`` (as the
``ollama`` SDK names them)."""

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from streamcall.clients._params import RequestOptions

__all__ = ["ChatArgs", "OllamaChatParams"]


class OllamaChatParams(TypedDict, total=False):
    """The body parameters of a chat. ``None`` is not sent; ``extra_body`` is merged into the
    body as given."""

    tools: Sequence[Any] | None
    think: bool | str | None
    format: str | Mapping[str, Any] | None
    options: Mapping[str, Any] | None
    keep_alive: str | float | None
    extra_body: Mapping[str, Any] | None


class ChatArgs(OllamaChatParams, RequestOptions, total=False):
    """Every keyword ``chat`` takes besides ``model``, ``messages`` and ``stream``."""
