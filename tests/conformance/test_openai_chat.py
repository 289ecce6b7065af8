"""Conformance: OpenAI Chat Completions bodies (OpenAI and compatible servers) -> openai_call.

- The writer against the recorded fixtures: from the answer a fixture describes, the writer's
  body gives streamcall exactly what the fixture itself gives, and what its expected.json says.
- Properties: any answer, any server variant, any re-chunking, sync and async (and an error
  after any number of events), through ``openai_call``.
- Differential: the official ``openai`` SDK (plain ``create(stream=True)`` and the
  ``chat.completions.stream`` accumulator) on the same generated bodies agrees with streamcall,
  except where the SDK is wrong (said and asserted explicitly below).
- Regression: interleaved parallel tool-call fragments, through ``openai_call`` and
  ``llm.call``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage
from tests.conformance.harness import (
    Expected,
    check,
    chunkings,
    conformance_settings,
    error_prefix,
    run_and_check,
    run_call,
    with_error,
)
from tests.conformance.writers.deepseek import DeepSeekWriter
from tests.conformance.writers.openai_chat import (
    ERROR_MESSAGE,
    OpenAIChatWriter,
    answer_from_fixture,
)
from tests.replay import Chunking, ReplayServer, Reply, sse_body
from tests.wire_fixtures import WireFixture, fixtures

WRITER = OpenAIChatWriter()
MESSAGES = [{"role": "user", "content": "Use the tools."}]

# -- the writer against the recorded fixtures -------------------------------------------------

FIXTURES = fixtures("openai_chat.") + fixtures("openai_compat.")


def _fixture_case(fixture: WireFixture) -> tuple[OpenAIChatWriter, Answer, str]:
    answer = answer_from_fixture(fixture.expected)
    if fixture.name.startswith("openai_compat.deepseek"):
        return DeepSeekWriter(), answer, "deepseek"
    if fixture.expected["error"] is not None:  # all the text, then the error
        answer = dataclasses.replace(answer, error_after=len(answer.text))
    return WRITER, answer, "official"


def _view(r: Any) -> dict[str, Any]:
    """What a fixture and a written body must both give."""
    usage = r.common_usage
    return {
        "text": r.text,
        "content": r.content,
        "thinking": r.thinking,
        "tools": r.yielded_tools,
        "tool_calls": r.tool_calls,
        "finish": r.finish_reasons,
        "tokens": (r.input_tokens, r.output_tokens, r.cached_tokens),
        "reasoning_tokens": None if usage is None else usage.reasoning_tokens,
        "error": type(r.error),
        "id": r.id,
        "model": r.model,
        "response": (r.response_content, r.response_tools, r.response_finish_reasons),
    }


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_writer_reproduces_the_fixture(server: ReplayServer, fixture: WireFixture) -> None:
    writer, answer, variant = _fixture_case(fixture)
    provider = writer.provider
    chunking = Chunking.random(seed=len(fixture.body), max_size=9)
    from_fixture = run_call(server, provider, fixture.body, chunking)
    from_writer = run_call(server, provider, writer.write(answer, variant), chunking)
    assert _view(from_writer) == _view(from_fixture)

    e = fixture.expected
    assert from_fixture.text == e["text"]
    assert from_fixture.thinking == (e["reasoning_text"] or "")
    assert from_fixture.tool_calls == [
        (c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]
    ]
    assert from_fixture.finish_reasons == (
        None if e["finish_reason"] is None else [e["finish_reason"]]
    )
    usage = e["usage"]
    if usage is None:
        assert from_fixture.common_usage is None
    else:
        assert (from_fixture.input_tokens, from_fixture.output_tokens) == (
            usage["input_tokens"],
            usage["output_tokens"],
        )
        assert from_fixture.cached_tokens == usage["cached_tokens"]
        assert from_fixture.common_usage.reasoning_tokens == usage.get("reasoning_tokens")
    if e["error"] is None:
        assert from_fixture.error is None
        check(from_writer, writer.expected(answer, variant))
    else:
        assert isinstance(from_fixture.error, StreamError)
        assert e["error"]["message"] in str(from_fixture.error)
        assert ERROR_MESSAGE in str(from_writer.error)


def test_every_variant_writes_a_fixture_like_body(server: ReplayServer) -> None:
    """Every variant, on the tools fixture's answer (two calls, non-ASCII arguments)."""
    fixture = next(f for f in FIXTURES if f.name == "openai_chat.tools_parallel.sse")
    answer = answer_from_fixture(fixture.expected)
    for variant in WRITER.variants_for(answer):
        for seed in range(3):
            seeded = dataclasses.replace(answer, extra={"seed": seed})
            run_and_check(server, WRITER, seeded, variant, Chunking.random(seed, 7))


