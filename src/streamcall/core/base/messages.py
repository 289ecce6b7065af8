"""Provider-neutral messages and prompt templates.

A decorated function may return a prompt string (one user message), a list of messages, or a
dynamic config; ``@prompt_template("...")`` turns a template into messages. Templates use
``{placeholders}`` filled from the function's arguments (and ``computed_fields``), and may split
into roles with lines ``SYSTEM:``, ``USER:``, ``ASSISTANT:``. The template is split into roles
first and each part filled afterwards (Mirascope v1's order): a value can never add a message
or change a role.
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
    """Messages from a template: split on role lines, then fill each message's placeholders.

    The roles and the number of messages come from the template text alone: the template is
    split into role sections before any value is filled in, so a value that contains a line
    such as ``SYSTEM: ...`` stays text inside its own message, verbatim.
    """
    import inspect

    parts = _ROLE_LINE.split(inspect.cleandoc(template))
    sections: list[tuple[str, str]] = []
    if len(parts) == 1 or parts[0].strip():
        sections.append(("user", parts[0]))
    sections.extend(zip((role.lower() for role in parts[1::2]), parts[2::2], strict=True))
    return [
        BaseMessageParam(role=role, content=_fill(inspect.cleandoc(text), values))
        for role, text in sections
    ]


def _fill(text: str, values: dict[str, Any]) -> str:
    try:
        return text.format(**values)
    except KeyError as exc:
        raise ValueError(f"prompt template needs a value for {exc.args[0]!r}") from None
