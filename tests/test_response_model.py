"""``response_model``: whole and streamed extraction, tool mode and JSON mode, typed failures."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from streamcall.clients.cohere import ClientV2
from streamcall.clients.mistral import Mistral
from streamcall.core.base.structured import StructuredStream
from streamcall.core.cohere import cohere_call
from streamcall.core.mistral import mistral_call
from streamcall.errors import ResponseModelError
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.wire_fixtures import fixtures

COHERE_TOOLS = next(f for f in fixtures("cohere_v2.") if f.name == "cohere_v2.tools.sse")


class Book(BaseModel):
    """A book."""

    title: str
    author: str
    year: int


def mistral_response(message: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": "r",
            "model": "mistral-small-latest",
            "choices": [
                {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
        }
    ).encode()


def test_tool_mode_whole_response(server: ReplayServer) -> None:
    args = json.dumps({"title": "Dune", "author": "Frank Herbert", "year": 1965})
    body = mistral_response(
        {
            "content": "",
            "tool_calls": [{"id": "t1", "function": {"name": "Book", "arguments": args}}],
        }
    )
    url = server.route(Reply(body=body, content_type="application/json"))

    @mistral_call(
        "mistral-small-latest", response_model=Book, client=Mistral(api_key="k", server_url=url)
    )
    def extract(text: str) -> str:
        return f"Extract the book: {text}"

    book = extract("Dune by Frank Herbert, 1965")
    assert book == Book(title="Dune", author="Frank Herbert", year=1965)
    assert book._response.cost is not None  # type: ignore[attr-defined]
    assert "_response" not in book.model_dump()
    sent = server.requests(url)[0].json()
    assert isinstance(sent, dict)
    assert sent["tools"][0]["function"]["name"] == "Book"
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "Book"}}


def test_json_mode_whole_response_and_failures(server: ReplayServer) -> None:
    good = mistral_response(
        {"content": '```json\n{"title": "Dune", "author": "F. H.", "year": 1965}\n```'}
    )
    wrong = mistral_response({"content": '{"title": "Dune"}'})
    prose = mistral_response({"content": "Sorry, no JSON today."})
    url = server.route(
        Reply(body=good, content_type="application/json"),
        Reply(body=wrong, content_type="application/json"),
        Reply(body=prose, content_type="application/json"),
    )

    @mistral_call(
        "mistral-small-latest",
        response_model=Book,
        json_mode=True,
        client=Mistral(api_key="k", server_url=url),
    )
    def extract() -> str:
        return "Extract the book"

    assert extract().year == 1965
    sent = server.requests(url)[0].json()
    assert isinstance(sent, dict)
    assert sent["response_format"] == {"type": "json_object"}
    assert "JSON schema" in sent["messages"][-1]["content"]
    with pytest.raises(ResponseModelError, match="does not fit Book") as info:
        extract()
    assert info.value.errors
    with pytest.raises(ResponseModelError, match="not the JSON object") as info2:
        extract()
    assert info2.value.content == "Sorry, no JSON today."


def test_streamed_partials_from_tool_argument_fragments(server: ReplayServer) -> None:
    class format_book(BaseModel):
        title: str
        author: str
        year: int

    url = server.route(Reply(body=COHERE_TOOLS.body, chunking=Chunking.random(1)))

    @cohere_call(
        "command-r-plus",
        stream=True,
        response_model=format_book,
        client=ClientV2(api_key="k", base_url=url),
    )
    def extract() -> str:
        return "Format the book"

    stream = extract()
    assert isinstance(stream, StructuredStream)
    partials = list(stream)
    assert len(partials) > 3
    assert partials[-1].year == 1967
    assert any(getattr(p, "year", None) is None for p in partials)
    final = stream.constructed_response_model
    assert final.author == "Gabriel García Márquez"
    assert stream.stream.cost is not None
    sent = server.requests(url)[0].json()
    assert isinstance(sent, dict)
    assert sent["tool_choice"] == "REQUIRED"


@pytest.mark.anyio
async def test_streamed_json_mode_async(server: ReplayServer) -> None:
    pieces = ['{"title": "Du', 'ne", "author": "Frank', ' Herbert", "year": 19', "65}"]
    body = sse_body(
        [
            json.dumps(
                {
                    "id": "s",
                    "model": "mistral-small-latest",
                    "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
                }
            )
            for p in pieces
        ]
        + [
            json.dumps(
                {
                    "id": "s",
                    "model": "mistral-small-latest",
                    "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}],
                }
            )
        ]
    )
    url = server.route(Reply(body=body))
    client = Mistral(api_key="k", server_url=url)

    @mistral_call(
        "mistral-small-latest", stream=True, response_model=Book, json_mode=True, client=client
    )
    async def extract() -> str:
        return "Extract"

    stream = await extract()
    titles = [p.title async for p in stream]
    assert titles[0] == "Du"
    assert titles[-1] == "Dune"
    assert stream.constructed_response_model == Book(
        title="Dune", author="Frank Herbert", year=1965
    )
    await client.aclose()


def test_bad_response_model_arguments() -> None:
    with pytest.raises(TypeError, match="pydantic model class"):
        mistral_call("m", response_model=dict)
    with pytest.raises(ValueError, match="Cannot use `output_parser` with `stream=True`"):
        mistral_call("m", stream=True, response_model=Book, output_parser=str)
