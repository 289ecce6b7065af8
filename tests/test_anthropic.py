"""Anthropic Messages: the lean client, differential against the official SDK, call layer."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import pytest

from streamcall.clients.anthropic import Anthropic
from streamcall.clients.anthropic.models import MessageStreamEvent
from streamcall.core.anthropic import anthropic_call
from streamcall.errors import StreamError
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

ANTHROPIC = fixtures("anthropic.")
OK = [f for f in ANTHROPIC if f.expected["error"] is None]
ERROR = next(f for f in ANTHROPIC if f.name == "anthropic.error_overloaded.sse")
TOOLS = next(f for f in ANTHROPIC if f.name == "anthropic.tool_use.sse")
THINKING = next(f for f in ANTHROPIC if f.name == "anthropic.thinking.sse")
TEXT = next(f for f in ANTHROPIC if f.name == "anthropic.text.sse")
CHUNKINGS = [Chunking.whole(), Chunking.random(31), Chunking.random(7, 3)]
MESSAGES = [{"role": "user", "content": "hi"}]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


def summarize(events: list[Any]) -> dict[str, Any]:
    """What a Messages stream carried, by duck typing (the SDK's events or ours)."""
    text = thinking = signature = ""
    blocks: dict[int, list[Any]] = {}
    stop = None
    usage: dict[str, Any] = {}
    for event in events:
        kind = event.type
        if kind == "message_start":
            u = event.message.usage
            usage.update(input=u.input_tokens, cache_read=u.cache_read_input_tokens)
        elif kind == "content_block_start" and event.content_block.type == "tool_use":
            blocks[event.index] = [event.content_block.id, event.content_block.name, ""]
        elif kind == "content_block_delta":
            d = event.delta
            if d.type == "text_delta":
                text += d.text
            elif d.type == "thinking_delta":
                thinking += d.thinking
            elif d.type == "signature_delta":
                signature += d.signature
            elif d.type == "input_json_delta":
                blocks[event.index][2] += d.partial_json
        elif kind == "message_delta":
            stop = event.delta.stop_reason
            usage["output"] = event.usage.output_tokens
    calls = [(i, n, json.loads(a) if a else {}) for i, n, a in (blocks[k] for k in sorted(blocks))]
    return {
        "text": text,
        "thinking": thinking,
        "signature": signature,
        "tools": calls,
        "stop": stop,
        "usage": usage,
    }


@pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", OK, ids=lambda f: f.name)
def test_client_matches_the_official_sdk(
    server: ReplayServer, fixture: WireFixture, chunking: Chunking
) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking))
    with Anthropic(api_key="test-key", base_url=url) as client:
        with client.messages.create(
            model="claude-sonnet-4-5", max_tokens=512, messages=MESSAGES, stream=True
        ) as s:
            ours = list(s)
    assert all(isinstance(e, MessageStreamEvent) and e.raw for e in ours)
    with httpx2.Client() as http:
        sdk = anthropic.Anthropic(api_key="test-key", base_url=url, http_client=http)
        theirs = list(
            sdk.messages.create(
                model="claude-sonnet-4-5", max_tokens=512, messages=MESSAGES, stream=True
            )  # type: ignore[arg-type]
        )
    assert summarize(ours) == summarize(theirs)
    e = fixture.expected
    got = summarize(ours)
    assert got["text"] == e["text"]
    assert got["thinking"] == (e["reasoning_text"] or "")
    assert [(i, n, a) for i, n, a in got["tools"]] == [
        (c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]
    ]
    assert got["stop"] == e["finish_reason"]
    sent = server.requests(url)
    assert sent[0].headers["x-api-key"] == "test-key"
    assert sent[0].headers["anthropic-version"] == "2023-06-01"
    assert sent[0].json() == sent[1].json()


def test_error_event_keeps_what_arrived(server: ReplayServer) -> None:
    url = server.route(Reply(body=ERROR.body, chunking=Chunking.random(3)))
    seen: list[MessageStreamEvent] = []
    with pytest.raises(StreamError) as info:
        with Anthropic(api_key="k", base_url=url).messages.create(
            model="m", max_tokens=10, messages=MESSAGES, stream=True
        ) as stream:
            seen.extend(stream)
    assert info.value.type == "overloaded_error"
    assert summarize(seen)["text"] == ERROR.expected["text"]


def test_max_tokens_is_required_with_a_clear_error(server: ReplayServer) -> None:
    url = server.route(Reply())
    with pytest.raises(ValueError, match="max_tokens"):
        Anthropic(api_key="k", base_url=url).messages.create(
            model="m", max_tokens=0, messages=MESSAGES
        )
    assert server.requests(url) == []


def test_thinking_and_signature_are_sent_back_in_order(server: ReplayServer) -> None:
    url = server.route(Reply(body=THINKING.body, chunking=Chunking.random(2)))

    @anthropic_call("claude-sonnet-4-5", stream=True, client=Anthropic(api_key="k", base_url=url))
    def ask() -> str:
        return "go"

    stream = ask()
    list(stream)
    content = stream.message_param["content"]
    assert [b["type"] for b in content] == ["thinking", "text"]
    assert content[0]["thinking"] == THINKING.expected["reasoning_text"]
    assert content[0]["signature"] == THINKING.expected["reasoning_signature"]
    assert content[1]["text"] == THINKING.expected["text"]


def test_error_through_the_call_layer_keeps_text_and_usage(server: ReplayServer) -> None:
    url = server.route(Reply(body=ERROR.body))

    @anthropic_call("claude-sonnet-4-5", stream=True, client=Anthropic(api_key="k", base_url=url))
    def ask() -> str:
        return "go"

    stream = ask()
    with pytest.raises(StreamError, match="Overloaded"):
        for _ in stream:
            pass
    assert stream.content == ERROR.expected["text"]
    assert stream.input_tokens == ERROR.expected["usage"]["input_tokens"]
    assert stream.output_tokens is None  # message_start's placeholder is not a count
    assert stream.cost is None


def test_two_turn_tool_round_trip_and_system_prompt(server: ReplayServer) -> None:
    url = server.route(Reply(body=TOOLS.body), Reply(body=TEXT.body))

    @anthropic_call(
        "claude-sonnet-4-5",
        stream=True,
        tools=[get_weather, format_book],
        client=Anthropic(api_key="k", base_url=url),
    )
    def chat(history: list[Any]) -> list[Any]:
        return [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather and a book?"},
            *history,
        ]

    first = chat([])
    results = [(tool, tool.call()) for _, tool in first if tool is not None]
    second = chat([first.message_param, *first.tool_message_params(results)])
    assert "".join(c.content for c, _ in second) == TEXT.expected["text"]
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    assert sent["system"] == "Be brief."
    assert sent["max_tokens"] == 1024
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    blocks = sent["messages"][1]["content"]
    assert [b["type"] for b in blocks] == ["text", "tool_use", "tool_use"]
    assert blocks[1]["input"] == {"city": "Lisbon", "unit": "celsius"}
    results_sent = sent["messages"][2]["content"]
    assert [r["tool_use_id"] for r in results_sent] == [
        c["id"] for c in TOOLS.expected["tool_calls"]
    ]
    assert results_sent[0]["content"] == "21 degrees celsius in Lisbon"
    assert sent["tools"][0] == {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "input_schema": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "default": "celsius"},
            },
            "required": ["city"],
        },
    }
