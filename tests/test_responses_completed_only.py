"""OpenAI Responses streams whose output items arrive only in the terminal response.

Some bridges (LiteLLM's ``/v1/responses``, for one) stream text deltas or nothing, then send the
function calls only inside ``response.completed``'s ``output``: no ``output_item.added``, no
``function_call_arguments.*``, no ``output_item.done``. The stream must deliver those calls (and
text or reasoning that never streamed) at the terminal event, exactly once, as it does for calls
that arrive through item events.

Each stream test runs in both modes: the default (``stream=True``: a consumed stream keeps no
chunks, so iterating it again yields nothing and warns) and ``stream={"replay": True}`` (a
consumed stream replays what it delivered).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from streamcall import llm
from streamcall.clients.openai import OpenAI
from streamcall.core.base import ReplayWarning
from streamcall.core.openai import OpenAIResponsesStream, openai_responses_call
from tests.replay import Chunking, ReplayServer, Reply
from tests.replay_modes import stream_option

pytestmark = pytest.mark.anyio

CHUNKINGS = [Chunking.whole(), Chunking.random(7), Chunking.random(13, 5)]
RESPONSE_ID = "resp_bridge_1"
MODEL = "gpt-5-mini-2025-08-07"
USAGE = {
    "input_tokens": 61,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 37,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 98,
}


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


# -- wire bodies --------------------------------------------------------------------------------


def frame(event: dict[str, Any], event_lines: bool = True) -> str:
    """One SSE event as the Responses API frames it (``event:`` + ``data:``), or data-only."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event['type']}\n" if event_lines else ""
    return f"{head}data: {data}\n\n"


def body(events: Iterable[dict[str, Any]], event_lines: bool = True) -> bytes:
    return "".join(frame(e, event_lines) for e in events).encode()


def response(status: str, output: list[dict[str, Any]], usage: Any = None) -> dict[str, Any]:
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": 1772034807,
        "status": status,
        "model": MODEL,
        "output": output,
        "usage": usage,
    }


def created() -> list[dict[str, Any]]:
    return [
        {"type": "response.created", "response": response("in_progress", [])},
        {"type": "response.in_progress", "response": response("in_progress", [])},
    ]


def text_deltas(item_id: str, *pieces: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "response.output_text.delta",
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": piece,
        }
        for piece in pieces
    ]


def message(item_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def reasoning(item_id: str, text: str) -> dict[str, Any]:
    return {"type": "reasoning", "id": item_id, "summary": [{"type": "summary_text", "text": text}]}


@dataclass(frozen=True)
class Call:
    item_id: str
    call_id: str
    name: str
    arguments: dict[str, Any]

    @property
    def arguments_json(self) -> str:
        return json.dumps(self.arguments, ensure_ascii=False, separators=(",", ":"))

    def item(self, status: str = "completed", arguments: str | None = None) -> dict[str, Any]:
        return {
            "type": "function_call",
            "id": self.item_id,
            "call_id": self.call_id,
            "name": self.name,
            "arguments": self.arguments_json if arguments is None else arguments,
            "status": status,
        }

    def item_events(self, index: int) -> list[dict[str, Any]]:
        """The call as OpenAI itself streams it: added, argument deltas, done."""
        text = self.arguments_json
        half = len(text) // 2
        return [
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": self.item("in_progress", ""),
            },
            *(
                {
                    "type": "response.function_call_arguments.delta",
                    "item_id": self.item_id,
                    "output_index": index,
                    "delta": piece,
                }
                for piece in (text[:half], text[half:])
            ),
            {
                "type": "response.function_call_arguments.done",
                "item_id": self.item_id,
                "output_index": index,
                "arguments": text,
            },
            {"type": "response.output_item.done", "output_index": index, "item": self.item()},
        ]


WEATHER = Call("fc_1", "call_1", "get_weather", {"city": "Paris", "unit": "celsius"})
BOOK = Call(
    "fc_2",
    "call_2",
    "format_book",
    {"title": "One Hundred Years of Solitude", "author": "Gabriel García Márquez", "year": 1967},
)