# -- properties -------------------------------------------------------------------------------

# The properties (any answer, variant, chunking; and ending in an error) run for every
# registry provider in test_conformance_all.py.


# -- the official SDK on the same bodies ------------------------------------------------------


def _ours(r: Any) -> dict[str, Any]:
    return {
        "text": r.text,
        "reasoning": r.thinking,
        "tools": r.tool_calls,
        "finish": (r.finish_reasons or [None])[0],
        "usage": None
        if r.common_usage is None
        else (r.input_tokens, r.output_tokens, r.cached_tokens),
        "error": r.error is not None,
    }


def _sdk_usage(usage: Any) -> tuple[int, int, int | None] | None:
    if usage is None:
        return None
    details = usage.prompt_tokens_details
    cached = details.cached_tokens if details is not None else None
    if cached is None:  # DeepSeek's own field
        cached = (usage.model_extra or {}).get("prompt_cache_hit_tokens")
    return usage.prompt_tokens, usage.completion_tokens, cached


def _reasoning(obj: Any) -> str:
    extra = getattr(obj, "model_extra", None) or {}
    return extra.get("reasoning_content") or extra.get("reasoning") or ""


def sdk_create(url: str) -> dict[str, Any]:
    """The SDK's plain stream, assembled the way its docs show (tool calls by ``index``; by
    ``id`` where a server sends no index: the SDK then hands out ``index=None``, although its
    types say ``int``)."""
    text = reasoning = ""
    calls: dict[Any, list[Any]] = {}
    finish = usage = None
    error = False
    with httpx2.Client() as http:
        client = openai.OpenAI(api_key="test-key", base_url=url, http_client=http, max_retries=0)
        try:
            for chunk in client.chat.completions.create(
                model="gpt-4.1-mini",
                messages=MESSAGES,  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
            ):
                if chunk.usage is not None:
                    usage = _sdk_usage(chunk.usage)
                for choice in chunk.choices:
                    delta = choice.delta
                    text += delta.content or ""
                    reasoning += _reasoning(delta)
                    for call in delta.tool_calls or ():
                        key = call.index if call.index is not None else call.id
                        entry = calls.setdefault(key, [None, None, ""])
                        entry[0] = entry[0] or call.id
                        if call.function is not None:
                            entry[1] = entry[1] or call.function.name
                            entry[2] += call.function.arguments or ""
                    if choice.finish_reason is not None:
                        finish = choice.finish_reason
        except openai.APIError:
            error = True
    tools = [(i, n, json.loads(a or "{}")) for i, n, a in calls.values()]
    return {
        "text": text,
        "reasoning": reasoning,
        "tools": tools,
        "finish": finish,
        "usage": usage,
        "error": error,
    }


def sdk_helper(url: str) -> dict[str, Any]:
    """The SDK's accumulator: ``chat.completions.stream(...)`` and its final snapshot."""
    error = False
    with httpx2.Client() as http:
        client = openai.OpenAI(api_key="test-key", base_url=url, http_client=http, max_retries=0)
        with client.chat.completions.stream(
            model="gpt-4.1-mini",
            messages=MESSAGES,  # type: ignore[arg-type]
            stream_options={"include_usage": True},
        ) as stream:
            try:
                for _ in stream:
                    pass
                snapshot: Any = stream.get_final_completion()
            except openai.APIError:
                error = True
                snapshot = stream.current_completion_snapshot
            except openai.LengthFinishReasonError:
                # The SDK's choice, not a wire problem: get_final_completion() refuses any
                # answer that ended with finish_reason "length", even with nothing to parse
                # (no response_format, no strict tools). streamcall delivers the answer with
                # finish_reasons ["length"]. Compare the accumulated snapshot.
                snapshot = stream.current_completion_snapshot
                assert snapshot.choices[0].finish_reason == "length"
    choice = snapshot.choices[0] if snapshot.choices else None
    message = choice.message if choice is not None else None
    tools = [
        (c.id, c.function.name, json.loads(c.function.arguments or "{}"))
        for c in (message.tool_calls or [] if message is not None else [])
    ]
    return {
        "text": (message.content or "") if message is not None else "",
        "reasoning": _reasoning(message) if message is not None else "",
        "tools": tools,
        "finish": choice.finish_reason if choice is not None else None,
        "usage": _sdk_usage(snapshot.usage),
        "error": error,
    }


