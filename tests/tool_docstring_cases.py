"""Tool definitions whose schemas are compared with what Mirascope v1 builds (tests only).

``SOURCE`` is a module text with ``ROOT`` for the import root: the test executes it with
``streamcall``; run under Mirascope v1's own virtual environment, this file executes it with
``mirascope`` and prints the schemas Mirascope's Mistral, OpenAI and Anthropic tools build:

    .venv-mirascope/bin/python tests/tool_docstring_cases.py \\
        > tests/fixtures/mirascope_tool_schemas.json

Mirascope v1.25.7 under pydantic >= 2.12 loses a function parameter's description and default
(it sets them on a ``FieldInfo`` after construction, which pydantic no longer reads); the
generator restores that one step so the pinned schemas are the ones Mirascope means to send.
"""

from __future__ import annotations

from typing import Any

SOURCE = '''
from typing import Literal

from pydantic import BaseModel, Field

from ROOT.core import BaseTool


class FormatBook(BaseTool):
    """Returns a nicely formatted book recommendation.

    Use it whenever the user asks for a book.
        An indented line stays indented.
    """

    title: str = Field(..., description="The title of the book.")
    author: str = Field(..., description="The author of the book.")

    def call(self) -> str:
        return f"{self.title} by {self.author}"


class Undocumented(BaseTool):
    query: str

    def call(self) -> str:
        return self.query


class Reworded(FormatBook):
    def call(self) -> str:
        return "reworded"


class Author(BaseModel):
    """Who wrote it."""

    first_name: str
    last_name: str = Field(description="Family name.")


class Book(BaseModel):
    """A book, as the user described it."""

    title: str
    author: Author
    tags: list[str] = []
    nickname: str | None = None
    genre: Literal["fiction", "non-fiction"] = "fiction"
    page_count: int = Field(default=0, ge=0)


class Plain(BaseModel):
    x: int


def google_style(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city.

    Looks the city up in the weather service and reports the temperature
    in the given unit.

    Args:
        city: The city, e.g. Paris.
        unit: The temperature unit,
            celsius or fahrenheit.

    Returns:
        The weather report.

    Raises:
        ValueError: If the city is unknown.
    """
    return city


def numpy_style(a: int, b: int = 1) -> int:
    """Add two numbers.

    Parameters
    ----------
    a : int
        The first number.
    b : int
        The second number.

    Returns
    -------
    int
        The sum.
    """
    return a + b


def sphinx_style(name: str, loud: bool = False) -> str:
    """Greet someone by name.

    :param name: Who to greet.
    :param loud: Whether to shout.
    :returns: The greeting.
    """
    return name


def summary_only(n: int) -> int:
    """Double a number."""
    return 2 * n


def args_only(n: int) -> int:
    """
    Args:
        n: The number.
    """
    return n


def no_docstring(n: int, label: str = "x") -> str:
    return label * n


def with_example(word: str) -> str:
    """Repeat a word.

    Args:
        word: The word.

    Example:
        {"word": "hello"}
    """
    return word


def current_time() -> str:
    """The current time."""
    return "noon"


CLASS_TOOLS = [FormatBook, Undocumented, Reworded, Book, Plain]
FUNCTION_TOOLS = [
    google_style, numpy_style, sphinx_style, summary_only, args_only, no_docstring, with_example,
    current_time,
]
'''

PROVIDERS = ("mistral", "openai", "anthropic")


def tool_names(namespace: dict[str, Any]) -> list[Any]:
    """Every tool of the executed ``SOURCE``."""
    return [*namespace["CLASS_TOOLS"], *namespace["FUNCTION_TOOLS"]]


def _mirascope_schemas() -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    import mirascope.core.base._utils._convert_function_to_base_tool as convert
    from mirascope.core.anthropic import AnthropicTool
    from mirascope.core.mistral import MistralTool
    from mirascope.core.openai import OpenAITool
    from pydantic.fields import FieldInfo

    class _FieldInfo(FieldInfo):  # type: ignore[misc]
        def __setattr__(self, key: str, value: Any) -> None:
            super().__setattr__(key, value)
            if key in ("default", "description") and hasattr(self, "_attributes_set"):
                self._attributes_set[key] = value

    convert.FieldInfo = _FieldInfo
    namespace: dict[str, Any] = {}
    exec(
        compile(
            SOURCE.replace("ROOT", "mirascope"), "tool_docstring_cases", "exec", dont_inherit=True
        ),
        namespace,
    )
    bases = {"mistral": MistralTool, "openai": OpenAITool, "anthropic": AnthropicTool}
    out: dict[str, Any] = {}
    for provider in PROVIDERS:
        base = bases[provider]
        for tool in namespace["CLASS_TOOLS"]:
            out[f"{provider}:{tool.__name__}"] = base.type_from_base_model_type(tool).tool_schema()
        for fn in namespace["FUNCTION_TOOLS"]:
            out[f"{provider}:{fn.__name__}"] = base.type_from_fn(fn).tool_schema()
    return out


PARTIAL_SOURCE = """
from typing import Literal

from pydantic import BaseModel


class Writer(BaseModel):
    name: str
    born: int


class Novel(BaseModel):
    title: str
    author: Writer
    tags: list[str]
    characters: list[Writer] = []
    genre: Literal["fiction", "non-fiction"]
"""

PARTIAL_JSON = (
    '{"title": "Cien a\u00f1os", "author": {"name": "Gabriel Garc\u00eda", "born": 1927}, '
    '"tags": ["magic", "family"], "characters": [{"name": "\u00darsula", "born": 1850}, '
    '{"name": "Jos\u00e9"}], "genre": "fiction"}'
)


def _mirascope_partials() -> list[Any]:
    """Mirascope's partial model for every prefix of ``PARTIAL_JSON``: its ``model_dump()``,
    or the name of the error it raises."""
    import warnings

    warnings.simplefilter("ignore")
    from mirascope.core.base._utils import extract_tool_return

    namespace: dict[str, Any] = {}
    exec(compile(PARTIAL_SOURCE, "partial_cases", "exec", dont_inherit=True), namespace)
    out: list[Any] = []
    for end in range(1, len(PARTIAL_JSON) + 1):
        try:
            partial = extract_tool_return(namespace["Novel"], PARTIAL_JSON[:end], True, {})
            out.append(partial.model_dump())
        except Exception as exc:
            out.append(type(exc).__name__)
    return out


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:] == ["--partials"]:
        print(json.dumps(_mirascope_partials()))
    else:
        print(json.dumps(_mirascope_schemas(), indent=1, sort_keys=True))
