"""Ollama native (NDJSON): the lean client and the call layer on every fixture."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streamcall.clients.ollama import Ollama
from streamcall.clients.ollama.models import ChatResponse
from streamcall.core.ollama import ollama_call
from streamcall.errors import StreamError
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

OLLAMA = fixtures("ollama_chat.")
TOOLS = next(f for f in OLLAMA if f.name == "ollama_chat.tools.ndjson")
CHUNKINGS = [Chunking.whole(), Chunking.random(12), Chunking.random(2, 3)]
NDJSON = "application/x-ndjson"


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", OLLAMA, ids=lambda f: f.name)
def test_client(server: ReplayServer, fixture: WireFixture, chunking: Chunking) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking, content_type=NDJSON))
    with Ollama(base_url=url) as client:
        with client.chat(
            model="llama3.2", messages=[{"role": "user", "content": "hi"}], stream=True
        ) as s:
            lines = list(s)
    assert all(isinstance(line, ChatResponse) and line.raw for line in lines)
    e = fixture.expected
    assert len(lines) == e["lines"]
    assert "".join(line.message.content for line in lines if line.message) == e["text"]
    assert lines[-1].done
    assert lines[-1].done_reason == e["finish_reason"]
    sent = server.requests(url)[0]
    assert sent.path == "/api/chat"
    assert "authorization" not in sent.headers


def test_error_line_keeps_what_arrived(server: ReplayServer) -> None:
    first = TOOLS.body.split(b"\n")[0]
    body = first + b'\n{"error":"model runner has unexpectedly stopped"}\n'
    url = server.route(Reply(body=body, content_type=NDJSON))

    @ollama_call("qwen3:8b", stream=True, client=Ollama(base_url=url))
    def ask() -> str:
        return "go"

    stream = ask()
    with pytest.raises(StreamError, match="unexpectedly stopped"):
        for _ in stream:
            pass
    assert stream.thinking == json.loads(first)["message"]["thinking"]


@pytest.mark.anyio
async def test_async_and_tool_round_trip(server: ReplayServer) -> None:
    text = next(f for f in OLLAMA if f.name == "ollama_chat.text.ndjson")
    url = server.route(
        Reply(body=TOOLS.body, content_type=NDJSON), Reply(body=text.body, content_type=NDJSON)
    )
    client = Ollama(base_url=url)

    @ollama_call("qwen3:8b", stream=True, tools=[get_weather, format_book], client=client)
    async def chat(history: list[Any]) -> list[Any]:
        return [{"role": "user", "content": "Weather?"}, *history]

    first = await chat([])
    results = [(tool, tool.call()) async for _, tool in first if tool is not None]
    second = await chat([first.message_param, *first.tool_message_params(results)])
    assert "".join([c.content async for c, _ in second]) == text.expected["text"]
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    assert sent["messages"][1]["tool_calls"][0]["function"]["arguments"] == {
        "city": "Lisbon",
        "unit": "celsius",
    }
    assert sent["messages"][2] == {
        "role": "tool",
        "content": "21 degrees celsius in Lisbon",
        "tool_name": "get_weather",
    }
    await client.aclose()
