"""Provider-neutral messages and prompt templates.

A decorated function may return a prompt string (one user message), a message
(``Messages.System("...")``), a list of messages, or a dynamic config;
``@prompt_template("...")`` turns a template into messages. Templates use ``{placeholders}``
filled from the function's arguments (and ``computed_fields``), and split into roles with the
keywords ``SYSTEM:``, ``USER:``, ``ASSISTANT:`` (at the start of a line or after a space, as in
Mirascope v1); ``MESSAGES: {history}`` inserts the list of messages ``history`` at that point.
The template is split into role sections first and each part filled afterwards (Mirascope v1's
order): a value can never add a message or change a role.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import msgspec

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

__all__ = ["BaseMessageParam", "Messages", "prompt_template", "render_template", "text_of"]

F = TypeVar("F", bound=Callable[..., Any])
# A role keyword opens a section at the start of a line, or after a space or tab as in
# Mirascope v1 (there `KEYWORD:` exactly, and not TOOL, which Mirascope does not know); the
# text before the first keyword (if any) is a user message.
_ROLE_LINE = re.compile(
    r"(?:^[ \t]*(SYSTEM|USER|ASSISTANT|TOOL|MESSAGES)[ \t]*"
    r"|(?<=[ \t])(SYSTEM|USER|ASSISTANT|MESSAGES)):[ \t]*",
    re.M,
)


class BaseMessageParam(msgspec.Struct, kw_only=True):
    """A message in neutral form: ``role`` and ``content`` (text, or a list of parts).

    Usable as a pydantic field type (``history: list[BaseMessageParam] = []``): pydantic
    validates instances and ``{"role": ..., "content": ...}`` dicts, and dumps each message as
    such a dict. pydantic is imported only when a model that uses it is built.
    """

    role: str
    content: str | list[Any]

    def __str__(self) -> str:
        # As pydantic (and so Mirascope v1) prints it: role='user' content='...'.
        return f"role={self.role!r} content={self.content!r}"

    def model_dump(self) -> dict[str, Any]:
        """The message as a plain dict (``role`` and ``content``)."""
        return {"role": self.role, "content": self.content}

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema as cs

        fields = cs.typed_dict_schema(
            {
                "role": cs.typed_dict_field(cs.str_schema()),
                "content": cs.typed_dict_field(
                    cs.union_schema([cs.str_schema(), cs.list_schema(cs.any_schema())])
                ),
            },
            # A dict with more keys (a provider message with tool calls) is not a
            # BaseMessageParam: in `list[BaseMessageParam | MistralMessageParam]` it goes to
            # the provider type instead of losing its other keys.
            extra_behavior="forbid",
        )
        from_dict = cs.chain_schema(
            [fields, cs.no_info_plain_validator_function(lambda data: cls(**data))]
        )
        return cs.json_or_python_schema(
            json_schema=from_dict,
            python_schema=cs.union_schema([cs.is_instance_schema(cls), from_dict]),
            serialization=cs.plain_serializer_function_ser_schema(_dump_message),
        )


def _dump_message(message: Any) -> Any:
    if isinstance(message, BaseMessageParam):
        return {"role": message.role, "content": message.content}
    if isinstance(message, msgspec.Struct):
        return msgspec.to_builtins(message)
    return message


def _content(content: str | Sequence[Any]) -> str | list[Any]:
    """Message content as ``Messages.*`` takes it: text, or parts (strings become text parts)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, Sequence):
        raise TypeError(
            f"message content must be a string or a sequence of parts, got {type(content).__name__}"
        )
    parts: list[Any] = []
    for part in content:
        if isinstance(part, str):
            parts.append({"type": "text", "text": part})
        elif isinstance(part, Mapping):
            parts.append(dict(part))
        else:
            raise TypeError(f"a content part must be a string or a dict, got {type(part).__name__}")
    return parts


