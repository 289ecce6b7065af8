"""The Mistral client against the replay server: fixtures, the SDK's doc program, edge cases."""

from __future__ import annotations

import json
import textwrap

import pytest

from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.models import (
    AssistantMessage,
    CompletionEvent,
    Function,
    FunctionCall,
    SystemMessage,
    TextChunk,
    ThinkChunk,
    Tool,
    ToolCall,
    ToolMessage,
    UnknownChunk,
    UserMessage,
)
from streamcall.errors import (
    MissingAPIKeyError,
    StreamDecodeError,
    StreamError,
    StreamInterruptedError,
)
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.streams import recover
from tests.wire_fixtures import WireFixture, fixtures

MISTRAL = fixtures("mistral.")
CHUNKINGS = [Chunking.whole(), Chunking.random(seed=1), Chunking.random(seed=7, max_size=5)]


def client_for(url: str, **kwargs: object) -> Mistral:
    return Mistral(api_key="test-key", server_url=url, **kwargs)  # type: ignore[arg-type]


def check_against_expected(fixture: WireFixture, events: list[CompletionEvent]) -> None:
    expected = fixture.expected
    got = recover(events)
    assert got.text == expected["text"]
    assert got.tool_calls == [
        {"id": c["id"], "name": c["name"], "arguments": c["arguments"]}
        for c in expected["tool_calls"]
    ]
    assert got.finish_reason == expected["finish_reason"]
    assert got.input_tokens == expected["usage"]["input_tokens"]
    assert got.output_tokens == expected["usage"]["output_tokens"]
    assert got.total_tokens == expected["usage"]["total_tokens"]
    assert got.cached_tokens == expected["usage"]["cached_tokens"]
    assert got.id == expected["response_id"]
    assert got.model == expected["model"]
    assert got.events == expected["data_events"] - 1  # every data event but [DONE]


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", MISTRAL, ids=lambda f: f.name)
def test_fixture_sync(server: ReplayServer, fixture: WireFixture, chunking: Chunking) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking))
    with (
        client_for(url) as client,
        client.chat.stream("mistral-small-latest", [UserMessage(content="hi")]) as stream,
    ):
        events = list(stream)
    check_against_expected(fixture, events)
    assert stream.closed


@pytest.mark.anyio
@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("fixture", MISTRAL, ids=lambda f: f.name)
async def test_fixture_async(
    server: ReplayServer, fixture: WireFixture, chunking: Chunking
) -> None:
    url = server.route(Reply(body=fixture.body, chunking=chunking))
    async with client_for(url) as client:
        stream = await client.chat.stream_async(
            "mistral-small-latest", [{"role": "user", "content": "hi"}]
        )
        async with stream:
            events = [event async for event in stream]
    check_against_expected(fixture, events)
    assert stream.closed