def fragments_per_call(body: bytes) -> dict[int, int]:
    """How many tool-call fragments each ``index`` has in a body."""
    counts: dict[int, int] = {}
    for line in body.decode().split("\n"):  # not splitlines(): U+2028 is no SSE line end
        if not line.startswith("data: {"):
            continue
        for choice in json.loads(line[6:]).get("choices") or ():
            for call in (choice.get("delta") or {}).get("tool_calls") or ():
                counts[call["index"]] = counts.get(call["index"], 0) + 1
    return counts


WRITERS = {"openai": WRITER, "deepseek": DeepSeekWriter()}
ANSWERS = st.sampled_from(sorted(WRITERS)).flatmap(
    lambda key: st.tuples(
        st.just(key),
        st.one_of(WRITERS[key].strategy(), with_error(WRITERS[key].strategy())),
    )
)


@st.composite
def differential_cases(draw: st.DrawFn) -> tuple[OpenAIChatWriter, Answer, str]:
    key, answer = draw(ANSWERS)
    writer = WRITERS[key]
    return writer, answer, draw(st.sampled_from(writer.variants_for(answer)))


def _compare_with_sdk(
    server: ReplayServer,
    case: tuple[OpenAIChatWriter, Answer, str],
    chunking: Chunking,
    asynchronous: bool,
    sdk: Any,
) -> None:
    writer, answer, variant = case
    body = writer.write(answer, variant)
    recovered = run_call(server, writer.provider, body, chunking, asynchronous=asynchronous)
    ours = _ours(recovered)
    url = server.route(Reply(body=body, chunking=chunking))
    if sdk is sdk_helper and variant == "no_index" and error_prefix(answer)[2]:
        # The SDK is wrong here: its accumulator indexes its list of calls with the fragment's
        # "index", so a server that sends whole calls without one (Gemini's OpenAI-compatible
        # endpoint) makes it fail with a bare TypeError. streamcall tells the calls apart by id.
        with pytest.raises(TypeError, match="list indices must be integers"):
            sdk(url)
        check(recovered, writer.expected(answer, variant))
        return
    theirs = sdk(url)
    if answer.error_after is not None:
        # Both raise, and keep the text and reasoning before the error, and the call that was
        # still streaming: the SDK in its snapshot, streamcall marked unfinished (never yielded:
        # the protocol has not finished it).
        assert ours["error"]
        assert theirs["error"]
        assert (ours["text"], ours["reasoning"]) == (theirs["text"], theirs["reasoning"])
        if variant != "llama_cpp" or sdk is not sdk_helper:  # the SDK's repeated names, below
            assert ours["tools"] == theirs["tools"]
        return
    if sdk is sdk_helper and variant == "llama_cpp":
        # The SDK is wrong here: its accumulator concatenates every string field of a tool-call
        # fragment, so a server that repeats the id and the name in each fragment (llama.cpp)
        # gives ids and names repeated once per fragment ("get_weatherget_weather").
        counts = fragments_per_call(body)
        wrong = [(i * counts[k], n * counts[k], a) for k, (i, n, a) in enumerate(ours["tools"])]
        assert theirs["tools"] == wrong
        theirs["tools"] = ours["tools"]
    assert ours == theirs
    check(recovered, writer.expected(answer, variant))


LLAMA_CPP_TWO_CALLS = (
    WRITER,
    Answer(
        tool_calls=(
            ToolCall("call_a", "get_weather", {"city": "Zürich"}),
            ToolCall("call_b", "list_files", {}),
        ),
        finish="tool_calls",
        extra={"seed": 1},
    ),
    "llama_cpp",
)


NO_INDEX_TWO_CALLS = (WRITER, LLAMA_CPP_TWO_CALLS[1], "no_index")


@conformance_settings(50)
@given(case=differential_cases(), chunking=chunkings(), asynchronous=st.booleans())
@example(case=NO_INDEX_TWO_CALLS, chunking=Chunking.whole(), asynchronous=False)
def test_same_as_the_sdk_stream(
    server: ReplayServer,
    case: tuple[OpenAIChatWriter, Answer, str],
    chunking: Chunking,
    asynchronous: bool,
) -> None:
    _compare_with_sdk(server, case, chunking, asynchronous, sdk_create)


