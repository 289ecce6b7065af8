"""Tool calls the model makes: interleaved fragments, unknown names, arguments that do not fit.

A call is never lost and never silently dropped: a call that cannot become a tool is a typed
error raised once the stream has ended, after the text, every other tool and the usage.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from streamcall import llm
from streamcall.clients.openai import OpenAI
from streamcall.core.base import ReplayWarning
from streamcall.core.base._accumulate import ToolCallAssembler, ToolCallPart
from streamcall.core.openai import openai_call
from streamcall.errors import (
    StreamcallError,
    ToolArgumentsError,
    ToolCallError,
    UnknownToolError,
)
from tests.replay import Chunking, ReplayServer, Reply, sse_body

CHUNKINGS = [Chunking.whole(), Chunking.random(3, 7)]


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({year})"


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> str:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4.1-mini",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    body.update(extra)
    return json.dumps(body, ensure_ascii=False)


def call_start(index: int, call_id: str, name: str, arguments: str = "") -> dict[str, Any]:
    return {
        "tool_calls": [
            {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ]
    }


def call_args(index: int, arguments: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "function": {"arguments": arguments}}]}


USAGE = {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}


def interleaved_body() -> bytes:
    """Index 0 starts, index 1 starts, then the arguments of 0, then those of 1."""
    return sse_body(
        [
            chunk({"role": "assistant", "content": "Checking. "}),
            chunk(call_start(0, "call_a", "get_weather")),
            chunk(call_start(1, "call_b", "format_book")),
            chunk(call_args(0, '{"city": "Par')),
            chunk(call_args(0, 'ís"}')),
            chunk(call_args(1, '{"title": "Dune", ')),
            chunk(call_args(1, '"year": 1965}')),
            chunk({}, "tool_calls"),
            chunk(None, usage=USAGE),
        ]
    )


EXPECTED_CALLS = [
    ("call_a", "get_weather", {"city": "París", "unit": "celsius"}),
    ("call_b", "format_book", {"title": "Dune", "year": 1965}),
]


def _client(url: str) -> OpenAI:
    return OpenAI(api_key="k", base_url=url)


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
def test_interleaved_parallel_fragments_through_openai_call(
    server: ReplayServer, chunking: Chunking
) -> None:
    url = server.route(Reply(body=interleaved_body(), chunking=chunking))

    @openai_call("gpt-4.1-mini", stream=True, tools=[get_weather, format_book], client=_client(url))
    def ask() -> str:
        return "go"

    stream = ask()
    tools = [tool for _, tool in stream if tool is not None]
    assert [(t.tool_call_id, t._name(), t.args) for t in tools] == EXPECTED_CALLS
    assert [c.arguments_json for c in stream.tool_calls] == [
        '{"city": "París"}',
        '{"title": "Dune", "year": 1965}',
    ]
    assert stream.content == "Checking. "
    assert stream.finish_reasons == ["tool_calls"]
    assert stream.input_tokens == 12
    response = stream.construct_call_response()
    assert [(t.tool_call_id, t._name(), t.args) for t in response.tools or []] == EXPECTED_CALLS
    assert [c["id"] for c in stream.message_param["tool_calls"]] == ["call_a", "call_b"]


def test_interleaved_parallel_fragments_through_llm_call(server: ReplayServer) -> None:
    url = server.route(Reply(body=interleaved_body(), chunking=Chunking.random(11, 5)))

    @llm.call(
        provider="openai",
        model="gpt-4.1-mini",
        stream=True,
        tools=[get_weather, format_book],
        client=_client(url),
    )
    def ask() -> str:
        return "go"

    stream = ask()
    tools = [tool for _, tool in stream if tool is not None]
    assert [(t.tool_call_id, t._name(), t.args) for t in tools] == EXPECTED_CALLS
    assert stream.finish_reasons == ["tool_calls"]


@pytest.mark.anyio
async def test_interleaved_fragments_async(server: ReplayServer) -> None:
    url = server.route(Reply(body=interleaved_body(), chunking=Chunking.random(2, 4)))
    client = _client(url)

    @openai_call("gpt-4.1-mini", stream=True, tools=[get_weather, format_book], client=client)
    async def ask() -> str:
        return "go"

    stream = await ask()
    tools = [tool async for _, tool in stream if tool is not None]
    assert [(t.tool_call_id, t._name(), t.args) for t in tools] == EXPECTED_CALLS
    await client.aclose()


# -- the assembler on its own ----------------------------------------------------------------


def test_sequential_calls_still_finish_as_soon_as_the_next_starts() -> None:
    """Calls sent one after another are yielded early (as Mirascope does), once whole."""
    tools = ToolCallAssembler(sequential=True)
    assert tools.add(ToolCallPart(0, "a", "f", '{"x": 1}')) == []
    done = tools.add(ToolCallPart(1, "b", "g", ""))
    assert [(c.id, c.arguments) for c in done] == [("a", {"x": 1})]
    assert tools.add(ToolCallPart(1, None, None, "{}")) == []
    assert [(c.id, c.arguments) for c in tools.finish()] == [("b", {})]


def test_a_call_is_never_finished_before_the_call_ahead_of_it() -> None:
    tools = ToolCallAssembler(sequential=True)
    tools.add(ToolCallPart(0, "a", "f", ""))
    tools.add(ToolCallPart(1, "b", "g", '{"y": 2}'))
    assert tools.add(ToolCallPart(2, "c", "h", "{}")) == []  # "a" has no arguments yet
    tools.add(ToolCallPart(0, None, None, '{"x": 1}'))
    done = tools.add(ToolCallPart(3, "d", "k", ""))
    assert [c.id for c in done] == ["a", "b", "c"]
    assert [c.id for c in tools.finish()] == ["d"]


def test_llama_cpp_style_repeats_id_and_name_in_every_fragment() -> None:
    tools = ToolCallAssembler(sequential=True)
    tools.add(ToolCallPart(0, "a", "get_weather", '{"city":'))
    tools.add(ToolCallPart(0, "a", "get_weather", ' "Oslo"}'))
    tools.add(ToolCallPart(0, None, "get_weather", ""))  # the name again, without the id
    [call] = tools.finish()
    assert (call.id, call.name, call.arguments) == ("a", "get_weather", {"city": "Oslo"})


def test_invalid_json_arguments_keep_the_call() -> None:
    tools = ToolCallAssembler(sequential=True)
    tools.add(ToolCallPart(0, "a", "f", '{"x": '))
    [call] = tools.finish()
    assert (call.id, call.name, call.arguments, call.arguments_json) == ("a", "f", {}, '{"x": ')
    assert call.error is not None


# -- calls that cannot become a tool ---------------------------------------------------------


def unknown_then_more_body() -> bytes:
    """An unknown tool first, then a known one, more text, the finish and the usage."""
    return sse_body(
        [
            chunk({"role": "assistant", "content": "Let me see. "}),
            chunk(call_start(0, "call_x", "delete_everything", '{"path": "/"}')),
            chunk(call_start(1, "call_w", "get_weather", '{"city": "Lima"}')),
            chunk({}, "tool_calls"),
            chunk(None, usage=USAGE),
        ]
    )


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
def test_unknown_tool_is_a_typed_error_after_everything_else(
    server: ReplayServer, chunking: Chunking
) -> None:
    url = server.route(Reply(body=unknown_then_more_body(), chunking=chunking))

    @openai_call("gpt-4.1-mini", stream=True, tools=[get_weather, format_book], client=_client(url))
    def ask() -> str:
        return "go"

    stream = ask()
    tools = []
    with pytest.raises(UnknownToolError) as info:
        for _, tool in stream:
            if tool is not None:
                tools.append(tool)
    err = info.value
    assert isinstance(err, ToolCallError)
    assert isinstance(err, StreamcallError)
    assert (err.tool_call_id, err.tool_name, err.arguments) == (
        "call_x",
        "delete_everything",
        {"path": "/"},
    )
    assert err.known == ("get_weather", "format_book")
    assert "delete_everything" in str(err)
    assert "get_weather" in str(err)
    # Everything that came with and after it was received and kept.
    assert [(t.tool_call_id, t.args) for t in tools] == [
        ("call_w", {"city": "Lima", "unit": "celsius"})
    ]
    assert stream.content == "Let me see. "
    assert stream.finish_reasons == ["tool_calls"]
    assert (stream.input_tokens, stream.output_tokens) == (12, 30)
    assert stream.tool_errors == [err]
    # The next turn can answer every call id, the unknown one included.
    assert [c["id"] for c in stream.message_param["tool_calls"]] == ["call_x", "call_w"]
    # Iterated again, the consumed stream (made without a replay) yields nothing, warns, and
    # raises the same error; the whole response says so too.
    again: list[Any] = []
    with pytest.warns(ReplayWarning), pytest.raises(UnknownToolError) as reraised:
        again.extend(stream)
    assert again == []
    assert reraised.value is err
    with pytest.raises(UnknownToolError):
        _ = stream.construct_call_response().tools


def test_unknown_tool_through_llm_call(server: ReplayServer) -> None:
    url = server.route(Reply(body=unknown_then_more_body()))

    @llm.call(
        provider="openai",
        model="gpt-4.1-mini",
        stream=True,
        tools=[get_weather],
        client=_client(url),
    )
    def ask() -> str:
        return "go"

    stream = ask()
    with pytest.raises(UnknownToolError):
        for _ in stream:
            pass
    assert stream.content == "Let me see. "


@pytest.mark.parametrize(
    ("arguments", "why"),
    [
        ('{"town": "Lima"}', "city"),  # valid JSON, wrong fields
        ('{"city": ["not", "a", "string"]}', "city"),  # wrong type
        ('{"city": "Li', "JSON"),  # cut off: not JSON at all
        ('["Lima"]', "object"),  # JSON, but not an object
    ],
)
def test_arguments_that_do_not_fit_are_a_typed_error_after_everything_else(
    server: ReplayServer, arguments: str, why: str
) -> None:
    body = sse_body(
        [
            chunk(call_start(0, "call_1", "get_weather", arguments)),
            chunk(call_start(1, "call_2", "format_book", '{"title": "Emma", "year": 1815}')),
            chunk({"content": "done"}, "tool_calls"),
            chunk(None, usage=USAGE),
        ]
    )
    url = server.route(Reply(body=body, chunking=Chunking.random(5, 9)))

    @openai_call("gpt-4.1-mini", stream=True, tools=[get_weather, format_book], client=_client(url))
    def ask() -> str:
        return "go"

    stream = ask()
    tools = []
    with pytest.raises(ToolArgumentsError) as info:
        for _, tool in stream:
            if tool is not None:
                tools.append(tool)
    err = info.value
    assert (err.tool_call_id, err.tool_name, err.arguments_json) == (
        "call_1",
        "get_weather",
        arguments,
    )
    assert why in str(err)
    if why == "city":
        assert isinstance(err.validation_error, ValidationError)
        assert err.errors
    assert [t.tool_call_id for t in tools] == ["call_2"]
    assert stream.content == "done"
    assert stream.output_tokens == 30
    assert [c["id"] for c in stream.message_param["tool_calls"]] == ["call_1", "call_2"]


@pytest.mark.anyio
async def test_tool_errors_are_raised_by_async_streams_too(server: ReplayServer) -> None:
    url = server.route(Reply(body=unknown_then_more_body(), chunking=Chunking.random(8, 6)))
    client = _client(url)

    @openai_call("gpt-4.1-mini", stream=True, tools=[get_weather], client=client)
    async def ask() -> str:
        return "go"

    stream = await ask()
    seen = []
    with pytest.raises(UnknownToolError):
        async for _, tool in stream:
            if tool is not None:
                seen.append(tool)
    assert [t.tool_call_id for t in seen] == ["call_w"]
    assert stream.input_tokens == 12
    await client.aclose()


def test_a_response_model_that_does_not_fit_is_a_response_model_error(
    server: ReplayServer,
) -> None:
    """Streamed response models keep their documented error: ResponseModelError, not pydantic's."""
    from pydantic import BaseModel

    from streamcall.errors import ResponseModelError

    class Book(BaseModel):
        title: str
        year: int

    body = sse_body(
        [
            chunk(call_start(0, "call_1", "Book", '{"title": "Emma", ')),
            chunk(call_args(0, '"year": "long ago"}')),
            chunk({}, "tool_calls"),
        ]
    )
    url = server.route(Reply(body=body))

    @openai_call("gpt-4.1-mini", stream=True, response_model=Book, client=_client(url))
    def extract() -> str:
        return "go"

    stream = extract()
    partials = []
    with pytest.raises(ResponseModelError) as info:
        for partial in stream:
            partials.append(partial)
    assert partials[-1].title == "Emma"
    assert info.value.errors[0]["loc"] == ("year",)
    with pytest.raises(ResponseModelError):
        _ = stream.constructed_response_model
