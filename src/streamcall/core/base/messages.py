"""Provider-neutral messages and prompt templates.

A decorated function may return a prompt string (one user message), a list of messages, or a
dynamic config; ``@prompt_template("...")`` turns a template into messages. Templates use
``{placeholders}`` filled from the function's arguments (and ``computed_fields``), and may split
into roles with lines ``SYSTEM:``, ``USER:``, ``ASSISTANT:``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

__all__ = ["BaseMessageParam", "prompt_template", "render_template"]

F = TypeVar("F", bound=Callable[..., Any])
_ROLE_LINE = re.compile(r"^[ \t]*(SYSTEM|USER|ASSISTANT|TOOL)[ \t]*:[ \t]*", re.M)


class BaseMessageParam(msgspec.Struct, kw_only=True):
    """A message in neutral form: ``role`` and ``content`` (text, or a list of parts)."""

    role: str
    content: str | list[Any]


def prompt_template(template: str | None = None) -> Callable[[F], F]:
    """Attach a template to a function; its placeholders are filled from the call's arguments."""

    def decorator(fn: F) -> F:
        fn._prompt_template = template  # type: ignore[attr-defined]
        return fn

    return decorator


def render_template(template: str, values: dict[str, Any]) -> list[BaseMessageParam]:
    """Messages from a template: split on role lines, then fill ``{placeholders}``."""
    import inspect

    try:
        text = inspect.cleandoc(template).format(**values)
    except KeyError as exc:
        raise ValueError(f"prompt template needs a value for {exc.args[0]!r}") from None
    parts = _ROLE_LINE.split(text)
    if len(parts) == 1:
        return [BaseMessageParam(role="user", content=_dedent(text))]
    messages = []
    if parts[0].strip():
        messages.append(BaseMessageParam(role="user", content=_dedent(parts[0])))
    for role, content in zip(parts[1::2], parts[2::2], strict=True):
        messages.append(BaseMessageParam(role=role.lower(), content=_dedent(content)))
    return messages


def _dedent(text: str) -> str:
    import inspect

    return inspect.cleandoc(text)
