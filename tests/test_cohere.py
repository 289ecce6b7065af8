"""Cohere v2: the lean client, a differential test against the official SDK, and the call layer."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import cohere
import httpx
import pytest

from streamcall.clients.cohere import ClientV2
from streamcall.clients.cohere.models import StreamEvent
from streamcall.core.cohere import cohere_call
from streamcall.errors import StreamError
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

COHERE = fixtures("cohere_v2.")
TOOLS = next(f for f in COHERE if f.name == "cohere_v2.tools.sse")
TEXT = next(f for f in COHERE if f.name == "cohere_v2.text.sse")
CHUNKINGS = [Chunking.whole(), Chunking.random(6), Chunking.random(13, 4)]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


def summarize(events: list[Any]) -> dict[str, Any]:
    """What a Cohere stream carried, by duck typing (works on the SDK's events and ours)."""
    text, plan, calls, args, finish, usage, ident = "", "", {}, {}, None, None, None
    for event in events:
        kind = event.type
        delta = getattr(event, "delta", None)
        message = getattr(delta, "message", None)
        if kind == "message-start":
            ident = event.id
        elif kind == "content-delta":
            text += message.content.text or ""
        elif kind == "tool-plan-delta":
            plan += message.tool_plan
        elif kind == "tool-call-start":
            calls[event.index] = (message.tool_calls.id, message.tool_calls.function.name)
            args[event.index] = message.tool_calls.function.arguments or ""
        elif kind == "tool-call-delta":
            args[event.index] += message.tool_calls.function.arguments
        elif kind == "message-end":
            finish = event.delta.finish_reason
            u = event.delta.usage
            usage = (
                u.tokens.input_tokens,
                u.tokens.output_tokens,
                u.billed_units.input_tokens,
                u.billed_units.output_tokens,
                u.cached_tokens,
            )
    tool_calls = [(*calls[i], json.loads(args[i])) for i in sorted(calls)]
    return {
        "text": text,
        "plan": plan,
        "tools": tool_calls,
        "finish": finish,
        "usage": usage,
        "id": ident,
    }


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", COHERE, ids=lambda f: f.name)
def test_client_and_official_sdk_agree(
    server: ReplayServer, fixture: WireFixture, chunking: Chunking
) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking))
    messages = [{"role": "user", "content": "hi"}]
    with ClientV2(api_key="test-key", base_url=url) as client:
        with client.chat_stream("command-r-plus", messages) as stream:
            ours = list(stream)
    with httpx.Client() as http:  # the SDK's own client would be left open
        sdk = cohere.ClientV2(api_key="test-key", base_url=url, httpx_client=http)
        theirs = list(sdk.chat_stream(model="command-r-plus", messages=messages))  # type: ignore[arg-type]
    assert summarize(ours) == summarize(theirs)
    assert [e.type for e in ours] == [e.type for e in theirs]
    expected = fixture.expected
    got = summarize(ours)
    assert got["text"] == expected["text"]
    assert got["id"] == expected["response_id"]
    assert got["finish"] == expected["finish_reason"]
    assert [(i, n, a) for i, n, a in got["tools"]] == [
        (c["id"], c["name"], c["arguments"]) for c in expected["tool_calls"]
    ]
    assert all(isinstance(e, StreamEvent) and e.raw for e in ours)
    sent = server.requests(url)[0]
    assert sent.path == "/v2/chat"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.json() == {"model": "command-r-plus", "messages": messages, "stream": True}


@pytest.mark.anyio
async def test_async_client(server: ReplayServer) -> None:
    url = server.route(Reply(body=TOOLS.body, chunking=Chunking.random(2)))
    async with ClientV2(api_key="k", base_url=url) as client:
        async with await client.chat_stream_async(
            "command-r-plus", [{"role": "user", "content": "x"}]
        ) as s:
            events = [e async for e in s]
    assert summarize(events)["finish"] == "TOOL_CALL"


def test_seed_program_runs_unchanged(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COHERE_API_KEY", "test-key")
    monkeypatch.setenv("COHERE_BASE_URL", server.route(Reply(body=TEXT.body)))
    program = textwrap.dedent(
        """
        from streamcall.core.cohere import cohere_call

        @cohere_call("command-r-plus", stream=True)
        def recommend_book(genre: str) -> str:
            return f"Recommend a {genre} book"
        stream = recommend_book("fantasy")
        for chunk, _ in stream:
            print(chunk.content, end="", flush=True)
        """
    )
    namespace: dict[str, Any] = {}
    exec(program, namespace)
    assert capsys.readouterr().out == TEXT.expected["text"]
    assert namespace["stream"].construct_call_response().content == TEXT.expected["text"]


def test_two_turn_tool_round_trip(server: ReplayServer) -> None:
    url = server.route(Reply(body=TOOLS.body), Reply(body=TEXT.body))
    client = ClientV2(api_key="k", base_url=url)

    @cohere_call("command-r-plus", stream=True, tools=[get_weather, format_book], client=client)
    def chat(history: list[Any]) -> list[Any]:
        return [{"role": "user", "content": "Weather and a book?"}, *history]

    first = chat([])
    results = [(tool, tool.call()) for _, tool in first if tool is not None]
    second = chat([first.message_param, *first.tool_message_params(results)])
    assert "".join(c.content for c, _ in second) == TEXT.expected["text"]
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    assistant = sent["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["tool_plan"].startswith("I will check the current weather")
    assert [c["id"] for c in assistant["tool_calls"]] == [
        "get_weather_7c0embpx76vi",
        "format_book_bl30mswrqida",
    ]
    assert assistant["tool_calls"][0]["type"] == "function"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {
        "city": "Lisbon",
        "unit": "celsius",
    }
    assert sent["messages"][2] == {
        "role": "tool",
        "tool_call_id": "get_weather_7c0embpx76vi",
        "content": "21 degrees celsius in Lisbon",
    }
    assert (
        sent["messages"][3]["content"]
        == "One Hundred Years of Solitude (Gabriel García Márquez, 1967)"
    )
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather", "format_book"]


def test_error_finish_keeps_text_then_raises(server: ReplayServer) -> None:
    body = TEXT.body.replace(b'"finish_reason":"COMPLETE"', b'"finish_reason":"ERROR"')
    url = server.route(Reply(body=body))

    @cohere_call("command-r-plus", stream=True, client=ClientV2(api_key="k", base_url=url))
    def ask() -> str:
        return "go"

    stream = ask()
    with pytest.raises(StreamError, match="ERROR"):
        for _ in stream:
            pass
    assert stream.content == TEXT.expected["text"]
    assert stream.common_finish_reasons == ["error"]


def test_non_streamed_chat(server: ReplayServer) -> None:
    body = json.dumps(
        {
            "id": "r1",
            "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "Dune"}]},
            "usage": {
                "billed_units": {"input_tokens": 10, "output_tokens": 2},
                "tokens": {"input_tokens": 80, "output_tokens": 2},
            },
        }
    ).encode()
    url = server.route(Reply(body=body, content_type="application/json"))

    @cohere_call("command-r", client=ClientV2(api_key="k", base_url=url))
    def ask() -> str:
        return "A book"

    response = ask()
    assert response.content == "Dune"
    assert response.common_finish_reasons == ["stop"]
    assert response.cost == pytest.approx((10 * 0.15 + 2 * 0.6) / 1e6)
    assert server.requests(url)[0].json()["stream"] is False  # type: ignore[index]
