"""Tool descriptions and schemas as Mirascope v1 sends them; streamed response models' partials.

The expected tool schemas are pinned in ``tests/fixtures/mirascope_tool_schemas.json``, generated
by running Mirascope v1.25.7 on the same definitions (``tests/tool_docstring_cases.py`` says how);
``test_pinned_schemas_are_what_mirascope_builds`` regenerates them when Mirascope's virtual
environment is there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from streamcall.clients.mistral import Mistral
from streamcall.core.anthropic.tool import AnthropicTool
from streamcall.core.base.tool import DEFAULT_TOOL_DOCSTRING, to_tool_type
from streamcall.core.cohere.tool import CohereTool
from streamcall.core.gemini.tool import GeminiTool
from streamcall.core.mistral import mistral_call
from streamcall.core.mistral.tool import MistralTool
from streamcall.core.openai.tool import OpenAITool
from tests import tool_docstring_cases as cases
from tests.replay import ReplayServer, Reply, sse_body

ROOT = Path(__file__).resolve().parent.parent
PINNED = json.loads((ROOT / "tests" / "fixtures" / "mirascope_tool_schemas.json").read_text())
MIRASCOPE_PYTHON = ROOT / ".venv-mirascope" / "bin" / "python"
BASES = {"mistral": MistralTool, "openai": OpenAITool, "anthropic": AnthropicTool}


def _namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    code = compile(
        cases.SOURCE.replace("ROOT", "streamcall"),
        "tool_docstring_cases",
        "exec",
        dont_inherit=True,
    )
    exec(code, namespace)
    return namespace


NS = _namespace()


def _expected(key: str) -> dict[str, Any]:
    """Mirascope's schema, with the one deliberate difference: a tool without parameters.

    Mirascope sends ``{"type": "object"}`` to Mistral and no ``parameters`` to OpenAI; streamcall
    sends ``{"properties": {}, "type": "object"}`` to both (what JSON-schema-strict servers want,
    and the same meaning to the model).
    """
    schema: dict[str, Any] = json.loads(json.dumps(PINNED[key]))
    function = schema.get("function")
    if function is not None and function.get("parameters", {"type": "object"}) == {
        "type": "object"
    }:
        function["parameters"] = {"properties": {}, "type": "object"}
    return schema


def _ours(provider: str, tool: Any) -> dict[str, Any]:
    schema: dict[str, Any] = to_tool_type(tool, BASES[provider]).tool_schema()  # type: ignore[attr-defined]
    return json.loads(json.dumps(schema))  # what goes on the wire


@pytest.mark.parametrize("provider", cases.PROVIDERS)
@pytest.mark.parametrize("tool", cases.tool_names(NS), ids=lambda t: t.__name__)
def test_tool_schema_is_what_mirascope_sends(provider: str, tool: Any) -> None:
    assert _ours(provider, tool) == _expected(f"{provider}:{tool.__name__}")


def test_descriptions_in_every_docstring_style() -> None:
    description = {
        t.__name__: to_tool_type(t, MistralTool)._description() for t in cases.tool_names(NS)
    }
    assert description["FormatBook"] == (
        "Returns a nicely formatted book recommendation.\n\n"
        "Use it whenever the user asks for a book.\n    An indented line stays indented."
    )
    assert description["google_style"].startswith("Get the current weather in a city.\n\nLooks")
    assert "city: The city" not in description["google_style"]
    assert description["numpy_style"].startswith("Add two numbers.")
    assert description["sphinx_style"].startswith("Greet someone by name.")
    assert description["summary_only"] == "Double a number."
    # No docstring (or only parameters), and a subclass that has none of its own: the default.
    for name in ("Undocumented", "Reworded", "Plain", "args_only", "no_docstring"):
        assert description[name] == DEFAULT_TOOL_DOCSTRING
    params = {
        name: to_tool_type(NS[name], MistralTool).parameters_schema()["properties"]
        for name in ("google_style", "numpy_style", "sphinx_style")
    }
    assert (
        params["google_style"]["unit"]["description"]
        == "The temperature unit,\ncelsius or fahrenheit."
    )
    assert params["numpy_style"]["b"] == {
        "default": 1,
        "description": "The second number.",
        "type": "integer",
    }
    assert params["sphinx_style"]["name"] == {"description": "Who to greet.", "type": "string"}


def test_cohere_and_gemini_send_the_same_descriptions() -> None:
    for tool in cases.tool_names(NS):
        mirascope = PINNED[f"anthropic:{tool.__name__}"]["description"]
        assert to_tool_type(tool, CohereTool).tool_schema()["function"]["description"] == mirascope  # type: ignore[attr-defined]
        assert to_tool_type(tool, GeminiTool).tool_schema()["description"] == mirascope  # type: ignore[attr-defined]


def test_the_request_carries_the_docstrings(server: ReplayServer) -> None:
    body = sse_body(
        [
            json.dumps(
                {
                    "id": "r",
                    "model": "mistral-small-latest",
                    "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}],
                }
            )
        ]
    )
    url = server.route(Reply(body=body))

    @mistral_call(
        "mistral-small-latest",
        stream=True,
        tools=[NS["FormatBook"], NS["google_style"], NS["Book"], NS["Reworded"]],
        client=Mistral(api_key="k", server_url=url),
    )
    def ask() -> str:
        return "A book?"

    assert "".join(chunk.content for chunk, _ in ask()) == "ok"
    sent = server.requests(url)[0].json()
    assert isinstance(sent, dict)
    assert sent["tools"] == [
        _expected(f"mistral:{name}") for name in ("FormatBook", "google_style", "Book", "Reworded")
    ]


def test_a_function_example_that_is_not_json_is_left_out() -> None:
    def shout(word: str) -> str:
        """Shout a word.

        Args:
            word: The word.

        Example:
            shout("hi")
        """
        return word.upper()

    tool = to_tool_type(shout, MistralTool)
    assert tool._description() == "Shout a word."
    assert "examples" not in tool.parameters_schema()


@pytest.mark.skipif(not MIRASCOPE_PYTHON.exists(), reason="Mirascope v1's environment is not here")
def test_pinned_schemas_are_what_mirascope_builds() -> None:
    done = subprocess.run(
        [str(MIRASCOPE_PYTHON), str(ROOT / "tests" / "tool_docstring_cases.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    )
    assert json.loads(done.stdout) == PINNED


def test_tools_are_not_imported_by_a_plain_import() -> None:
    code = (
        "import sys, streamcall.core.mistral, streamcall.core.openai\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'docstring_parser') or m == 'streamcall.core.base.tool'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "[]"