def test_sdk_documentation_program_runs_unchanged(
    server: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = MISTRAL[0] if MISTRAL[0].name == "mistral.text.sse" else MISTRAL[1]
    url = server.route(Reply(body=fixture.body, chunking=Chunking.random(seed=3)))
    client = Mistral(api_key="test-key", server_url=url)
    program = textwrap.dedent(
        """
        with client.chat.stream(model="mistral-large-latest",
                messages=[UserMessage(content="Write a short poem about coding.")]) as stream:
            for chunk in stream:
                content = chunk.data.choices[0].delta.content
                if content:
                    print(content, end="", flush=True)
        """
    )
    exec(program, {"client": client, "UserMessage": UserMessage})
    assert capsys.readouterr().out == fixture.expected["text"]
    sent = server.requests(url)[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.json() == {
        "model": "mistral-large-latest",
        "messages": [{"role": "user", "content": "Write a short poem about coding."}],
        "stream": True,
    }
    client.close()


@pytest.mark.anyio
async def test_sdk_documentation_program_async(
    server: ReplayServer, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture = next(f for f in MISTRAL if f.name == "mistral.text.sse")
    url = server.route(Reply(body=fixture.body))
    client = Mistral(api_key="test-key", server_url=url)
    async with await client.chat.stream_async(
        model="mistral-large-latest",
        messages=[UserMessage(content="Write a short poem about coding.")],
    ) as stream:
        async for chunk in stream:
            content = chunk.data.choices[0].delta.content
            if content:
                print(content, end="", flush=True)
    assert capsys.readouterr().out == fixture.expected["text"]
    await client.aclose()


def test_request_body_carries_every_parameter_and_omits_none(server: ReplayServer) -> None:
    url = server.route(Reply(body=sse_body([])))
    weather = Tool(
        function=Function(
            name="get_weather",
            description="Weather for a city",
            parameters={"type": "object", "properties": {"city": {"type": "string"}}},
        )
    )
    messages = [
        SystemMessage(content="Be brief."),
        {"role": "user", "content": "Weather in Lisbon?"},
        AssistantMessage(
            tool_calls=[
                ToolCall(
                    id="c1",
                    function=FunctionCall(name="get_weather", arguments='{"city":"Lisbon"}'),
                )
            ]
        ),
        ToolMessage(content="21C", tool_call_id="c1", name="get_weather"),
    ]
    client = client_for(url)
    with client.chat.stream(
        "mistral-large-latest",
        messages,
        temperature=0.2,
        top_p=0.9,
        max_tokens=64,
        stop=["END"],
        random_seed=42,
        response_format={"type": "json_object"},
        tools=[weather],
        tool_choice="auto",
        presence_penalty=0.1,
        frequency_penalty=0.2,
        parallel_tool_calls=True,
        safe_prompt=False,
        extra_body={"prompt_mode": "reasoning"},
        http_headers={"X-Trace": "abc"},
    ) as stream:
        assert list(stream) == []
    sent = server.requests(url)[0]
    assert sent.headers["x-trace"] == "abc"
    assert sent.json() == {
        "model": "mistral-large-latest",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Lisbon?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "function": {"name": "get_weather", "arguments": '{"city":"Lisbon"}'},
                        "id": "c1",
                    }
                ],
            },
            {"role": "tool", "content": "21C", "tool_call_id": "c1", "name": "get_weather"},
        ],
        "stream": True,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["END"],
        "random_seed": 42,
        "response_format": {"type": "json_object"},
        "tools": [
            {
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "description": "Weather for a city",
                },
                "type": "function",
            }
        ],
        "tool_choice": "auto",
        "presence_penalty": 0.1,
        "frequency_penalty": 0.2,
        "parallel_tool_calls": True,
        "safe_prompt": False,
        "prompt_mode": "reasoning",
    }
    client.close()


