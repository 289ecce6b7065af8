"""Tools: pydantic models whose fields are the arguments the model fills in.

Define one by subclassing a provider's tool class (``MistralTool``...) or :class:`BaseTool` and
implementing ``call()``, or pass a plain typed function (its docstring is the description, its
``Args:`` section describes the parameters), or any pydantic model. The call layer converts each
into the provider's tool class, sends its JSON schema, and builds an instance from every tool
call the model makes; ``tool.call()`` runs it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, ClassVar, get_type_hints

from pydantic import BaseModel, ConfigDict, PrivateAttr, create_model

__all__ = ["BaseTool", "FunctionTool", "to_tool_type"]

_ARGS_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$", re.M)
_ARG_LINE = re.compile(r"^\s+(\w+)(?:\s*\([^)]*\))?\s*:\s*(.+)$")


class BaseTool(BaseModel):
    """Base of all tools. Fields are the tool's arguments; override :meth:`call`.

    Attributes:
        tool_call: The provider's raw tool call this instance was built from (``None`` when
            constructed by hand).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    __provider__: ClassVar[str] = ""
    __tool_name__: ClassVar[str | None] = None
    __tool_description__: ClassVar[str | None] = None
    __tool_fn__: ClassVar[Callable[..., Any] | None] = None

    _tool_call: Any = PrivateAttr(default=None)
    _tool_call_id: str | None = PrivateAttr(default=None)

    @property
    def tool_call(self) -> Any:
        """The provider's raw tool call behind this instance."""
        return self._tool_call

    @property
    def tool_call_id(self) -> str | None:
        """The id of the tool call (needed to send its result back)."""
        return self._tool_call_id

    @classmethod
    def _name(cls) -> str:
        return cls.__tool_name__ or cls.__name__

    @classmethod
    def _description(cls) -> str:
        doc = cls.__tool_description__ or cls.__doc__
        if doc and doc is not BaseTool.__doc__ and not doc.startswith("!!! abstract"):
            return inspect.cleandoc(doc)
        return f"Call the {cls._name()} tool."

    @classmethod
    def parameters_schema(cls) -> dict[str, Any]:
        """The JSON schema of the arguments (no titles, no private fields)."""
        schema = cls.model_json_schema()
        schema.pop("title", None)
        schema.pop("description", None)
        for prop in schema.get("properties", {}).values():
            if isinstance(prop, dict):
                prop.pop("title", None)
        schema.setdefault("properties", {})
        schema.setdefault("type", "object")
        return schema

    @property
    def args(self) -> dict[str, Any]:
        """The arguments the model gave."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def call(self) -> Any:
        """Run the tool. Function tools call their function; model tools must override this."""
        fn = type(self).__tool_fn__
        if fn is None:
            raise NotImplementedError(f"{type(self).__name__}.call() is not implemented")
        return fn(**self.args)

    @classmethod
    def from_tool_call(
        cls, name_args: dict[str, Any], tool_call: Any = None, tool_call_id: str | None = None
    ) -> BaseTool:
        """An instance from parsed arguments, remembering the raw call and its id."""
        tool = cls.model_validate(name_args)
        tool._tool_call = tool_call
        tool._tool_call_id = tool_call_id
        return tool


class FunctionTool(BaseTool):
    """A tool described as ``{"type": "function", "function": {name, description,
    parameters}}``, the shape Mistral, Cohere v2 and OpenAI-style APIs share."""

    @classmethod
    def tool_schema(cls) -> dict[str, Any]:
        """The tool definition to send."""
        return {
            "type": "function",
            "function": {
                "name": cls._name(),
                "description": cls._description(),
                "parameters": cls.parameters_schema(),
            },
        }


def to_tool_type(tool: Any, base: type[BaseTool]) -> type[BaseTool]:
    """A subclass of ``base`` for a tool class, a pydantic model or a typed function."""
    if isinstance(tool, type) and issubclass(tool, base):
        return tool
    if isinstance(tool, type) and issubclass(tool, BaseTool):
        return type(tool.__name__, (tool, base), {"__module__": tool.__module__})
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        return type(
            tool.__name__,
            (tool, base),
            {"__module__": tool.__module__, "__tool_description__": tool.__doc__},
        )
    if callable(tool) and not isinstance(tool, type):
        return _from_function(tool, base)
    raise TypeError(
        f"A tool must be a BaseTool subclass, a pydantic model or a typed function, got {tool!r}"
    )


def _from_function(fn: Callable[..., Any], base: type[BaseTool]) -> type[BaseTool]:
    hints = get_type_hints(fn)
    doc = inspect.getdoc(fn) or ""
    described = _arg_descriptions(doc)
    fields: dict[str, Any] = {}
    from pydantic import Field

    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool function {fn.__name__} cannot take *args or **kwargs")
        annotation = hints.get(name, Any)
        default = ... if param.default is param.empty else param.default
        fields[name] = (annotation, Field(default, description=described.get(name)))
    summary = _ARGS_SECTION.split(doc)[0].strip() if doc else ""
    model: type[BaseTool] = create_model(
        fn.__name__,
        __base__=base,
        __module__=getattr(fn, "__module__", __name__),
        **fields,
    )
    model.__tool_fn__ = staticmethod(fn)
    model.__tool_description__ = summary or None
    model.__tool_name__ = fn.__name__
    return model


def _arg_descriptions(doc: str) -> dict[str, str]:
    parts = _ARGS_SECTION.split(doc, maxsplit=1)
    if len(parts) < 3:
        return {}
    out: dict[str, str] = {}
    for line in parts[2].splitlines():
        match = _ARG_LINE.match(line)
        if match:
            out[match.group(1)] = match.group(2).strip()
        elif line.strip() and not line.startswith((" ", "\t")):
            break
    return out
