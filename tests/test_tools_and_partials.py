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
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from streamcall.clients.mistral import Mistral
from streamcall.clients.openai import OpenAI
from streamcall.core.anthropic.tool import AnthropicTool
from streamcall.core.base._accumulate import parse_partial_json
from streamcall.core.base.structured import (
    _partial_instance,
    _partial_json,
    partial_model,
)
from streamcall.core.base.tool import DEFAULT_TOOL_DOCSTRING, to_tool_type
from streamcall.core.cohere.tool import CohereTool
from streamcall.core.gemini.tool import GeminiTool
from streamcall.core.mistral import mistral_call
from streamcall.core.mistral.tool import MistralTool
from streamcall.core.openai import openai_call
from streamcall.core.openai.tool import OpenAITool
from streamcall.errors import ResponseModelError
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


# --- streamed response models ---------------------------------------------------------------


class Writer(BaseModel):
    name: str
    born: int


class Novel(BaseModel):
    """A novel."""

    title: str
    author: Writer
    tags: list[str]
    characters: list[Writer] = []
    genre: Literal["fiction", "non-fiction"]
    nickname: str | None = None


NOVEL = {
    "title": "Cien años de soledad",
    "author": {"name": "Gabriel García Márquez", "born": 1927},
    "tags": ["magic", "family"],
    "characters": [{"name": "Úrsula", "born": 1850}, {"name": "José", "born": 1845}],
    "genre": "fiction",
    "nickname": None,
}


def _openai_chunk(delta: dict[str, Any] | None, finish: str | None = None) -> str:
    return json.dumps(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4.1-mini",
            "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
        },
        ensure_ascii=False,
    )


def _argument_stream(arguments: str, size: int = 7) -> bytes:
    pieces = [arguments[i : i + size] for i in range(0, len(arguments), size)]
    first = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "Novel"}}
    first["function"]["arguments"] = ""
    return sse_body(
        [_openai_chunk({"role": "assistant", "tool_calls": [first]})]
        + [
            _openai_chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            for piece in pieces
        ]
        + [_openai_chunk({}, "tool_calls")]
    )


def _text_stream(text: str, size: int = 5) -> bytes:
    return sse_body(
        [_openai_chunk({"content": text[i : i + size]}) for i in range(0, len(text), size)]
        + [_openai_chunk({}, "stop")]
    )


def _check_partials(items: list[Any]) -> None:
    *partials, final = items
    assert type(final) is Novel
    assert final == Novel.model_validate(NOVEL)
    assert partials, "partials before the whole model"
    for partial in partials:
        assert isinstance(partial, Novel)  # Partial<Novel> is a subclass, as in Mirascope
        assert type(partial).__name__ == "PartialNovel"
        assert set(type(partial).model_fields) == set(Novel.model_fields)
        for name in Novel.model_fields:
            getattr(partial, name)  # never raises
        if partial.author is not None:
            assert partial.author.name is None or isinstance(partial.author.name, str)
            assert partial.author.born is None or isinstance(partial.author.born, int)
        for character in partial.characters or []:
            assert character is None or {"name", "born"} <= set(type(character).model_fields)
        assert partial.genre in (None, "fiction")  # a half-streamed Literal stays None
    assert partials[0].title is None  # `{`: every field there, all None
    assert any(p.author is not None and p.author.born is None for p in partials)
    assert any(p.title and p.title != NOVEL["title"] for p in partials)  # strings grow


