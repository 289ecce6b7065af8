"""Gemini: the lean client, differential against google-genai, and the call layer."""

from __future__ import annotations

from typing import Any

import pytest
from google import genai
from google.genai import types

from streamcall.clients.gemini import Gemini
from streamcall.clients.gemini.models import GenerateContentResponse
from streamcall.core.gemini import gemini_call
from streamcall.errors import StreamError
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

GEMINI = fixtures("gemini.")
CALLS = next(f for f in GEMINI if f.name == "gemini.function_call.sse")
TEXT = next(f for f in GEMINI if f.name == "gemini.text.sse")
CHUNKINGS = [Chunking.whole(), Chunking.random(17), Chunking.random(3, 2)]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


def summarize(chunks: list[Any]) -> dict[str, Any]:
    """Text, thoughts, calls, finish reason and usage, by duck typing (SDK or ours)."""
    text = thoughts = ""
    calls, finish, usage = [], None, None
    for chunk in chunks:
        for candidate in chunk.candidates or ():
            for part in (candidate.content.parts or ()) if candidate.content else ():
                if part.function_call:
                    calls.append((part.function_call.name, dict(part.function_call.args)))
                elif part.text:
                    if part.thought:
                        thoughts += part.text
                    else:
                        text += part.text
            if candidate.finish_reason:
                finish = str(getattr(candidate.finish_reason, "value", candidate.finish_reason))
        u = chunk.usage_metadata
        if u is not None:
            usage = (u.prompt_token_count, u.candidates_token_count, u.thoughts_token_count)
    return {"text": text, "thoughts": thoughts, "calls": calls, "finish": finish, "usage": usage}


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", GEMINI, ids=lambda f: f.name)
def test_client_matches_google_genai(
    server: ReplayServer, fixture: WireFixture, chunking: Chunking
) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking))
    with Gemini(api_key="test-key", base_url=url) as client:
        with client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi") as s:
            ours = list(s)
    assert all(isinstance(c, GenerateContentResponse) and c.raw for c in ours)
    sdk = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=url))
    theirs = list(sdk.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"))
    sdk.close()
    assert summarize(ours) == summarize(theirs)
    e = fixture.expected
    got = summarize(ours)
    assert got["text"] == e["text"]
    assert got["thoughts"] == (e["reasoning_text"] or "")
    assert got["calls"] == [(c["name"], c["arguments"]) for c in e["tool_calls"]]
    assert got["finish"] == e["finish_reason"]
    sent = server.requests(url)[0]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert sent.headers["x-goog-api-key"] == "test-key"


def test_error_payload_mid_stream(server: ReplayServer) -> None:
    body = (
        TEXT.body.split(b"\r\n\r\n")[0]
        + b'\r\n\r\ndata: {"error": {"code": 503, "message": "The model is overloaded.", '
        + b'"status": "UNAVAILABLE"}}\r\n\r\n'
    )
    url = server.route(Reply(body=body))
    seen: list[GenerateContentResponse] = []
    with pytest.raises(StreamError, match="overloaded"):
        with Gemini(api_key="k", base_url=url).models.generate_content_stream(
            model="m", contents="x"
        ) as s:
            seen.extend(s)
    assert len(seen) == 1


def test_tool_round_trip_keeps_the_thought_signature(server: ReplayServer) -> None:
    url = server.route(Reply(body=CALLS.body), Reply(body=TEXT.body))

    @gemini_call(
        "gemini-2.5-flash",
        stream=True,
        tools=[get_weather, format_book],
        client=Gemini(api_key="k", base_url=url),
    )
    def chat(history: list[Any]) -> list[Any]:
        return [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather?"},
            *history,
        ]

    first = chat([])
    results = [(tool, tool.call()) for _, tool in first if tool is not None]
    second = chat([first.message_param, *first.tool_message_params(results)])
    assert "".join(c.content for c, _ in second) == TEXT.expected["text"]
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    model_turn = sent["contents"][1]
    assert model_turn["role"] == "model"
    assert model_turn["parts"][0]["thoughtSignature"].startswith("8R5M3FO8")
    assert model_turn["parts"][0]["functionCall"]["name"] == "get_weather"
    assert sent["contents"][2]["parts"][0] == {
        "functionResponse": {
            "name": "get_weather",
            "response": {"result": "21 degrees celsius in Lisbon"},
        }
    }