def text_of(content: Any) -> str | None:
    """The text of message content: a string, or the joined text of a list of text parts
    (``{"type": "text", "text": ...}``, as ``Messages.User(["a", "b"])`` makes); ``None`` when
    the content holds anything else."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(
        isinstance(p, Mapping) and p.get("type") == "text" and isinstance(p.get("text"), str)
        for p in content
    ):
        return "\n".join(p["text"] for p in content)
    return None


class Messages:
    """Build messages by role, as Mirascope v1's ``Messages``: ``Messages.System("...")``.

    A decorated function may return one of these or a list of them. ``Messages.Type`` is the
    annotation for what such a function returns.
    """

    Type: TypeAlias = str | Sequence[Any] | list[BaseMessageParam | Any] | BaseMessageParam

    @classmethod
    def System(cls, content: str | Sequence[Any]) -> BaseMessageParam:
        """A system message."""
        return BaseMessageParam(role="system", content=_content(content))

    @classmethod
    def User(cls, content: str | Sequence[Any]) -> BaseMessageParam:
        """A user message."""
        return BaseMessageParam(role="user", content=_content(content))

    @classmethod
    def Assistant(cls, content: str | Sequence[Any]) -> BaseMessageParam:
        """An assistant message."""
        return BaseMessageParam(role="assistant", content=_content(content))


def is_message(value: object) -> bool:
    """Whether ``value`` is a message (not text or a content part): a ``BaseMessageParam``, a
    dict, a provider message model, or a list of items (an OpenAI Responses ``message_param``)."""
    return isinstance(value, BaseMessageParam | Mapping | msgspec.Struct | list) or callable(
        getattr(value, "model_dump", None)
    )


def as_messages(returned: Any) -> list[Any]:
    """What a decorated function returned, as messages (Mirascope v1's rules).

    A string is one user message; a message is a list of one; a list whose items are all
    messages is kept as it is; any other sequence (strings, content parts) is one user
    message with those parts.
    """
    if isinstance(returned, str):
        return [BaseMessageParam(role="user", content=returned)]
    if isinstance(returned, BaseMessageParam):
        return [returned]
    items = list(returned)
    if all(is_message(item) for item in items):
        return items
    return [Messages.User(items)]


def prompt_template(template: str | None = None) -> Callable[[F], F]:
    """Attach a template to a function; its placeholders are filled from the call's arguments."""

    def decorator(fn: F) -> F:
        fn._prompt_template = template  # type: ignore[attr-defined]
        return fn

    return decorator


def render_template(template: str, values: dict[str, Any]) -> list[Any]:
    """Messages from a template: split on role keywords, then fill each message's placeholders.

    The roles come from the template text alone: the template is split into role sections
    before any value is filled in, so a value that contains a line such as ``SYSTEM: ...``
    stays text inside its own message, verbatim. As in Mirascope v1, a section that is empty
    once filled is left out (an agent's follow-up turn ``USER: {query}`` with ``query=""``
    after tool results sends no empty user message), and a ``None`` value fills in as ``""``.
    A ``MESSAGES:`` section names a list of messages (``MESSAGES: {history}`` or
    ``{self.history}``) that is inserted there as it is.
    """
    import inspect

    text = inspect.cleandoc(template)
    matches = list(_ROLE_LINE.finditer(text))
    sections: list[tuple[str, str]] = []
    if not matches or text[: matches[0].start()].strip():
        sections.append(("user", text[: matches[0].start()] if matches else text))
    ends = [m.start() for m in matches[1:]] + [len(text)]
    for match, end in zip(matches, ends, strict=False):  # no keyword: no section here
        sections.append(((match.group(1) or match.group(2)).lower(), text[match.end() : end]))
    messages: list[Any] = []
    for role, text in sections:
        if role == "messages":
            messages.extend(_history(text, values))
        else:
            content = _fill(inspect.cleandoc(text).rstrip(" \t"), values)
            if content:
                messages.append(BaseMessageParam(role=role, content=content))
    return messages


def _history(text: str, values: dict[str, Any]) -> list[Any]:
    """The list of messages a ``MESSAGES:`` section names (its first placeholder)."""
    from string import Formatter

    names = [name for _, name, _, _ in Formatter().parse(text) if name]
    if not names:
        raise ValueError(
            "MESSAGES: must be followed by a placeholder naming a list of messages, "
            "e.g. 'MESSAGES: {history}'"
        )
    name = names[0]
    first, *attributes = name.split(".")
    if first not in values:
        raise ValueError(f"prompt template needs a value for {first!r}")
    value = values[first]
    for attribute in attributes:
        value = getattr(value, attribute)
    if not isinstance(value, list):
        raise ValueError(
            f"MESSAGES keyword used with attribute `{name}`, which is not a `list` of messages."
        )
    for item in value:
        if not is_message(item):
            raise TypeError(
                f"MESSAGES: {{{name}}} must hold messages (BaseMessageParam, message dicts or "
                f"a provider's message params), got {type(item).__name__}"
            )
    return list(value)


def _fill(text: str, values: dict[str, Any]) -> str:
    try:
        return text.format(**{k: "" if v is None else v for k, v in values.items()})
    except KeyError as exc:
        raise ValueError(f"prompt template needs a value for {exc.args[0]!r}") from None
