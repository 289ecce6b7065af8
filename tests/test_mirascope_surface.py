"""The names Mirascope v1 programs import: provider modules (``from streamcall.core import
mistral`` then ``@mistral.call(...)``), the top-level names of ``streamcall`` /
``streamcall.core`` / ``streamcall.llm``, and toolkits (``BaseToolKit`` / ``toolkit_tool``)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from typing import Any, ClassVar, Literal

import pytest

import streamcall
import streamcall.core
from streamcall import llm
from streamcall.clients.mistral import Mistral
from streamcall.core import BaseTool, BaseToolKit, mistral, toolkit_tool
from tests.replay import ReplayServer, Reply, sse_body

# Each provider module's names, as Mirascope v1.25.7 exports them from
# ``mirascope.core.<provider>`` (its ``*ToolConfig`` names are left out: tool configs are not
# supported here), plus ``<provider>_call``. Ollama and local have no Mirascope module; they
# follow the same pattern.
PROVIDER_NAMES: dict[str, list[str]] = {
    "mistral": [
        "MistralCallParams",
        "MistralCallResponse",
        "MistralCallResponseChunk",
        "MistralDynamicConfig",
        "MistralMessageParam",
        "MistralStream",
        "MistralTool",
        "call",
        "mistral_call",
    ],
    "cohere": [
        "AsyncCohereDynamicConfig",
        "CohereCallParams",
        "CohereCallResponse",
        "CohereCallResponseChunk",
        "CohereDynamicConfig",
        "CohereMessageParam",
        "CohereStream",
        "CohereTool",
        "call",
        "cohere_call",
    ],
    "openai": [
        "AsyncOpenAIDynamicConfig",
        "OpenAICallParams",
        "OpenAICallResponse",
        "OpenAICallResponseChunk",
        "OpenAIDynamicConfig",
        "OpenAIMessageParam",
        "OpenAIStream",
        "OpenAITool",
        "call",
        "openai_call",
    ],
    "anthropic": [
        "AnthropicCallParams",
        "AnthropicCallResponse",
        "AnthropicCallResponseChunk",
        "AnthropicDynamicConfig",
        "AnthropicMessageParam",
        "AnthropicStream",
        "AnthropicTool",
        "AsyncAnthropicDynamicConfig",
        "anthropic_call",
        "call",
    ],
    "gemini": [
        "GeminiCallParams",
        "GeminiCallResponse",
        "GeminiCallResponseChunk",
        "GeminiDynamicConfig",
        "GeminiMessageParam",
        "GeminiStream",
        "GeminiTool",
        "call",
        "gemini_call",
    ],
    "azure": [
        "AsyncAzureDynamicConfig",
        "AzureCallParams",
        "AzureCallResponse",
        "AzureCallResponseChunk",
        "AzureDynamicConfig",
        "AzureMessageParam",
        "AzureStream",
        "AzureTool",
        "azure_call",
        "call",
    ],
    "ollama": [
        "OllamaCallParams",
        "OllamaCallResponse",
        "OllamaCallResponseChunk",
        "OllamaDynamicConfig",
        "OllamaMessageParam",
        "OllamaStream",
        "OllamaTool",
        "call",
        "ollama_call",
    ],
    "local": [
        "LocalCallParams",
        "LocalCallResponse",
        "LocalCallResponseChunk",
        "LocalDynamicConfig",
        "LocalMessageParam",
        "LocalStream",
        "LocalTool",
        "call",
        "local_call",
    ],
}


@pytest.mark.parametrize("provider", sorted(PROVIDER_NAMES))
def test_provider_module_names(provider: str) -> None:
    module = getattr(streamcall.core, provider)  # loaded on first use, as an attribute
    assert module is importlib.import_module(f"streamcall.core.{provider}")
    for name in PROVIDER_NAMES[provider]:
        assert name in module.__all__, name
        assert getattr(module, name) is not None, name
    assert module.call is getattr(module, f"{provider}_call")
    tool = next(getattr(module, n) for n in PROVIDER_NAMES[provider] if n.endswith("Tool"))
    assert issubclass(tool, BaseTool)


def test_top_level_names_as_mirascope_exports_them() -> None:
    core_names = [
        "BaseCallParams",
        "BaseCallResponse",
        "BaseCallResponseChunk",
        "BaseDynamicConfig",
        "BaseMessageParam",
        "BaseStream",
        "BaseTool",
        "BaseToolKit",
        "CostMetadata",
        "LocalProvider",
        "Messages",
        "Provider",
        "calculate_cost",
        "prompt_template",
        "toolkit_tool",
        *PROVIDER_NAMES,
    ]
    for name in core_names:
        assert name in streamcall.core.__all__, name
        assert getattr(streamcall.core, name) is not None, name
    top_names = [
        "BaseDynamicConfig",
        "BaseMessageParam",
        "BaseTool",
        "BaseToolKit",
        "LocalProvider",
        "Messages",
        "Provider",
        "core",
        "llm",
        "prompt_template",
        "toolkit_tool",
    ]
    for name in top_names:
        assert name in streamcall.__all__, name
    assert streamcall.BaseTool is streamcall.core.BaseTool
    assert streamcall.prompt_template is streamcall.core.prompt_template
    assert streamcall.Messages is streamcall.core.Messages
    assert streamcall.llm is llm
    assert streamcall.core.BaseToolKit is BaseToolKit
    for name in [
        "CallResponse",
        "CallResponseChunk",
        "CostMetadata",
        "LocalProvider",
        "Provider",
        "Stream",
        "Tool",
        "calculate_cost",
        "call",
        "context",
        "override",
    ]:
        assert name in llm.__all__, name
        assert getattr(llm, name) is not None, name
    assert llm.Tool is BaseTool
    with pytest.raises(AttributeError):
        _ = streamcall.core.no_such_name  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        _ = streamcall.no_such_name  # type: ignore[attr-defined]


def test_the_mirascope_imports_stay_light() -> None:
    """The provider-module style imports no pydantic until tools or models are used."""
    code = (
        "import sys\n"
        "import streamcall\n"
        "from streamcall import llm, prompt_template, BaseMessageParam, BaseDynamicConfig\n"
        "from streamcall.core import mistral, cohere, openai, anthropic, gemini, ollama, azure\n"
        "mistral.call, mistral.MistralMessageParam, openai.OpenAICallParams, llm.calculate_cost\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
        "from streamcall import BaseToolKit\n"
        "assert 'pydantic' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_calculate_cost_as_mirascope_calls_it() -> None:
    metadata = llm.CostMetadata(input_tokens=1_000_000, output_tokens=1_000_000)
    # mistral-small-latest (Mistral Small 4): 0.15 in, 0.6 out (USD per million tokens)
    assert llm.calculate_cost("mistral", "mistral-small-latest", metadata) == pytest.approx(0.75)
    assert llm.calculate_cost(
        llm.CostMetadata("mistral", "mistral-small", input_tokens=10, output_tokens=0)
    ) == pytest.approx(1e-6)
    assert streamcall.core.calculate_cost("mistral", "no-such-model", metadata) is None
    assert llm.calculate_cost("mistral", "mistral-small") is None  # no tokens, no cost


class BookTools(BaseToolKit):
    """Book tools."""

    __namespace__: ClassVar[str | None] = "surface_books"
    reading_level: Literal["beginner", "advanced"]

    @toolkit_tool
    def format_book(self, title: str, author: str) -> str:
        """Returns the title and author of a book nicely formatted for {genre} readers.

        Reading level: {self.reading_level}

        Args:
            title: The title of the book.
            author: The author of the book.
        """
        return f"{title} by {author} ({self.reading_level})"


def _tool_call_body(name: str, arguments: dict[str, Any]) -> bytes:
    chunk = {
        "id": "c-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "mistral-small-latest",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [
                        {
                            "id": "call-1",
                            "index": 0,
                            "function": {"name": name, "arguments": json.dumps(arguments)},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
    }
    return sse_body([json.dumps(chunk)])


def test_provider_module_call_with_a_toolkit(server: ReplayServer) -> None:
    url = server.route(
        Reply(body=_tool_call_body("surface_books_format_book", {"title": "A", "author": "B"}))
    )

    @mistral.call(
        "mistral-small-latest",
        stream=True,
        client=Mistral(api_key="test-key", server_url=url),
    )
    def recommend(
        genre: str, level: Literal["beginner", "advanced"]
    ) -> mistral.MistralDynamicConfig:
        toolkit = BookTools(reading_level=level)
        return {
            "messages": [{"role": "user", "content": f"Recommend a {genre} book."}],
            "tools": toolkit.create_tools(),
        }

    stream = recommend("fantasy", "advanced")
    assert isinstance(stream, mistral.MistralStream)
    tools = [tool for _, tool in stream if tool is not None]
    assert [t.call() for t in tools] == ["A by B (advanced)"]
    assert isinstance(tools[0], mistral.MistralTool)
    assert stream.cost is not None
    sent = json.loads(server.requests(url)[0].body)
    function = sent["tools"][0]["function"]
    assert function["name"] == "surface_books_format_book"
    # {self.*} is filled from the toolkit; any other placeholder stays as it was written.
    assert function["description"].startswith(
        "Returns the title and author of a book nicely formatted for {genre} readers."
    )
    assert "Reading level: advanced" in function["description"]
    assert function["parameters"]["properties"]["title"]["description"] == (
        "The title of the book."
    )
    assert function["parameters"]["required"] == ["title", "author"]


def test_toolkit_tool_classes_and_instances() -> None:
    class SearchTools(BaseToolKit):
        source: str

        @toolkit_tool
        def search(self, query: str) -> str:
            """Search {self.source} for something."""
            return f"{self.source}: {query}"

        @toolkit_tool
        class Lookup(BaseTool):
            """Look up {query} at {self.source}."""

            query: str

            def call(self) -> str:
                return f"looked up {self.query}"

    web = SearchTools(source="the web").create_tools()
    books = SearchTools(source="the library").create_tools()
    by_name = {t._name(): t for t in web}
    assert set(by_name) == {"search", "Lookup"}  # no namespace: the method / class names
    assert by_name["search"]._description() == "Search the web for something."
    assert by_name["Lookup"]._description() == "Look up {query} at the web."
    assert {t._name(): t for t in books}["search"]._description() == (
        "Search the library for something."
    )
    assert by_name["search"](query="cats").call() == "the web: cats"
    assert by_name["Lookup"](query="cats").call() == "looked up cats"
    assert issubclass(by_name["Lookup"], SearchTools.Lookup)


def test_toolkit_definition_errors() -> None:
    with pytest.raises(ValueError, match="No toolkit_tool method"):

        class Empty(BaseToolKit):
            pass

    with pytest.raises(ValueError, match="must have a docstring"):

        class NoDoc(BaseToolKit):
            @toolkit_tool
            def tool(self) -> str:
                return ""

    with pytest.raises(ValueError, match=r"self\.missing is not found"):

        class Unknown(BaseToolKit):
            @toolkit_tool
            def tool(self) -> str:
                """Uses {self.missing}."""
                return ""

    class First(BaseToolKit):
        __namespace__: ClassVar[str | None] = "surface_unique"

        @toolkit_tool
        def tool(self) -> str:
            """A tool."""
            return ""

    with pytest.raises(ValueError, match="already used"):

        class Second(BaseToolKit):
            __namespace__: ClassVar[str | None] = "surface_unique"

            @toolkit_tool
            def tool(self) -> str:
                """A tool."""
                return ""


@pytest.mark.parametrize(
    "module",
    [
        "streamcall",
        "streamcall.core",
        "streamcall.llm",
        *(f"streamcall.core.{p}" for p in PROVIDER_NAMES),
    ],
)
def test_star_imports_resolve_every_exported_name(module: str) -> None:
    namespace: dict[str, Any] = {}
    exec(f"from {module} import *", namespace)
    assert set(importlib.import_module(module).__all__) <= set(namespace)