@dataclass(frozen=True)
class Case:
    """A stream body and what the call layer must make of it."""

    name: str
    events: list[dict[str, Any]]
    calls: list[Call]
    text: str = ""
    thinking: str = ""
    status: str = "completed"
    common: str = "tool_calls"

    def __str__(self) -> str:
        return self.name


def completed(*output: dict[str, Any], status: str = "completed") -> dict[str, Any]:
    kind = "response.completed" if status == "completed" else "response.incomplete"
    return {"type": kind, "response": response(status, list(output), USAGE)}


CASES = [
    Case("one-call", [*created(), completed(WEATHER.item())], [WEATHER]),
    Case("two-calls", [*created(), completed(WEATHER.item(), BOOK.item())], [WEATHER, BOOK]),
    Case(
        # LiteLLM 1.74.0: text deltas named after the chat chunk id, which is also the id of the
        # message item in the completed output; the calls only there.
        "text-then-one-call",
        [
            *created(),
            *text_deltas("chatcmpl-1", "Let me ", "check."),
            completed(message("chatcmpl-1", "Let me check."), WEATHER.item()),
        ],
        [WEATHER],
        text="Let me check.",
    ),
    Case(
        "text-then-two-calls",
        [
            *created(),
            *text_deltas("chatcmpl-1", "Checking ", "both."),
            completed(message("chatcmpl-1", "Checking both."), WEATHER.item(), BOOK.item()),
        ],
        [WEATHER, BOOK],
        text="Checking both.",
    ),
    Case(
        # deltas whose item id names no output item: the streamed text is all there is
        "text-ids-of-its-own",
        [
            *text_deltas("chunk-a", "Checking "),
            *text_deltas("chunk-b", "both."),
            completed(message("msg_1", "Checking both."), WEATHER.item(), BOOK.item()),
        ],
        [WEATHER, BOOK],
        text="Checking both.",
    ),
    Case(
        "no-preamble-events",
        [completed(message("msg_1", ""), WEATHER.item())],
        [WEATHER],
    ),
    Case(
        "message-never-streamed",
        [*created(), completed(message("msg_1", "Hello from the bridge."))],
        [],
        text="Hello from the bridge.",
        common="stop",
    ),
    Case(
        "message-and-call-never-streamed",
        [*created(), completed(message("msg_1", "Sure."), WEATHER.item(), BOOK.item())],
        [WEATHER, BOOK],
        text="Sure.",
    ),
    Case(
        "reasoning-never-streamed",
        [*created(), completed(reasoning("rs_1", "Weather first."), WEATHER.item())],
        [WEATHER],
        thinking="Weather first.",
    ),
    Case(
        "two-messages-one-streamed",
        [
            *created(),
            *text_deltas("msg_1", "First. "),
            completed(message("msg_1", "First. "), message("msg_2", "Second.")),
        ],
        [],
        text="First. Second.",
        common="stop",
    ),
    Case(
        "item-events-and-completed",
        [
            *created(),
            *text_deltas("msg_1", "On it."),
            *WEATHER.item_events(1),
            *BOOK.item_events(2),
            completed(message("msg_1", "On it."), WEATHER.item(), BOOK.item()),
        ],
        [WEATHER, BOOK],
        text="On it.",
    ),
    Case(
        "first-call-by-events-second-only-completed",
        [*created(), *WEATHER.item_events(0), completed(WEATHER.item(), BOOK.item())],
        [WEATHER, BOOK],
    ),
    Case(
        "call-added-never-done",  # announced by an item event: finished from its deltas
        [*created(), *WEATHER.item_events(0)[:3], completed(WEATHER.item())],
        [WEATHER],
    ),
    Case(
        "incomplete",
        [*created(), completed(WEATHER.item(), status="incomplete")],
        [WEATHER],
        status="incomplete",
        common="length",
    ),
]


# -- checks -------------------------------------------------------------------------------------


def route(server: ReplayServer, case: Case, chunking: Chunking, event_lines: bool = True) -> str:
    return server.route(Reply(body=body(case.events, event_lines), chunking=chunking))