def chunk_json(delta: object, finish: str | None = None, **extra: object) -> str:
    return json.dumps(
        {
            "id": "abc",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "magistral-medium-latest",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
    )


def stream_all(server: ReplayServer, body: bytes) -> list[CompletionEvent]:
    url = server.route(Reply(body=body, chunking=Chunking.random(seed=11, max_size=17)))
    with client_for(url) as client, client.chat.stream("m", [UserMessage(content="x")]) as s:
        return list(s)


def test_reasoning_chunks_are_typed_and_kept_apart(server: ReplayServer) -> None:
    body = sse_body(
        [
            chunk_json({"role": "assistant", "content": ""}),
            chunk_json(
                {
                    "content": [
                        {"type": "thinking", "thinking": [{"type": "text", "text": "Let me "}]}
                    ]
                }
            ),
            chunk_json(
                {
                    "content": [
                        {"type": "thinking", "thinking": [{"type": "text", "text": "think."}]}
                    ]
                }
            ),
            chunk_json({"content": [{"type": "text", "text": "Answer: 4"}]}),
            chunk_json(
                {"content": ""},
                "stop",
                usage={
                    "prompt_tokens": 10,
                    "completion_tokens": 5,
                    "total_tokens": 15,
                    "prompt_tokens_details": {"cached_tokens": 8},
                },
            ),
        ]
    )
    events = stream_all(server, body)
    thinking = events[1].data.choices[0].delta.content
    assert isinstance(thinking, list)
    assert isinstance(thinking[0], ThinkChunk)
    assert thinking[0].type == "thinking"
    assert thinking[0].thinking == [TextChunk(text="Let me ")]
    got = recover(events)
    assert (got.reasoning, got.text, got.finish_reason) == ("Let me think.", "Answer: 4", "stop")
    assert got.cached_tokens == 8


def test_unknown_fields_types_and_values_are_kept(server: ReplayServer) -> None:
    body = sse_body(
        [
            chunk_json(
                {"content": [{"type": "hologram", "payload": 1}, {"type": "text", "text": "hi"}]},
                future_field={"x": 1},
            ),
            chunk_json({"content": "!", "brand_new": True}, "model_length"),
        ]
    )
    first, second = stream_all(server, body)
    parts = first.data.choices[0].delta.content
    assert isinstance(parts, list)
    assert isinstance(parts[0], UnknownChunk)
    assert parts[0].type == "hologram"
    assert parts[0].raw == {"type": "hologram", "payload": 1}
    assert parts[1] == TextChunk(text="hi")
    assert json.loads(first.raw or "")["future_field"] == {"x": 1}
    assert json.loads(second.raw or "")["choices"][0]["delta"]["brand_new"] is True
    assert second.data.choices[0].finish_reason == "model_length"


def test_finish_reason_error_keeps_the_text_then_raises(server: ReplayServer) -> None:
    body = sse_body([chunk_json({"content": "partial "}), chunk_json({"content": "text"}, "error")])
    url = server.route(Reply(body=body))
    seen: list[CompletionEvent] = []
    with client_for(url) as client, client.chat.stream("m", [UserMessage(content="x")]) as s:
        with pytest.raises(StreamError, match="finish_reason='error'"):
            for event in s:
                seen.append(event)
    assert recover(seen).text == "partial text"


@pytest.mark.parametrize(
    "payload",
    [
        '{"object":"error","message":"Service unavailable","type":"internal_error","code":"3000"}',
        '{"error":{"message":"Service unavailable","type":"internal_error","code":3000}}',
    ],
)
def test_error_payload_mid_stream_is_a_stream_error(server: ReplayServer, payload: str) -> None:
    body = sse_body([chunk_json({"content": "before"}), payload], done=False)
    url = server.route(Reply(body=body))
    seen: list[CompletionEvent] = []
    with client_for(url) as client, client.chat.stream("m", [UserMessage(content="x")]) as s:
        with pytest.raises(StreamError) as info:
            for event in s:
                seen.append(event)
    assert "Service unavailable" in str(info.value)
    assert info.value.type == "internal_error"
    assert info.value.code == "3000"
    assert recover(seen).text == "before"


@pytest.mark.parametrize(
    ("payload", "match"),
    [("{not json", "Could not decode"), ('{"choices": "nope"}', "Could not decode")],
)
def test_undecodable_payload_is_a_stream_decode_error(
    server: ReplayServer, payload: str, match: str
) -> None:
    with pytest.raises(StreamDecodeError, match=match) as info:
        stream_all(server, sse_body([payload]))
    assert info.value.raw == payload


def test_body_ending_without_done_or_finish_reason_is_interrupted(server: ReplayServer) -> None:
    with pytest.raises(StreamInterruptedError, match="without a finish_reason"):
        stream_all(server, sse_body([chunk_json({"content": "cut"})], done=False))


def test_finish_reason_without_done_is_accepted(server: ReplayServer) -> None:
    events = stream_all(server, sse_body([chunk_json({"content": "ok"}, "stop")], done=False))
    assert recover(events).text == "ok"


def test_missing_api_key_is_reported_at_call_time(server: ReplayServer) -> None:
    client = Mistral(server_url=server.route(Reply()))  # constructing is fine
    with pytest.raises(MissingAPIKeyError, match="MISTRAL_API_KEY"):
        client.chat.stream("m", [UserMessage(content="x")])


def test_key_and_url_fall_back_to_the_environment(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = next(f for f in MISTRAL if f.name == "mistral.text.sse")
    url = server.route(Reply(body=fixture.body))
    monkeypatch.setenv("MISTRAL_API_KEY", "env-key")
    monkeypatch.setenv("MISTRAL_BASE_URL", url)
    with Mistral() as client, client.chat.stream("m", [UserMessage(content="x")]) as s:
        assert recover(list(s)).text == fixture.expected["text"]
    assert server.requests(url)[0].headers["authorization"] == "Bearer env-key"


COMPLETE_BODY = json.dumps(
    {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "mistral-small-latest",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello!",
                    "tool_calls": [
                        {"id": "t1", "function": {"name": "f", "arguments": "{}"}, "index": 0}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }
).encode()


def test_complete(server: ReplayServer) -> None:
    url = server.route(Reply(body=COMPLETE_BODY, content_type="application/json"))
    with client_for(url) as client:
        response = client.chat.complete("mistral-small-latest", [UserMessage(content="x")])
    assert response.choices[0].message.content == "Hello!"
    assert response.choices[0].message.tool_calls[0].function.name == "f"  # type: ignore[index]
    assert response.choices[0].finish_reason == "tool_calls"
    assert response.usage is not None
    assert response.usage.total_tokens == 5
    assert server.requests(url)[0].json()["stream"] is False  # type: ignore[index]


@pytest.mark.anyio
async def test_complete_async(server: ReplayServer) -> None:
    url = server.route(Reply(body=COMPLETE_BODY, content_type="application/json"))
    async with client_for(url) as client:
        response = await client.chat.complete_async(
            "mistral-small-latest", [UserMessage(content="x")]
        )
    assert response.model_dump()["choices"][0]["message"]["content"] == "Hello!"


@pytest.mark.parametrize(
    ("model", "messages", "kwargs", "error", "match"),
    [
        ("m", "hello", {}, TypeError, "messages must be a list"),
        ("m", [], {}, ValueError, "must not be empty"),
        ("m", [{"content": "x"}], {}, ValueError, r"messages\[0\] has no 'role'"),
        ("m", [42], {}, TypeError, r"messages\[0\] must be a message model"),
        ("", [UserMessage(content="x")], {}, ValueError, "model must be a non-empty string"),
        ("m", [UserMessage(content="x")], {"stream": False}, ValueError, "always streams"),
    ],
)
def test_bad_input_is_a_clear_error_before_any_request(
    server: ReplayServer,
    model: str,
    messages: object,
    kwargs: dict[str, object],
    error: type[Exception],
    match: str,
) -> None:
    url = server.route(Reply())
    client = client_for(url)
    with pytest.raises(error, match=match):
        client.chat.stream(model, messages, **kwargs)  # type: ignore[arg-type]
    assert server.requests(url) == []


def test_bad_configuration_is_a_clear_error() -> None:
    from streamcall.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="http"):
        Mistral(api_key="k", server_url="ftp://example")
    with pytest.raises(ConfigurationError, match="retries"):
        Mistral(api_key="k", retries=-1)
    with pytest.raises(ConfigurationError, match="timeout_ms"):
        Mistral(api_key="k", timeout_ms=0)


def test_models_dump_like_pydantic() -> None:
    message = UserMessage(content="hi")
    assert message.role == "user"
    assert message.model_dump() == {"role": "user", "content": "hi"}
    assert json.loads(message.model_dump_json()) == {"role": "user", "content": "hi"}