@pytest.mark.parametrize("size", [1, 3, 7])
def test_streamed_partials_have_every_field(server: ReplayServer, size: int) -> None:
    url = server.route(Reply(body=_argument_stream(json.dumps(NOVEL, ensure_ascii=False), size)))

    @openai_call(
        "gpt-4.1-mini", stream=True, response_model=Novel, client=OpenAI(api_key="k", base_url=url)
    )
    def extract() -> str:
        return "The novel?"

    stream = extract()
    items = list(stream)
    _check_partials(items)
    # As Mirascope v1: one partial per event once the object has begun (each argument piece and
    # the finish chunk, which adds nothing), then the whole model.
    pieces = -(-len(json.dumps(NOVEL, ensure_ascii=False)) // size)
    assert len(items) == pieces + 2
    assert items[-2] is items[-3]  # the finish chunk: the same partial again
    assert stream.constructed_response_model is items[-1]
    assert stream.constructed_response_model._response.content == ""  # type: ignore[attr-defined]
    assert stream.stream.finish_reasons == ["tool_calls"]


@pytest.mark.anyio
async def test_streamed_json_mode_partials_async_with_prose_before(server: ReplayServer) -> None:
    text = "Here it is: " + json.dumps(NOVEL, ensure_ascii=False)
    url = server.route(Reply(body=_text_stream(text)))
    client = OpenAI(api_key="k", base_url=url)

    @openai_call("gpt-4.1-mini", stream=True, response_model=Novel, json_mode=True, client=client)
    async def extract() -> str:
        return "The novel?"

    stream = await extract()
    items = [item async for item in stream]
    _check_partials(items)
    assert stream.constructed_response_model == Novel.model_validate(NOVEL)
    await client.aclose()


def test_json_mode_answer_that_does_not_fit_raises_at_the_end(server: ReplayServer) -> None:
    url = server.route(Reply(body=_text_stream('{"title": "Emma"}')))

    @mistral_call(
        "mistral-small-latest",
        stream=True,
        response_model=Novel,
        json_mode=True,
        client=Mistral(api_key="k", server_url=url),
    )
    def extract() -> str:
        return "The novel?"

    stream = extract()
    seen: list[Any] = []
    with pytest.raises(ResponseModelError, match="does not fit Novel"):
        for item in stream:
            seen.append(item)
    assert seen[-1].title == "Emma"
    assert seen[-1].author is None


def test_partial_model_keeps_descriptions_and_makes_everything_optional() -> None:
    class Shelf(BaseModel):
        label: str = Field(description="The label.", min_length=3)
        novels: list[Novel]
        by_genre: dict[str, list[Writer]] = {}

    partial = partial_model(Shelf)
    assert partial_model(Shelf) is partial  # built once
    empty = partial()
    assert (empty.label, empty.novels, empty.by_genre) == (None, None, None)  # type: ignore[attr-defined]
    assert partial.model_fields["label"].description == "The label."
    got = _partial_instance(
        partial, {"label": "Sc", "novels": [{"title": "Du"}], "by_genre": {"x": [{}]}}
    )
    assert got.label is None  # type: ignore[attr-defined]  # too short yet: left out
    assert got.novels[0].title == "Du"  # type: ignore[attr-defined]
    assert got.novels[0].author is None  # type: ignore[attr-defined]
    assert got.by_genre["x"][0].name is None  # type: ignore[attr-defined]


def test_partial_json_reads_a_half_sent_escape_and_key() -> None:
    # pydantic-core's partial JSON (trailing-strings): half an escape and half a key left out.
    assert parse_partial_json('{"title": "Caf\\u00e') == {"title": "Caf"}
    assert _partial_json('{"title": "Caf\\u00e') == {"title": "Caf"}
    assert _partial_json('{"ti') == {}
    assert _partial_json('{"title": "Dune", "year": 19') == {"title": "Dune", "year": 19}


# --- output_parser ----------------------------------------------------------------------------


def test_output_parser_with_stream_is_refused_when_decorating() -> None:
    for kwargs in ({}, {"response_model": Novel}):
        with pytest.raises(ValueError, match=r"Cannot use `output_parser` with `stream=True`\."):
            mistral_call("m", stream=True, output_parser=str, **kwargs)


def test_output_parser_gets_the_response_model_instance(server: ReplayServer) -> None:
    arguments = json.dumps(NOVEL, ensure_ascii=False)
    body = json.dumps(
        {
            "id": "r",
            "model": "mistral-small-latest",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {"id": "t1", "function": {"name": "Novel", "arguments": arguments}}
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
        }
    ).encode()
    url = server.route(
        Reply(body=body, content_type="application/json"),
        Reply(body=body, content_type="application/json"),
    )
    client = Mistral(api_key="k", server_url=url)

    @mistral_call(
        "mistral-small-latest",
        response_model=Novel,
        output_parser=lambda novel: novel.title.upper(),
        client=client,
    )
    def title() -> str:
        return "The novel?"

    assert title() == "CIEN AÑOS DE SOLEDAD"

    @mistral_call("mistral-small-latest", output_parser=lambda r: r.finish_reasons, client=client)
    def raw() -> str:
        return "The novel?"

    assert raw() == ["tool_calls"]


@pytest.mark.skipif(not MIRASCOPE_PYTHON.exists(), reason="Mirascope v1's environment is not here")
def test_partials_are_mirascopes_for_every_prefix() -> None:
    """Every prefix of a streamed object gives the partial Mirascope v1 gives; where Mirascope
    raises (half a Literal), streamcall leaves that field None and goes on."""
    done = subprocess.run(
        [str(MIRASCOPE_PYTHON), str(ROOT / "tests" / "tool_docstring_cases.py"), "--partials"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    )
    expected = json.loads(done.stdout)
    namespace: dict[str, Any] = {}
    exec(compile(cases.PARTIAL_SOURCE, "partial_cases", "exec", dont_inherit=True), namespace)
    partial = partial_model(namespace["Novel"])
    raised = 0
    for end, mirascope in enumerate(expected, start=1):
        prefix = cases.PARTIAL_JSON[:end]
        ours = _partial_instance(partial, _partial_json(prefix)).model_dump()
        if isinstance(mirascope, str):
            raised += 1
            assert ours["genre"] is None, prefix
        else:
            assert ours == mirascope, prefix
    assert 0 < raised < len(expected) // 4
