"""OpenAI Chat Completions: the lean client, differential against the official SDK, call layer."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import httpx2
import openai
import pytest

from streamcall.clients.openai import AsyncOpenAI, OpenAI
from streamcall.clients.openai.models import ChatCompletionChunk
from streamcall.core.openai import openai_call
from streamcall.errors import MissingAPIKeyError, StreamError
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

OPENAI = fixtures("openai_chat.") + fixtures("openai_compat.")
OK = [f for f in OPENAI if f.expected["error"] is None]
ERROR = next(f for f in OPENAI if f.name == "openai_chat.error_midstream.sse")
TOOLS = next(f for f in OPENAI if f.name == "openai_chat.tools_parallel.sse")
TEXT = next(f for f in OPENAI if f.name == "openai_chat.text.sse")
CHUNKINGS = [Chunking.whole(), Chunking.random(21), Chunking.random(5, 3)]
MESSAGES = [{"role": "user", "content": "hi"}]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


def summarize(chunks: list[Any]) -> dict[str, Any]:
    """What a chat stream carried, by duck typing (the SDK's chunks or ours)."""
    text = reasoning = ""
    calls: dict[int, list[Any]] = {}
    finish = usage = None
    for chunk in chunks:
        if chunk.usage is not None:
            u = chunk.usage
            details = u.prompt_tokens_details
            usage = (
                u.prompt_tokens,
                u.completion_tokens,
                details.cached_tokens if details else None,
            )
        for choice in chunk.choices:
            delta = choice.delta
            text += delta.content or ""
            reasoning += getattr(delta, "reasoning_content", None) or ""
            for call in delta.tool_calls or ():
                entry = calls.setdefault(call.index, [call.id, "", ""])
                if call.function and call.function.name:
                    entry[1] = call.function.name
                if call.function and call.function.arguments:
                    entry[2] += call.function.arguments
            if choice.finish_reason is not None:
                finish = choice.finish_reason
    tool_calls = [(i, n, json.loads(a)) for i, n, a in (calls[k] for k in sorted(calls))]
    return {
        "text": text,
        "reasoning": reasoning,
        "tools": tool_calls,
        "finish": finish,
        "usage": usage,
    }


def expected_summary(fixture: WireFixture) -> dict[str, Any]:
    e = fixture.expected
    usage = e["usage"]
    raw_details = (usage or {}).get("raw", {}).get("prompt_tokens_details") if usage else None
    return {
        "text": e["text"],
        "reasoning": e["reasoning_text"] or "",
        "tools": [(c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]],
        "finish": e["finish_reason"],
        "usage": None
        if usage is None
        else (
            usage["input_tokens"],
            usage["output_tokens"],
            raw_details["cached_tokens"] if raw_details else None,
        ),
    }


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", OK, ids=lambda f: f.name)
def test_client_matches_expected_and_the_official_sdk(
    server: ReplayServer, fixture: WireFixture, chunking: Chunking
) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking))
    with OpenAI(api_key="test-key", base_url=url) as client:
        with client.chat.completions.create(
            model="gpt-4.1-mini", messages=MESSAGES, stream=True
        ) as s:
            ours = list(s)
    assert all(isinstance(c, ChatCompletionChunk) and c.raw for c in ours)
    with httpx2.Client() as http:
        sdk = openai.OpenAI(api_key="test-key", base_url=url, http_client=http)
        theirs = list(
            sdk.chat.completions.create(
                model="gpt-4.1-mini",
                messages=MESSAGES,  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    assert summarize(ours) == summarize(theirs) == expected_summary(fixture)
    sent = [r.json() for r in server.requests(url)]
    assert sent[0] == sent[1]
    assert sent[0] == {
        "model": "gpt-4.1-mini",
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_error_mid_stream_keeps_what_arrived(server: ReplayServer) -> None:
    url = server.route(Reply(body=ERROR.body, chunking=Chunking.random(8)))
    seen: list[ChatCompletionChunk] = []
    with pytest.raises(StreamError) as info:
        with OpenAI(api_key="k", base_url=url).chat.completions.create(
            model="m", messages=MESSAGES, stream=True
        ) as stream:
            seen.extend(stream)
    assert info.value.type == "server_error"
    assert ERROR.expected["error"]["message"] in str(info.value)
    assert summarize(seen)["text"] == ERROR.expected["text"]


@pytest.mark.anyio
async def test_async_client(server: ReplayServer) -> None:
    url = server.route(Reply(body=TOOLS.body, chunking=Chunking.random(4)))
    client = AsyncOpenAI(api_key="k", base_url=url)
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    async with stream:
        chunks = [c async for c in stream]
    assert summarize(chunks) == expected_summary(TOOLS)
    await client.aclose()


def test_keys_usage_option_and_local_servers(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body))
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        OpenAI().chat.completions.create(model="m", messages=MESSAGES, stream=True)
    local = OpenAI(base_url=url, stream_usage=False)  # a local server needs no key
    with local.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream:
        list(stream)
    sent = server.requests(url)[0]
    assert "authorization" not in sent.headers
    assert "stream_options" not in sent.json()  # type: ignore[operator]
    local.close()


def test_cost_uses_the_cached_rate(server: ReplayServer) -> None:
    fixture = next(f for f in OPENAI if f.name == "openai_chat.usage.sse")
    url = server.route(Reply(body=fixture.body))

    @openai_call("gpt-5-mini", stream=True, client=OpenAI(api_key="k", base_url=url))
    def ask() -> str:
        return "go"

    stream = ask()
    list(stream)
    usage = fixture.expected["usage"]
    assert stream.model.startswith("gpt-5-mini")
    uncached = usage["input_tokens"] - usage["cached_tokens"]
    expected = (
        uncached * 0.25 + usage["cached_tokens"] * 0.025 + usage["output_tokens"] * 2.0
    ) / 1e6
    assert stream.cost == pytest.approx(expected)


def test_error_mid_stream_through_the_call_layer(server: ReplayServer) -> None:
    url = server.route(Reply(body=ERROR.body))

    @openai_call("gpt-4.1-mini", stream=True, client=OpenAI(api_key="k", base_url=url))
    def ask() -> str:
        return "go"

    stream = ask()
    with pytest.raises(StreamError):
        for _ in stream:
            pass
    assert stream.content == ERROR.expected["text"]
    assert stream.construct_call_response().content == ERROR.expected["text"]


def test_seed_program_and_two_turn_round_trip(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", server.route(Reply(body=TEXT.body)))
    program = textwrap.dedent(
        """
        from streamcall.core.openai import openai_call

        @openai_call("gpt-4.1-mini", stream=True)
        def recommend_book(genre: str) -> str:
            return f"Recommend a {genre} book"
        stream = recommend_book("fantasy")
        for chunk, _ in stream:
            print(chunk.content, end="", flush=True)
        """
    )
    exec(program, {})
    assert capsys.readouterr().out == TEXT.expected["text"]

    url = server.route(Reply(body=TOOLS.body), Reply(body=TEXT.body))

    @openai_call(
        "gpt-4.1-mini",
        stream=True,
        tools=[get_weather, format_book],
        client=OpenAI(api_key="k", base_url=url),
    )
    def chat(history: list[Any]) -> list[Any]:
        return [{"role": "user", "content": "Weather and time?"}, *history]

    first = chat([])
    results = [(tool, tool.call()) for _, tool in first if tool is not None]
    second = chat([first.message_param, *first.tool_message_params(results)])
    assert "".join(c.content for c, _ in second) == TEXT.expected["text"]
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    assistant = sent["messages"][1]
    assert [c["id"] for c in assistant["tool_calls"]] == [
        c["id"] for c in TOOLS.expected["tool_calls"]
    ]
    assert assistant["tool_calls"][0]["type"] == "function"
    assert sent["messages"][2]["role"] == "tool"
    assert sent["messages"][2]["tool_call_id"] == TOOLS.expected["tool_calls"][0]["id"]


def test_azure_deployment_url_header_and_api_version(server: ReplayServer) -> None:
    from streamcall.clients.azure import AzureOpenAI
    from streamcall.core.azure import AzureStream, azure_call

    usage_fixture = next(f for f in OPENAI if f.name == "openai_chat.usage.sse")
    url = server.route(Reply(body=usage_fixture.body), Reply(body=TEXT.body))
    client = AzureOpenAI(api_key="az-key", azure_endpoint=url, api_version="2024-10-21")

    @azure_call("my-gpt5", stream=True, client=client)
    def ask() -> str:
        return "go"

    stream = ask()
    assert isinstance(stream, AzureStream)
    assert "".join(chunk.content for chunk, _ in stream) == usage_fixture.expected["text"]
    assert stream.provider == "azure"
    assert stream.cost is not None  # priced by the model the deployment reports
    sent = server.requests(url)[0]
    assert sent.path == "/openai/deployments/my-gpt5/chat/completions?api-version=2024-10-21"
    assert sent.headers["api-key"] == "az-key"
    assert "authorization" not in sent.headers
    assert sent.json()["stream_options"] == {"include_usage": True}  # type: ignore[index]

    old = AzureOpenAI(api_key="az-key", azure_endpoint=url, api_version="2024-06-01")
    with old.chat.completions.create(model="dep", messages=MESSAGES, stream=True) as s:
        list(s)
    assert "stream_options" not in server.requests(url)[1].json()  # type: ignore[operator]


def test_azure_needs_an_endpoint() -> None:
    from streamcall.clients.azure import AzureOpenAI
    from streamcall.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="AZURE_BASE_URL"):
        AzureOpenAI(api_key="k")