@conformance_settings(50)
@given(case=differential_cases(), chunking=chunkings(), asynchronous=st.booleans())
@example(case=LLAMA_CPP_TWO_CALLS, chunking=Chunking.whole(), asynchronous=False)
@example(case=NO_INDEX_TWO_CALLS, chunking=Chunking.whole(), asynchronous=False)
def test_same_as_the_sdk_accumulator(
    server: ReplayServer,
    case: tuple[OpenAIChatWriter, Answer, str],
    chunking: Chunking,
    asynchronous: bool,
) -> None:
    _compare_with_sdk(server, case, chunking, asynchronous, sdk_helper)


def test_the_sdk_accumulator_repeats_a_name_sent_in_every_fragment(server: ReplayServer) -> None:
    """The SDK's known mistake, pinned: llama.cpp repeats ``id`` and ``name`` in each fragment;
    ``chat.completions.stream`` concatenates them, streamcall does not."""
    _, answer, _ = LLAMA_CPP_TWO_CALLS
    body = WRITER.write(answer, "llama_cpp")
    counts = fragments_per_call(body)
    assert counts[0] > 1
    theirs = sdk_helper(server.route(Reply(body=body)))
    assert theirs["tools"][0][:2] == ("call_a" * counts[0], "get_weather" * counts[0])
    ours = run_call(server, "openai", body)
    assert ours.tool_calls == [
        ("call_a", "get_weather", {"city": "Zürich"}),
        ("call_b", "list_files", {}),
    ]


# -- regression: interleaved parallel tool-call fragments ------------------------------------


def _chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-int",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4.1-mini-2025-04-14",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        },
        ensure_ascii=False,
    )


def _start(index: int, call_id: str, name: str) -> dict[str, Any]:
    return {
        "tool_calls": [
            {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
        ]
    }


def _args(index: int, text: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "function": {"arguments": text}}]}


INTERLEAVED = sse_body(
    [
        _chunk({"role": "assistant", "content": None}),
        _chunk(_start(0, "call_w", "get_weather")),
        _chunk(_start(1, "call_b", "format_book")),
        _chunk(_start(2, "call_l", "list_files")),
        _chunk(_args(0, '{"city": "Mün')),
        _chunk(_args(1, '{"title": "Cien años", ')),
        _chunk(_args(0, 'chen"}')),
        _chunk(_args(2, "{}")),
        _chunk(_args(1, '"author": "García Márquez", "year": 1967}')),
        _chunk({}, "tool_calls"),
    ]
)
INTERLEAVED_CALLS = (
    ("call_w", "get_weather", {"city": "München"}),
    ("call_b", "format_book", {"title": "Cien años", "author": "García Márquez", "year": 1967}),
    ("call_l", "list_files", {}),
)


@pytest.mark.parametrize("via_llm", [False, True], ids=["openai_call", "llm.call"])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("chunking", [Chunking.whole(), Chunking.fixed(1), Chunking.random(3, 11)])
def test_interleaved_parallel_tool_calls(
    server: ReplayServer, via_llm: bool, asynchronous: bool, chunking: Chunking
) -> None:
    """Call 0 starts, call 1 starts, call 2 starts, then their arguments in turn (vLLM and
    other compatible servers): three whole calls, in order, each with its own arguments."""
    recovered = run_call(
        server, "openai", INTERLEAVED, chunking, asynchronous=asynchronous, via_llm=via_llm
    )
    check(
        recovered,
        Expected(tool_calls=INTERLEAVED_CALLS, finish_reasons=["tool_calls"], cost=None),
    )


@pytest.mark.parametrize("via_llm", [False, True], ids=["openai_call", "llm.call"])
def test_interleaved_written_by_the_writer(server: ReplayServer, via_llm: bool) -> None:
    answer = Answer(
        text=("Checking ", "both."),
        tool_calls=(
            ToolCall("call_1", "format_book", {"title": "日本", "author": "🙂", "year": -3}),
            ToolCall("call_2", "get_weather", {"city": '"quoted" \\ back'}),
            ToolCall("call_3", "tag_items", {"items": ["a", "é"], "weight": 0.5, "note": None}),
        ),
        usage=Usage(100, 20, 10, 5),
        finish="tool_calls",
        model="gpt-4.1-mini-2025-04-14",
    )
    for seed in range(4):  # both interleavings (in turn, round-robin)
        seeded = dataclasses.replace(answer, extra={"seed": seed})
        run_and_check(
            server, WRITER, seeded, "interleaved", Chunking.random(seed, 13), via_llm=via_llm
        )