def decorated(client: OpenAI, replay: bool, is_async: bool = False) -> Any:
    decorator = openai_responses_call(
        "gpt-5-mini", stream=stream_option(replay), tools=[get_weather, format_book], client=client
    )
    if is_async:

        async def ask_async() -> str:
            return "Weather in Paris, and a book?"

        return decorator(ask_async)

    def ask() -> str:
        return "Weather in Paris, and a book?"

    return decorator(ask)


def check_second_pass(stream: Any, pairs: list[tuple[Any, Any]], replay: bool) -> None:
    """A consumed stream iterated again: with ``replay`` it replays what it delivered, the late
    tools included; by default it yields nothing and warns."""
    if replay:
        assert [(t.tool_call_id if t else None) for _, t in stream] == [
            (t.tool_call_id if t else None) for _, t in pairs
        ]
    else:
        with pytest.warns(ReplayWarning):
            assert list(stream) == []


def check(stream: Any, case: Case, pairs: list[tuple[Any, Any]], replay: bool) -> None:
    tools = [tool for _, tool in pairs if tool is not None]
    expected = [(c.call_id, c.name, c.arguments) for c in case.calls]
    assert [(t.tool_call_id, t._name(), t.args) for t in tools] == expected
    assert "".join(chunk.content for chunk, _ in pairs) == stream.content == case.text
    assert "".join(chunk.thinking for chunk, _ in pairs) == stream.thinking == case.thinking
    assert [(c.id, c.name, c.arguments) for c in stream.tool_calls] == expected
    assert [c.arguments_json for c in stream.tool_calls] == [c.arguments_json for c in case.calls]
    assert stream.finish_reasons == [case.status]
    assert stream.common_finish_reasons == [case.common]
    assert stream.id == RESPONSE_ID
    assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == (61, 37, 0)
    assert stream.cost is not None
    whole = stream.construct_call_response()
    assert [(t.tool_call_id, t._name(), t.args) for t in whole.tools or []] == expected
    assert whole.content == case.text
    assert whole.common_finish_reasons == [case.common]
    params = stream.message_param
    assert params == (
        ([{"role": "assistant", "content": case.text}] if case.text else [])
        + [
            {
                "type": "function_call",
                "call_id": c.call_id,
                "name": c.name,
                "arguments": c.arguments_json,
            }
            for c in case.calls
        ]
    )
    check_second_pass(stream, pairs, replay)
    # What the stream accumulated stays after the second iteration, in either mode.
    assert [(c.id, c.name, c.arguments) for c in stream.tool_calls] == expected
    assert stream.content == case.text


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_sync(server: ReplayServer, case: Case, chunking: Chunking, replay: bool) -> None:
    with OpenAI(api_key="k", base_url=route(server, case, chunking)) as client:
        stream = decorated(client, replay)()
        assert isinstance(stream, OpenAIResponsesStream)
        pairs = list(stream)
    check(stream, case, pairs, replay)


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
@pytest.mark.parametrize("case", CASES, ids=str)
async def test_async(server: ReplayServer, case: Case, chunking: Chunking, replay: bool) -> None:
    async with OpenAI(api_key="k", base_url=route(server, case, chunking)) as client:
        stream = await decorated(client, replay, is_async=True)()
        assert isinstance(stream, OpenAIResponsesStream)
        pairs = [pair async for pair in stream]
    check(stream, case, pairs, replay)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_data_only_framing(server: ReplayServer, case: Case, replay: bool) -> None:
    """Bridges often omit the ``event:`` lines; the ``type`` in the data is what counts."""
    url = route(server, case, Chunking.random(3), event_lines=False)
    with OpenAI(api_key="k", base_url=url) as client:
        stream = decorated(client, replay)()
        pairs = list(stream)
    check(stream, case, pairs, replay)


def test_late_tools_come_with_the_terminal_chunk_once(server: ReplayServer, replay: bool) -> None:
    case = next(c for c in CASES if c.name == "text-then-two-calls")
    with OpenAI(api_key="k", base_url=route(server, case, Chunking.whole())) as client:
        pairs = list(decorated(client, replay)())
    tool_pairs = [(chunk, tool) for chunk, tool in pairs if tool is not None]
    assert [chunk.chunk.type for chunk, _ in tool_pairs] == ["response.completed"] * 2
    first, second = (chunk for chunk, _ in tool_pairs)
    assert first.finish_reasons == ["completed"]
    assert first.common_usage is not None  # usage counted once
    assert second.common_usage is None
    assert first.content == second.content == ""  # the text already streamed


