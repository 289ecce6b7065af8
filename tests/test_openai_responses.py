"""OpenAI Responses API: the lean client, differential against the official SDK, call layer."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
import pytest

from streamcall.clients.openai import OpenAI
from streamcall.clients.openai.responses_models import ResponseStreamEvent
from streamcall.core.openai import openai_responses_call
from streamcall.errors import StreamError
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

RESPONSES = fixtures("openai_responses.")
ERROR = next(f for f in RESPONSES if f.name == "openai_responses.error.sse")
TOOLS = next(f for f in RESPONSES if f.name == "openai_responses.tools.sse")
TEXT = next(f for f in RESPONSES if f.name == "openai_responses.text.sse")
CHUNKINGS = [Chunking.whole(), Chunking.random(41), Chunking.random(9, 3)]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


def summarize(events: list[Any]) -> dict[str, Any]:
    """Text, reasoning, calls, status, usage and id, by duck typing (SDK events or ours)."""
    text = reasoning = ""
    calls: dict[int, list[Any]] = {}
    status = usage = ident = None
    for e in events:
        kind = e.type
        if kind == "response.output_text.delta":
            text += e.delta
        elif kind == "response.reasoning_summary_text.delta":
            reasoning += e.delta
        elif kind == "response.output_item.added" and e.item.type == "function_call":
            calls[e.output_index] = [e.item.call_id, e.item.name, ""]
        elif kind == "response.function_call_arguments.delta":
            calls[e.output_index][2] += e.delta
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            status, ident = e.response.status, e.response.id
            u = e.response.usage
            usage = None if u is None else (u.input_tokens, u.output_tokens, u.total_tokens)
    tool_calls = [(i, n, json.loads(a)) for i, n, a in (calls[k] for k in sorted(calls))]
    return {
        "text": text,
        "reasoning": reasoning,
        "calls": tool_calls,
        "status": status,
        "usage": usage,
        "id": ident,
    }


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", [f for f in RESPONSES if f is not ERROR], ids=lambda f: f.name)
def test_client_matches_the_official_sdk(
    server: ReplayServer, fixture: WireFixture, chunking: Chunking
) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking))
    with OpenAI(api_key="k", base_url=url) as client:
        with client.responses.create(model="gpt-5-mini", input="hi", stream=True) as s:
            ours = list(s)
    assert all(isinstance(e, ResponseStreamEvent) and e.raw for e in ours)
    with httpx2.Client() as http:
        sdk = openai.OpenAI(api_key="k", base_url=url, http_client=http)
        theirs = list(sdk.responses.create(model="gpt-5-mini", input="hi", stream=True))
    assert summarize(ours) == summarize(theirs)
    e = fixture.expected
    got = summarize(ours)
    assert got["text"] == e["text"]
    assert got["reasoning"] == (e["reasoning_text"] or "")
    assert got["calls"] == [(c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]]
    assert (got["status"], got["id"]) == (e["finish_reason"], e["response_id"])
    sent = server.requests(url)
    assert sent[0].path == "/responses"
    assert (
        sent[0].json() == sent[1].json() == {"model": "gpt-5-mini", "input": "hi", "stream": True}
    )


def test_error_event_then_failed_response(server: ReplayServer) -> None:
    url = server.route(Reply(body=ERROR.body, chunking=Chunking.random(5)))
    seen: list[ResponseStreamEvent] = []
    with pytest.raises(StreamError) as info:
        with OpenAI(api_key="k", base_url=url).responses.create(
            model="m", input="x", stream=True
        ) as s:
            seen.extend(s)
    assert info.value.code == ERROR.expected["error"]["code"]
    assert ERROR.expected["error"]["message"] in str(info.value)
    got = summarize(seen)
    assert (got["status"], got["id"]) == (
        ERROR.expected["finish_reason"],
        ERROR.expected["response_id"],
    )


def test_two_turn_round_trip(server: ReplayServer) -> None:
    url = server.route(Reply(body=TOOLS.body), Reply(body=TEXT.body))

    @openai_responses_call(
        "gpt-5-mini",
        stream=True,
        tools=[get_weather, format_book],
        client=OpenAI(api_key="k", base_url=url),
    )
    def chat(history: list[Any]) -> list[Any]:
        return [{"role": "user", "content": "Weather and a book?"}, *history]

    first = chat([])
    results = [(tool, tool.call()) for _, tool in first if tool is not None]
    second = chat([*first.message_param, *first.tool_message_params(results)])
    assert "".join(c.content for c, _ in second) == TEXT.expected["text"]
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    items = sent["input"]
    assert [i.get("type", i.get("role")) for i in items] == [
        "user",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert items[3] == {
        "type": "function_call_output",
        "call_id": TOOLS.expected["tool_calls"][0]["id"],
        "output": "21 degrees celsius in Lisbon",
    }
    assert sent["tools"][0]["type"] == "function"
    assert sent["tools"][0]["name"] == "get_weather"
