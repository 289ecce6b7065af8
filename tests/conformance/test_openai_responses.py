"""OpenAI Responses conformance: the writer against the recorded fixtures, the properties through
the harness (the LiteLLM-style bridge shapes included), and the official SDK's
``responses.stream(...).get_final_response()`` on the same generated bodies."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage
from tests.conformance.harness import (
    check,
    conformance_settings,
    error_prefix,
    events,
    run_call,
)
from tests.conformance.writers.openai_responses import (
    STATUS,
    VARIANTS,
    OpenAIResponsesWriter,
    answer_from_fixture,
    arguments_text,
)
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

WRITER = OpenAIResponsesWriter()
FIXTURES = fixtures("openai_responses.")
PROVIDER = "openai-responses"


def key_orders(value: Any, path: str) -> list[tuple[str, list[str]]]:
    """``(path, keys in order)`` of every object in a JSON value (``tools`` left out)."""
    out: list[tuple[str, list[str]]] = []
    if isinstance(value, dict):
        out.append((path, list(value)))
        for key, item in value.items():
            if key != "tools":
                out += key_orders(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            kind = item.get("type", "") if isinstance(item, dict) else ""
            out += key_orders(item, f"{path}[{kind}]")
    return out


# -- (a) the writer against the recorded fixtures -----------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_writer_recovers_what_the_fixture_says(
    server: ReplayServer, fixture: WireFixture, variant: str
) -> None:
    """From the body written for the fixture's answer, streamcall recovers exactly what the
    fixture's expected.json says, and the same as from the recorded body itself."""
    e = fixture.expected
    answer = answer_from_fixture(e)
    ours = run_call(server, PROVIDER, WRITER.write(answer, variant), Chunking.random(5))
    recorded = run_call(server, PROVIDER, fixture.body, Chunking.random(5))
    for got in (ours, recorded):
        assert got.content == got.text == e["text"]
        assert got.thinking == (e["reasoning_text"] or "")
        assert got.tool_calls == [(c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]]
        assert got.tool_calls_json == [c["arguments_json"] for c in e["tool_calls"]]
        assert got.finish_reasons == [e["finish_reason"]]
        u = e["usage"]
        if u is None:
            assert got.common_usage is None
        else:
            assert (got.input_tokens, got.output_tokens, got.cached_tokens) == (
                u["input_tokens"],
                u["output_tokens"],
                u["cached_tokens"],
            )
            assert got.common_usage.reasoning_tokens == u["reasoning_tokens"]
        assert (got.id, got.model) == (e["response_id"], e["model"])
        if e["error"] is None:
            assert got.error is None
        else:
            assert isinstance(got.error, StreamError)
    assert ours.message_param == recorded.message_param
    assert ours.cost == recorded.cost
    expected = WRITER.expected(answer, variant)
    check(ours, expected)
    WRITER.check_extra(ours, expected, answer, variant)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_writer_frames_like_the_fixture(fixture: WireFixture) -> None:
    """Byte-level framing: ``event:`` + ``data:`` blocks, the event name equal to the JSON type,
    compact JSON with UTF-8 text, ``sequence_number`` last and counting from 0, and the keys of
    every kind of event (and of the objects inside) in the recorded order."""
    recorded: dict[str, list[str]] = {}
    for fx in FIXTURES:
        for name, data in events(fx.body):
            for path, keys in key_orders(json.loads(data), name):
                recorded.setdefault(path, keys)
    answer = answer_from_fixture(fixture.expected)
    for variant in VARIANTS:
        body = WRITER.write(answer, variant)
        assert body.endswith(b"\n\n")
        assert b"\r" not in body
        for n, (name, data) in enumerate(events(body)):
            payload = json.loads(data)
            assert payload["type"] == name
            assert list(payload)[-1] == "sequence_number"
            assert payload["sequence_number"] == n
            assert data == json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            for path, keys in key_orders(payload, name):
                if path in recorded:
                    common = set(keys) & set(recorded[path])
                    ours = [k for k in keys if k in common]
                    assert ours == [k for k in recorded[path] if k in common], path


def test_items_body_is_the_recorded_text_stream() -> None:
    """With the recorded pieces, the text fixture written ``items`` is the recorded body but
    for the random ``obfuscation`` values, the item id and ``service_tier`` on the first
    events."""
    fixture = next(f for f in FIXTURES if f.name == "openai_responses.text.sse")
    recorded = [json.loads(d) for _, d in events(fixture.body)]
    pieces = tuple(e["delta"] for e in recorded if e["type"] == "response.output_text.delta")
    answer = replace(answer_from_fixture(fixture.expected), text=pieces)
    mine = [json.loads(d) for _, d in events(WRITER.write(answer, "items"))]
    assert len(mine) == len(recorded)
    item_id = recorded[2]["item"]["id"]
    for ours, theirs in zip(mine, recorded, strict=True):
        for payload in (ours, theirs):
            payload.pop("obfuscation", None)
            payload.get("response", {}).pop("completed_at", None)
        text = json.dumps(ours).replace(mine[2]["item"]["id"], item_id)
        assert json.loads(text) == theirs


