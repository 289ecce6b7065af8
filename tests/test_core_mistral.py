"""The Mistral call layer (``mistral_call`` / ``MistralStream``) against the replay server."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest
from pydantic import BaseModel

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import AssistantMessage, ThinkChunk, ToolMessage
from streamcall.core import BaseMessageParam, BaseTool, prompt_template
from streamcall.core.mistral import (
    MistralCallResponse,
    MistralStream,
    MistralTool,
    mistral_call,
)
from streamcall.errors import StreamError
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.replay_modes import iterated_again, stream_option
from tests.wire_fixtures import fixtures

MISTRAL = fixtures("mistral.")
TEXT = next(f for f in MISTRAL if f.name == "mistral.text.sse")
TOOLS = next(f for f in MISTRAL if f.name == "mistral.tools.sse")


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city.

    Args:
        city: The city name.
        unit: celsius or fahrenheit.
    """
    return f"21 degrees {unit} in {city}"


class format_book(BaseModel):
    """Format a book reference."""

    title: str
    author: str
    year: int


def client_for(url: str) -> Mistral:
    return Mistral(api_key="test-key", server_url=url)


def test_seed_program_runs_unchanged(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key")
    monkeypatch.setenv("MISTRAL_BASE_URL", server.route(Reply(body=TEXT.body)))
    program = textwrap.dedent(
        """
        from streamcall.core.mistral import mistral_call

        @mistral_call("mistral-large-latest", stream=True)
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
    stream = namespace["stream"]
    assert stream.construct_call_response().content == TEXT.expected["text"]
    assert stream.cost is not None


def test_two_turn_tool_round_trip(server: ReplayServer) -> None:
    answer = sse_body(
        [
            json.dumps(
                {
                    "id": "turn2",
                    "model": "mistral-small-latest",
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": "It is 21 degrees."},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 250, "completion_tokens": 6, "total_tokens": 256},
                }
            )
        ]
    )
    url = server.route(Reply(body=TOOLS.body), Reply(body=answer))
    client = client_for(url)

    @mistral_call(
        "mistral-small-latest", stream=True, tools=[get_weather, format_book], client=client
    )
    def chat(history: list[Any]) -> list[Any]:
        return [
            BaseMessageParam(role="user", content="Weather in Lisbon? And format a book."),
            *history,
        ]

    first = chat([])
    results = [
        (tool, tool.call() if tool._name() == "get_weather" else "ok") for _, tool in first if tool
    ]
    assert results[0][1] == "21 degrees celsius in Lisbon"
    history = [first.message_param, *first.tool_message_params(results)]
    assert isinstance(history[0], AssistantMessage)
    assert all(isinstance(m, ToolMessage) for m in history[1:])

    second = chat(history)
    assert "".join(chunk.content for chunk, _ in second) == "It is 21 degrees."
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    assistant = sent["messages"][1]
    assert assistant["role"] == "assistant"
    assert [c["id"] for c in assistant["tool_calls"]] == ["x82gPioZn", "CW5f2p85c"]
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {
        "city": "Lisbon",
        "unit": "celsius",
    }
    assert sent["messages"][2] == {
        "role": "tool",
        "content": "21 degrees celsius in Lisbon",
        "tool_call_id": "x82gPioZn",
        "name": "get_weather",
    }
    assert sent["messages"][3]["tool_call_id"] == "CW5f2p85c"
    assert [t["function"]["name"] for t in sent["tools"]] == ["get_weather", "format_book"]
    weather_schema = sent["tools"][0]["function"]
    assert weather_schema["description"] == "Current weather for a city."
    assert weather_schema["parameters"]["properties"]["city"] == {
        "type": "string",
        "description": "The city name.",
    }
    assert weather_schema["parameters"]["required"] == ["city"]


def mistral_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    return json.dumps(
        {
            "id": "c1",
            "model": "magistral-small-latest",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
    )


def stream_of(
    server: ReplayServer, payloads: list[str], done: bool = True, replay: bool = False, **kw: Any
) -> MistralStream:
    url = server.route(Reply(body=sse_body(payloads, done=done), chunking=Chunking.random(2, 7)))
    stream_kw = stream_option(replay)

    @mistral_call("magistral-small-latest", stream=stream_kw, client=client_for(url), **kw)
    def ask() -> str:
        return "hi"

    stream: MistralStream = ask()
    return stream


def test_zero_argument_tool_and_thinking(server: ReplayServer) -> None:
    class refresh(MistralTool):
        """Refresh the cache."""

        def call(self) -> str:
            return "refreshed"

    stream = stream_of(
        server,
        [
            mistral_chunk(
                {
                    "content": [
                        {
                            "type": "thinking",
                            "thinking": [{"type": "text", "text": "Need a refresh."}],
                        }
                    ]
                }
            ),
            mistral_chunk(
                {"tool_calls": [{"id": "r1", "function": {"name": "refresh", "arguments": ""}}]},
                "tool_calls",
                usage={"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
            ),
        ],
        tools=[refresh],
    )
    tools = [tool for _, tool in stream if tool is not None]
    assert len(tools) == 1
    assert tools[0].call() == "refreshed"
    assert tools[0].args == {}
    assert stream.thinking == "Need a refresh."
    assert stream.content == ""
    message = stream.message_param
    assert isinstance(message.content, list)
    assert isinstance(message.content[0], ThinkChunk)
    assert message.tool_calls[0].function.name == "refresh"


def test_chunk_finish_reasons_and_cost_as_mirascope_gives_them(server: ReplayServer) -> None:
    from streamcall.core.base.cost import CostMetadata, calculate_cost

    url = server.route(Reply(body=TEXT.body))

    @mistral_call("mistral-small-latest", stream=True, client=client_for(url))
    def ask(question: str) -> str:
        return question

    chunks = [chunk for chunk, _ in ask("go")]
    # As Mirascope v1's Mistral chunk: the finish reasons of its choices, [] when none.
    assert [c.finish_reasons for c in chunks[:-1]] == [[]] * (len(chunks) - 1)
    assert chunks[-1].finish_reasons == [TEXT.expected["finish_reason"]]
    assert chunks[0].common_finish_reasons is None
    # Each count times its price per token, summed: the float Mirascope v1 computes.
    metadata = CostMetadata(input_tokens=88, output_tokens=31)
    assert calculate_cost("mistral", "mistral-small-latest", metadata) == 3.18e-05


def test_consumed_stream_again_and_usage_only_chunk_keeps_finish(
    server: ReplayServer, replay: bool
) -> None:
    stream = stream_of(
        server,
        [
            mistral_chunk({"content": "Hello"}),
            mistral_chunk({"content": "!"}, "stop"),
            json.dumps(
                {
                    "id": "c1",
                    "model": "m",
                    "choices": [],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
                }
            ),
        ],
        replay=replay,
    )
    first = [chunk.content for chunk, _ in stream]
    assert first == ["Hello", "!", ""]
    with iterated_again(first, replay) as again:  # replayed, or nothing
        again.extend(chunk.content for chunk, _ in stream)
    assert stream.content == "Hello!"
    assert stream.finish_reasons == ["stop"]
    assert stream.common_finish_reasons == ["stop"]
    assert (stream.input_tokens, stream.output_tokens) == (3, 2)


def test_error_mid_stream_keeps_what_arrived(server: ReplayServer, replay: bool) -> None:
    stream = stream_of(
        server,
        [
            mistral_chunk({"content": "partial "}),
            '{"object":"error","message":"boom","type":"internal"}',
        ],
        done=False,
        replay=replay,
    )
    with pytest.raises(StreamError, match="boom"):
        for _ in stream:
            pass
    assert stream.content == "partial "
    assert isinstance(stream.error, StreamError)
    assert stream.construct_call_response().content == "partial "
    # Iterated again (replayed, or nothing), it ends the way the stream did: the same error.
    with iterated_again(["partial "], replay) as again, pytest.raises(StreamError) as raised:
        for chunk, _ in stream:
            again.append(chunk.content)
    assert raised.value is stream.error


def test_break_releases_the_connection(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, stall_after=700))

    @mistral_call("mistral-small-latest", stream=True, client=client_for(url))
    def ask() -> str:
        return "hi"

    with ask() as stream:
        for _chunk, _ in stream:
            break
    assert server.route_of(url).client_closed_early.wait(2)


def test_unknown_model_has_no_cost_but_metadata(server: ReplayServer) -> None:
    body = sse_body(
        [
            json.dumps(
                {
                    "id": "x",
                    "model": "mystery-model-9",
                    "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
                }
            )
        ]
    )
    url = server.route(Reply(body=body))

    @mistral_call("mystery-model-9", stream=True, client=client_for(url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    assert stream.cost is None
    assert stream.cost_metadata.model == "mystery-model-9"
    assert stream.cost_metadata.input_tokens == 3


def test_prompt_template_dynamic_config_and_call_params(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body))
    client = client_for(url)

    @mistral_call("mistral-small-latest", stream=True, call_params={"temperature": 0.1})
    @prompt_template(
        """
        SYSTEM: You are a {persona}.
        USER: Recommend a {genre} book for {reader}.
        """
    )
    def recommend(genre: str, persona: str = "librarian") -> dict[str, Any]:
        return {
            "computed_fields": {"reader": "a teenager"},
            "call_params": {"max_tokens": 100},
            "metadata": {"tags": {"books"}},
            "client": client,
        }

    stream = recommend("fantasy")
    assert stream.content == ""  # nothing read yet
    list(stream)
    assert stream.content == TEXT.expected["text"]
    assert stream.metadata == {"tags": {"books"}}
    # As Mirascope v1: the computed fields join fn_args; call_params are the decorator's
    # (the dynamic config's are merged over them in what is sent, and in call_kwargs).
    assert stream.fn_args == {"genre": "fantasy", "persona": "librarian", "reader": "a teenager"}
    assert stream.call_params == {"temperature": 0.1}
    assert stream.call_kwargs["max_tokens"] == 100
    assert stream.call_kwargs["temperature"] == 0.1
    assert stream.prompt_template is not None
    sent = server.requests(url)[0].json()
    assert sent == {
        "model": "mistral-small-latest",
        "messages": [
            {"role": "system", "content": "You are a librarian."},
            {"role": "user", "content": "Recommend a fantasy book for a teenager."},
        ],
        "stream": True,
        "temperature": 0.1,
        "max_tokens": 100,
    }
    assert stream.user_message_param.content == "Recommend a fantasy book for a teenager."


def test_non_streamed_call_and_output_parser(server: ReplayServer) -> None:
    body = json.dumps(
        {
            "id": "r1",
            "model": "mistral-small-latest",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Dune"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
        }
    ).encode()
    url = server.route(Reply(body=body, content_type="application/json"))

    @mistral_call("mistral-small-latest", client=client_for(url))
    def recommend() -> str:
        return "One book title only"

    response = recommend()
    assert isinstance(response, MistralCallResponse)
    assert response.content == "Dune"
    assert response.cost == pytest.approx((10 * 0.15 + 1 * 0.6) / 1e6)  # Mistral Small 4

    @mistral_call(
        "mistral-small-latest", client=client_for(url), output_parser=lambda r: r.content.upper()
    )
    def shout() -> str:
        return "One book title only"

    assert shout() == "DUNE"


@pytest.mark.anyio
async def test_async_stream(server: ReplayServer, replay: bool) -> None:
    url = server.route(Reply(body=TOOLS.body, chunking=Chunking.random(5)))
    client = client_for(url)

    @mistral_call(
        "mistral-small-latest",
        stream=stream_option(replay),
        tools=[get_weather, format_book],
        client=client,
    )
    async def ask() -> str:
        return "go"

    stream = await ask()
    tools = [tool async for _, tool in stream if tool is not None]
    assert [t._name() for t in tools] == ["get_weather", "format_book"]
    assert stream.start_time > 0
    assert stream.end_time >= stream.start_time
    assert stream.finish_reasons == ["tool_calls"]
    with iterated_again(tools, replay) as again:  # replayed, or nothing
        again.extend([tool async for _, tool in stream if tool is not None])
    await client.aclose()


def test_bad_inputs_are_clear(server: ReplayServer) -> None:
    with pytest.raises(ValueError, match="model must be"):
        mistral_call("")
    with pytest.raises(TypeError, match="A tool must be"):
        mistral_call("m", tools=[42])

    @mistral_call("m", stream=True, client=client_for(server.route(Reply())))
    def bad() -> int:
        return 42

    with pytest.raises(TypeError, match="must return a prompt string"):
        bad()


def test_tool_from_a_base_tool_subclass_calls_it() -> None:
    class Lookup(BaseTool):
        """Look something up."""

        query: str

        def call(self) -> str:
            return self.query[::-1]

    tool = Lookup.from_tool_call({"query": "abc"}, None, "id1")
    assert tool.call() == "cba"
    assert tool.tool_call_id == "id1"
    assert Lookup._description() == "Look something up."


@pytest.mark.anyio
async def test_async_with_and_break_release_the_connection(server: ReplayServer) -> None:
    url = server.route(Reply(body=TEXT.body, stall_after=700))
    client = client_for(url)

    @mistral_call("mistral-small-latest", stream=True, client=client)
    async def ask() -> str:
        return "hi"

    async with await ask() as stream:
        async for _chunk, _ in stream:
            break
    assert server.route_of(url).client_closed_early.wait(2)
    assert stream.id == TEXT.expected["response_id"]  # what arrived before the break stays
    await client.aclose()


@pytest.mark.anyio
async def test_async_non_streamed_call(server: ReplayServer) -> None:
    body = json.dumps(
        {
            "id": "r2",
            "model": "mistral-small-latest",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Dune"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5},
        }
    ).encode()
    url = server.route(Reply(body=body, content_type="application/json"))
    client = client_for(url)

    @mistral_call("mistral-small-latest", client=client)
    async def recommend() -> str:
        return "One title"

    response = await recommend()
    assert isinstance(response, MistralCallResponse)
    assert (response.content, response.input_tokens, response.finish_reasons) == (
        "Dune",
        4,
        ["stop"],
    )
    assert response.end_time >= response.start_time > 0
    await client.aclose()
