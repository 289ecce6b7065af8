"""Tools: pydantic models whose fields are the arguments the model fills in.

Define one by subclassing a provider's tool class (``MistralTool``...) or :class:`BaseTool` and
implementing ``call()``, or pass a plain typed function, or any pydantic model. The call layer
converts each into the provider's tool class, sends its JSON schema, and builds an instance from
every tool call the model makes; ``tool.call()`` runs it.

What is sent is what Mirascope v1 sends for the same tool: a class's description is its
docstring (``inspect.cleandoc``); a function's is its docstring read by ``docstring-parser``
(Google, NumPy or Sphinx style) without the parameter and example sections, and each
parameter's description goes into the schema's property; a tool without a docstring gets
:data:`DEFAULT_TOOL_DOCSTRING`. The schema has pydantic's titles removed by Mirascope's rule
(a title is kept only where it is not the property name), so the JSON is the same byte for byte.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import Any, ClassVar, get_type_hints

from pydantic import BaseModel, ConfigDict, PrivateAttr, create_model
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core.core_schema import CoreSchema

__all__ = ["DEFAULT_TOOL_DOCSTRING", "BaseTool", "FunctionTool", "to_tool_type"]

DEFAULT_TOOL_DOCSTRING = (
    "Correctly formatted and typed parameters extracted from the completion. "
    "Must include required parameters and may exclude optional parameters unless present in "
    "the text."
)
"""The description of a tool without a docstring (Mirascope v1's text, so models see the same)."""


class _SchemaWithoutTitles(GenerateJsonSchema):
    """pydantic's JSON schema without the titles it adds, by Mirascope v1's rule: the top
    level loses its title and description; a node with ``type``, ``$ref`` or ``properties``
    loses its title unless the title differs (ignoring case) from the key it is under."""

    def _strip(self, key: str | None, obj: Any) -> Any:
        if isinstance(obj, dict):
            if "type" in obj or "$ref" in obj or "properties" in obj:
                title = obj.pop("title", None)
                if key and title and key.lower() != title.lower():
                    obj["title"] = title
            for name, value in list(obj.items()):
                obj[name] = self._strip(name, value)
        elif isinstance(obj, list):
            return [self._strip(None, item) for item in obj]
        return obj

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        json_schema = super().generate(schema, mode=mode)
        json_schema.pop("title", None)
        json_schema.pop("description", None)
        return self._strip(None, json_schema)  # type: ignore[no-any-return]


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
        """The class's own docstring, cleaned (a subclass without one does not inherit it),
        else :data:`DEFAULT_TOOL_DOCSTRING`, as Mirascope v1 describes a tool."""
        doc = cls.__tool_description__ or cls.__dict__.get("__doc__")
        return inspect.cleandoc(doc) if doc else DEFAULT_TOOL_DOCSTRING

    @classmethod
    def parameters_schema(cls) -> dict[str, Any]:
        """The JSON schema of the arguments (titles removed as Mirascope v1 removes them)."""
        schema = cls.model_json_schema(schema_generator=_SchemaWithoutTitles)
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


_CONVERTED = "__streamcall_tool_types__"
"""The attribute under which a function or model class keeps its tool classes, by tool base."""


def to_tool_type(tool: Any, base: type[BaseTool]) -> type[BaseTool]:
    """A subclass of ``base`` for a tool class, a pydantic model or a typed function.

    A function or model is converted once per tool base: the class is kept on the function (or
    model class) itself, so it lives exactly as long as what it was made from (a cache keyed by
    the object would keep it alive, since the class refers to it). Objects that take no
    attributes are converted on every call."""
    if isinstance(tool, type) and issubclass(tool, base):
        return tool
    converted: dict[type[BaseTool], type[BaseTool]] = getattr(tool, "__dict__", {}).get(
        _CONVERTED, {}
    )
    found = converted.get(base)
    if found is not None and _made_from(found, tool):
        return found
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        made = _from_model(tool, base)
    elif callable(tool) and not isinstance(tool, type):
        made = _from_function(tool, base)
    else:
        raise TypeError(
            f"A tool must be a BaseTool subclass, a pydantic model or a typed function, "
            f"got {tool!r}"
        )
    kept = {b: c for b, c in converted.items() if _made_from(c, tool)}
    kept[base] = made
    with contextlib.suppress(AttributeError, TypeError):  # a builtin, a bound method...
        setattr(tool, _CONVERTED, kept)
    return made


def _made_from(converted: type[BaseTool], tool: Any) -> bool:
    """Whether ``converted`` was made from ``tool`` itself (``functools.wraps`` copies a
    function's attributes, and so its tool classes, to its wrapper)."""
    if isinstance(tool, type):
        return tool in converted.__bases__
    return converted.__tool_fn__ is tool


def _from_model(model: type[BaseModel], base: type[BaseTool]) -> type[BaseTool]:
    # The docstring goes along: a new class would otherwise have none (and be described by
    # the default text instead of the user's docstring).
    namespace = {"__module__": model.__module__, "__doc__": model.__dict__.get("__doc__")}
    if not issubclass(model, BaseTool):
        namespace["__tool_description__"] = model.__dict__.get("__doc__")
    return type(model.__name__, (model, base), namespace)


def _from_function(fn: Callable[..., Any], base: type[BaseTool]) -> type[BaseTool]:
    from pydantic import Field

    hints = get_type_hints(fn, include_extras=True)
    description, described, examples = _read_docstring(fn.__doc__)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool function {fn.__name__} cannot take *args or **kwargs")
        annotation = hints.get(name, Any)
        default = ... if param.default is param.empty else param.default
        fields[name] = (annotation, Field(default, description=described.get(name)))
    model: type[BaseTool] = create_model(
        fn.__name__,
        __base__=base,
        __module__=getattr(fn, "__module__", __name__),
        **fields,
    )
    model.__tool_fn__ = staticmethod(fn)
    model.__tool_description__ = description
    model.__tool_name__ = fn.__name__
    if examples:
        model.model_config["json_schema_extra"] = {"examples": examples}
    return model


def _read_docstring(doc: str | None) -> tuple[str | None, dict[str, str], list[Any]]:
    """A function's docstring as Mirascope v1 reads it: the description (short and long
    description, returns and raises; without parameters and examples), each parameter's
    description, and the examples that are JSON (Mirascope puts them in the schema)."""
    if not doc:
        return None, {}, []
    from docstring_parser import Docstring, DocstringMeta, compose, parse

    parsed = parse(doc)
    described = {p.arg_name: p.description for p in parsed.params if p.description}
    examples: list[Any] = []
    for example in parsed.examples or []:
        if example.description:
            try:
                import msgspec

                examples.append(msgspec.json.decode(example.description))
            except msgspec.DecodeError:
                pass  # Mirascope fails on an example that is not JSON; a code example is kept out
    cleaned = Docstring(style=parsed.style)
    cleaned.short_description = parsed.short_description
    cleaned.blank_after_short_description = parsed.blank_after_short_description
    cleaned.long_description = parsed.long_description
    cleaned.blank_after_long_description = parsed.blank_after_long_description
    meta: list[DocstringMeta] = [*parsed.many_returns, *parsed.raises]
    cleaned.meta = meta
    return inspect.cleandoc(compose(cleaned)) or None, described, examples