# -- (b) the properties -------------------------------------------------------------------------


# A library bug pinned here: a ``response.failed`` whose ``output`` is empty (the shape of the
# recorded error fixture) after text had streamed. ``construct_call_response()`` (and so
# ``message_param``) takes the terminal response as the whole truth and loses the text, the
# reasoning and the finished calls the stream delivered; ``stream.content`` keeps them.
FAILED_EMPTY = Answer(
    text=("a",),
    usage=Usage(3, 1),
    error_after=1,
    extra={"seed": 0, "nested_error": True, "failed_output": False},
)

# The properties (any answer, variant, chunking; and ending in an error) run for every
# registry provider in test_conformance_all.py, with
# this case as an explicit example of the errors property.


def test_failed_response_with_empty_output_keeps_the_streamed_text(server: ReplayServer) -> None:
    """The pinned case on its own: the whole response built from the stream has its text."""
    got = run_call(server, PROVIDER, WRITER.write(FAILED_EMPTY, "items"))
    assert isinstance(got.error, StreamError)
    assert got.content == "a"
    assert got.response_content == "a"
    assert got.message_param == [{"role": "assistant", "content": "a"}]


def test_bridge_variants_carry_nothing_but_the_terminal_output() -> None:
    """``bridge_all`` streams no item events at all; ``bridge_calls`` streams no call events."""
    call = ToolCall("call_1", "get_weather", {"city": "Lisbon"})
    answer = Answer(text=("hi",), thinking=("hm",), tool_calls=(call,), finish="tool_calls")
    everything = [n for n, _ in events(WRITER.write(answer, "bridge_all"))]
    assert everything == ["response.created", "response.in_progress", "response.completed"]
    calls_only = events(WRITER.write(answer, "bridge_calls"))
    assert not [n for n, d in calls_only if "function_call" in n or '"function_call"' in d[:200]]
    assert '"type":"function_call"' in calls_only[-1][1]


# -- (c) differential: the official SDK's accumulator on the same bodies ------------------------


def sdk_final_response(url: str) -> Any:
    with httpx2.Client() as http:
        sdk = openai.OpenAI(api_key="test-key", base_url=url, http_client=http)
        with sdk.responses.stream(model="gpt-4.1-mini", input="Use the tools.") as stream:
            for _ in stream:
                pass
            return stream.get_final_response()


@conformance_settings(50)
@given(answer=WRITER.strategy(), variant=st.sampled_from(VARIANTS), seed=st.integers(0, 2**16))
def test_official_sdk_accumulates_the_same(
    server: ReplayServer, answer: Answer, variant: str, seed: int
) -> None:
    """``client.responses.stream(...).get_final_response()`` on the same body: the same output
    text, reasoning summary, function calls (exact argument JSON), status, usage and id. (The
    error answers are the properties' business: the SDK raises on ``error``, as we do.)"""
    url = server.route(Reply(body=WRITER.write(answer, variant), chunking=Chunking.random(seed)))
    if answer.finish == "length":
        # The SDK is wrong here: a stream that ends in ``response.incomplete`` (the output
        # token limit) is complete, but get_final_response() only knows response.completed.
        with pytest.raises(RuntimeError, match=r"Didn't receive a `response\.completed` event"):
            sdk_final_response(url)
        return
    final = sdk_final_response(url)
    text, thinking, calls = error_prefix(answer)
    assert final.output_text == text
    summaries = [s.text for item in final.output if item.type == "reasoning" for s in item.summary]
    assert "".join(summaries) == thinking
    got_calls = [
        (item.call_id, item.name, item.arguments)
        for item in final.output
        if item.type == "function_call"
    ]
    assert got_calls == [(c.id, c.name, arguments_text(c.arguments)) for c in calls]
    assert (final.status, final.id, final.model) == (STATUS[answer.finish], answer.id, answer.model)
    usage: Usage | None = answer.usage
    if usage is None:
        assert final.usage is None
    else:
        got = final.usage
        assert (
            got.input_tokens,
            got.output_tokens,
            got.input_tokens_details.cached_tokens,
            got.output_tokens_details.reasoning_tokens,
        ) == (usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.reasoning_tokens)
