"""Toolkits: a pydantic model whose ``@toolkit_tool`` methods become tools, as in Mirascope v1.

Each tool method's docstring is a template filled from the toolkit's fields (``{self.level}``)
when the tools are created, so one toolkit class describes its tools differently per instance::

    class BookTools(BaseToolKit):
        __namespace__: ClassVar[str | None] = "book_tools"
        reading_level: str

        @toolkit_tool
        def format_book(self, title: str, author: str) -> str:
            '''Returns the title and author of a book nicely formatted.

            Reading level: {self.reading_level}
            '''
            return f"{title} by {author}"

    @mistral.call("mistral-large-latest", stream=True)
    def recommend(genre: str, level: str) -> mistral.MistralDynamicConfig:
        return {"messages": [...], "tools": BookTools(reading_level=level).create_tools()}

A tool's name is the method's name, prefixed ``<namespace>_`` when the toolkit has a
``__namespace__`` (namespaces are unique). ``tool.call()`` runs the method on the toolkit
instance that created the tool.
"""

from __future__ import annotations

import functools
import inspect
import string
from abc import ABC
from collections.abc import Callable
from typing import Any, ClassVar, Concatenate, NamedTuple, ParamSpec, TypeVar, overload

from pydantic import BaseModel, ConfigDict, create_model

from streamcall.core.base.tool import BaseTool, to_tool_type

__all__ = ["BaseToolKit", "toolkit_tool"]

_MARKER = "__toolkit_tool_method__"
_namespaces: set[str] = set()

_P = ParamSpec("_P")
_ToolKitT = TypeVar("_ToolKitT", bound="BaseToolKit")
_ToolT = TypeVar("_ToolT", bound=BaseTool)


class _ToolMethod(NamedTuple):
    method: Any  # a function taking the toolkit first, or a BaseTool subclass
    template_vars: list[str]
    template: str


def _template_vars(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def _is_toolkit_tool(attr: Any) -> bool:
    return getattr(attr, _MARKER, False) is True


class BaseToolKit(BaseModel, ABC):
    """Base of toolkits: fields configure the tools; ``@toolkit_tool`` methods are the tools.

    ``create_tools()`` returns one tool class per method, its description the method's
    docstring with ``{self.<field>}`` filled from this instance.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _toolkit_tool_methods: ClassVar[list[_ToolMethod]]
    __namespace__: ClassVar[str | None] = None

    def create_tools(self) -> list[type[BaseTool]]:
        """The tool classes of this toolkit instance (pass them as ``tools``)."""
        tools: list[type[BaseTool]] = []
        namespace = type(self).__namespace__
        for method, template_vars, template in self._toolkit_tool_methods:
            for var in template_vars:
                if not var.startswith("self."):
                    # Keep other placeholders as placeholders: only ``self`` is filled here.
                    template = template.replace(f"{{{var}}}", f"{{{{{var}}}}}")
            doc = template.format(self=self)
            if isinstance(method, type) and issubclass(method, BaseTool):
                name = f"{namespace}_{method.__name__}" if namespace else method.__name__
                tool: type[BaseTool] = create_model(
                    name, __base__=method, __doc__=doc, __module__=method.__module__
                )
                tool.__tool_name__ = name
                tool.__tool_description__ = doc
            else:
                tool = to_tool_type(_bound_function(self, method, doc, namespace), BaseTool)
            tools.append(tool)
        return tools

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__namespace__:
            if cls.__namespace__ in _namespaces:
                raise ValueError(f"The namespace {cls.__namespace__} is already used")
            _namespaces.add(cls.__namespace__)
        methods: list[_ToolMethod] = []
        for key in dir(cls):
            attr = inspect.getattr_static(cls, key, None)
            if not _is_toolkit_tool(attr):
                continue
            if attr.__doc__ is None:
                raise ValueError(f"The toolkit_tool method {key} must have a docstring")
            template = inspect.cleandoc(attr.__doc__)
            template_vars = _template_vars(template)
            for var in template_vars:
                if not var.startswith("self."):
                    continue
                field = var[5:].split(".")[0].split("[")[0]
                if field not in cls.model_fields and not hasattr(cls, field):
                    raise ValueError(
                        f"The toolkit_tool method template variable {var} is not found in the class"
                    )
            methods.append(_ToolMethod(attr, template_vars, template))
        cls._toolkit_tool_methods = methods
        if ABC in cls.__bases__:
            return  # an abstract toolkit, for other toolkits to extend
        if not methods:
            raise ValueError(f"No toolkit_tool method found in {cls.__name__}")


def _bound_function(
    toolkit: BaseToolKit, method: Callable[..., Any], doc: str, namespace: str | None
) -> Callable[..., Any]:
    """``method`` bound to ``toolkit``: the signature without ``self``, the filled docstring,
    and the namespaced name."""
    bound = method.__get__(toolkit, type(toolkit))

    @functools.wraps(bound)
    def tool_fn(*args: Any, **kwargs: Any) -> Any:
        return bound(*args, **kwargs)

    tool_fn.__doc__ = doc
    tool_fn.__name__ = f"{namespace}_{method.__name__}" if namespace else method.__name__
    tool_fn.__qualname__ = tool_fn.__name__
    tool_fn.__signature__ = inspect.signature(bound)  # type: ignore[attr-defined]
    return tool_fn


@overload
def toolkit_tool(
    method: Callable[Concatenate[_ToolKitT, _P], str],
) -> Callable[Concatenate[_ToolKitT, _P], str]: ...


@overload
def toolkit_tool(method: type[_ToolT]) -> type[_ToolT]: ...


def toolkit_tool(method: Any) -> Any:
    """Mark a toolkit method (or a ``BaseTool`` class) as one of the toolkit's tools."""
    setattr(method, _MARKER, True)
    return method