def test_two_turn_round_trip(server: ReplayServer, replay: bool) -> None:
    """The calls delivered late are answered in the next turn with their ``call_id``s."""
    case = next(c for c in CASES if c.name == "two-calls")
    text = Case("answer", [*created(), completed(message("msg_9", "Done."))], [], text="Done.")
    url = server.route(Reply(body=body(case.events)), Reply(body=body(text.events)))

    @openai_responses_call(
        "gpt-5-mini",
        stream=stream_option(replay),
        tools=[get_weather, format_book],
        client=OpenAI(api_key="k", base_url=url),
    )
    def chat(history: list[Any]) -> list[Any]:
        return [{"role": "user", "content": "Weather and a book?"}, *history]

    first = chat([])
    results = [(tool, tool.call()) for _, tool in first if tool is not None]
    second = chat([*first.message_param, *first.tool_message_params(results)])
    assert "".join(chunk.content for chunk, _ in second) == "Done."
    sent = server.requests(url)[1].json()
    assert isinstance(sent, dict)
    assert [i.get("type", i.get("role")) for i in sent["input"]] == [
        "user",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert sent["input"][3] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": "21 degrees celsius in Paris",
    }


@pytest.mark.parametrize("chunking", CHUNKINGS, ids=str)
def test_through_llm_call(server: ReplayServer, chunking: Chunking, replay: bool) -> None:
    case = next(c for c in CASES if c.name == "text-then-two-calls")
    url = route(server, case, chunking)

    @llm.call(
        "openai-responses",
        "gpt-5-mini",
        stream=stream_option(replay),
        tools=[get_weather, format_book],
        client=OpenAI(api_key="k", base_url=url),
    )
    def ask() -> str:
        return "Weather in Paris, and a book?"

    stream = ask()
    assert isinstance(stream, llm.Stream)
    pairs = list(stream)
    tools = [tool for _, tool in pairs if tool is not None]
    assert [(t.tool_call_id, t._name(), t.args) for t in tools] == [
        (c.call_id, c.name, c.arguments) for c in case.calls
    ]
    assert [c.provider_finish_reasons for c, _ in pairs if c.finish_reasons] == [["completed"]]
    assert stream.finish_reasons == ["tool_calls"]
    assert stream.provider_finish_reasons == ["completed"]
    assert stream.content == case.text
    assert stream.usage is not None
    assert (stream.usage.input_tokens, stream.usage.output_tokens) == (61, 37)
    whole = stream.construct_call_response()
    assert whole.finish_reasons == ["tool_calls"]
    assert [t.tool_call_id for t in whole.tools] == ["call_1", "call_2"]


async def test_through_llm_call_async(server: ReplayServer, replay: bool) -> None:
    case = next(c for c in CASES if c.name == "one-call")
    client = OpenAI(api_key="k", base_url=route(server, case, Chunking.random(5)))

    @llm.call(
        "openai-responses",
        "gpt-5-mini",
        stream=stream_option(replay),
        tools=[get_weather],
        client=client,
    )
    async def ask() -> str:
        return "Weather in Paris?"

    async with client:
        stream = await ask()
        tools = [tool async for _, tool in stream if tool is not None]
    assert [(t.tool_call_id, t.args) for t in tools] == [("call_1", WEATHER.arguments)]
    assert stream.finish_reasons == ["tool_calls"]


def test_response_model_forced_call_only_in_completed(server: ReplayServer) -> None:
    from pydantic import BaseModel

    class Book(BaseModel):
        title: str
        author: str
        year: int

    item = {**BOOK.item(), "name": "Book"}
    url = server.route(Reply(body=body([*created(), completed(item)])))

    @openai_responses_call(
        "gpt-5-mini", stream=True, response_model=Book, client=OpenAI(api_key="k", base_url=url)
    )
    def recommend() -> str:
        return "A book?"

    structured = recommend()
    partials = list(structured)
    assert partials, "the late call must produce the instance"
    assert structured.constructed_response_model == Book(**BOOK.arguments)
