"""Cohere v2 conformance: the writer against the recorded fixtures, the properties through the
harness, and the official SDK's ``ClientV2.chat_stream`` on the same generated bodies."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import cohere
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.harness import (
    check,
    conformance_settings,
    error_prefix,
    events,
    run_call,
    shape,
    with_error,
)
from tests.conformance.writers.cohere import (
    ERROR_MESSAGE,
    FINISH_REASON,
    VARIANTS,
    CohereWriter,
    answer_from_fixture,
    arguments_text,
    plan_sent,
)
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

WRITER = CohereWriter()
FIXTURES = fixtures("cohere_v2.")


# -- (a) the writer against the recorded fixtures -----------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_writer_recovers_what_the_fixture_says(
    server: ReplayServer, fixture: WireFixture, variant: str
) -> None:
    """From the body written for the fixture's answer, streamcall recovers exactly what the
    fixture's expected.json says (citations aside: the writer writes none), and the same as
    from the recorded body itself."""
    e = fixture.expected
    answer = answer_from_fixture(e)
    ours = run_call(server, "cohere", WRITER.write(answer, variant), Chunking.random(5))
    recorded = run_call(server, "cohere", fixture.body, Chunking.random(5))
    for got in (ours, recorded):
        assert got.error is None
        assert got.content == got.text == e["text"]
        assert got.thinking == (e["reasoning_text"] or "")
        assert got.tool_calls == [(c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]]
        assert got.tool_calls_json == [c["arguments_json"] for c in e["tool_calls"]]
        assert got.finish_reasons == [e["finish_reason"]]
        u = e["usage"]
        # Input and output tokens are the billed units (as Mirascope v1 reports them); the
        # processed counts (the fixture's input_tokens / output_tokens) are kept alongside.
        assert (got.input_tokens, got.output_tokens, got.cached_tokens) == (
            u["billed_input_tokens"],
            u["billed_output_tokens"],
            u["cached_tokens"],
        )
        common = got.common_usage
        billed = (common.billed_input_tokens, common.billed_output_tokens)
        assert billed == (u["billed_input_tokens"], u["billed_output_tokens"])
        processed = (common.processed_input_tokens, common.processed_output_tokens)
        assert processed == (u["input_tokens"], u["output_tokens"])
        assert got.id == e["response_id"]
        assert got.stream.tool_plan == e.get("tool_plan", "")
    if not e["citations"]:
        assert ours.message_param == recorded.message_param
    assert ours.cost == recorded.cost
    expected = WRITER.expected(answer, variant)
    check(ours, expected)
    WRITER.check_extra(ours, expected, answer, variant)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_writer_frames_like_the_fixture(fixture: WireFixture) -> None:
    """Byte-level framing: ``event:`` + ``data:`` blocks, the event name equal to the JSON type,
    compact JSON with UTF-8 text, no ``[DONE]``, every kind of event shaped as recorded."""
    answer = answer_from_fixture(fixture.expected)
    recorded = {}
    for name, data in events(fixture.body):
        recorded.setdefault(name, shape(json.loads(data)))
    for variant in VARIANTS:
        body = WRITER.write(answer, variant)
        assert body.endswith(b"\n\n")
        assert b"\r" not in body
        assert b"[DONE]" not in body
        for name, data in events(body):
            payload = json.loads(data)
            assert payload["type"] == name
            assert data == json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            assert shape(payload) == recorded[name], name


def test_tokens_variant_is_the_recorded_tool_stream() -> None:
    """The tool fixture's answer written ``tokens`` with the recorded plan pieces is the recorded
    body byte for byte, but for the argument fragments inside words (the server cuts subword
    tokens); the fragments holding quotes are the recorded ones."""
    fixture = next(f for f in FIXTURES if f.name == "cohere_v2.tools.sse")
    plan = tuple(
        json.loads(d)["delta"]["message"]["tool_plan"]
        for n, d in events(fixture.body)
        if n == "tool-plan-delta"
    )
    answer = answer_from_fixture(fixture.expected)
    answer = replace(answer, extra={**answer.extra, "tool_plan": plan})
    mine, recorded = events(WRITER.write(answer, "tokens")), events(fixture.body)
    assert [e for e in mine if e[0] != "tool-call-delta"] == [
        e for e in recorded if e[0] != "tool-call-delta"
    ]
    quoted = []
    for body in (mine, recorded):  # the cuts differ only inside words (subword tokens)
        fragments = [
            json.loads(d)["delta"]["message"]["tool_calls"]["function"]["arguments"]
            for n, d in body
            if n == "tool-call-delta"
        ]
        assert all(fragments)
        quoted.append([f for f in fragments if '"' in f or "{" in f])
    assert quoted[0] == quoted[1]
    assert len(quoted[0]) > 10


# -- (b) the properties -------------------------------------------------------------------------


# The properties (any answer, variant, chunking; and ending in an error) run for every
# registry provider in test_conformance_all.py.


def test_error_end_keeps_what_arrived(server: ReplayServer) -> None:
    """The error form the writer uses: a ``message-end`` with ``finish_reason: ERROR``."""
    answer = answer_from_fixture(next(f for f in FIXTURES if f.name.endswith("tools.sse")).expected)
    answer = replace(answer, error_after=1)
    got = run_call(server, "cohere", WRITER.write(answer, "plain"))
    assert isinstance(got.error, StreamError)
    assert ERROR_MESSAGE in str(got.error)
    assert [c[1] for c in got.tool_calls] == ["get_weather"]
    assert got.common_finish_reasons == ["error"]


# -- (c) differential: the official SDK on the same bodies --------------------------------------


def sdk_summary(url: str) -> dict[str, Any]:
    """What ``cohere.ClientV2.chat_stream`` carried (it has no accumulator: the events, summed)."""
    text = thinking = plan = ""
    calls: dict[int, list[Any]] = {}
    finish = usage = ident = error = None
    with httpx.Client() as http:
        sdk = cohere.ClientV2(api_key="test-key", base_url=url, httpx_client=http)
        for event in sdk.chat_stream(
            model="command-r-plus", messages=[{"role": "user", "content": "hi"}]
        ):  # type: ignore[arg-type]
            kind = event.type
            message = getattr(getattr(event, "delta", None), "message", None)
            if kind == "message-start":
                ident = event.id
            elif kind == "content-delta":
                text += message.content.text or ""
                thinking += getattr(message.content, "thinking", None) or ""
            elif kind == "tool-plan-delta":
                plan += message.tool_plan
            elif kind == "tool-call-start":
                call = message.tool_calls
                calls[event.index] = [call.id, call.function.name, call.function.arguments or ""]
            elif kind == "tool-call-delta":
                calls[event.index][2] += message.tool_calls.function.arguments
            elif kind == "message-end":
                finish, error = event.delta.finish_reason, getattr(event.delta, "error", None)
                u = event.delta.usage
                if u is not None:
                    usage = (
                        u.tokens.input_tokens,
                        u.tokens.output_tokens,
                        u.cached_tokens,
                        u.billed_units.input_tokens,
                        u.billed_units.output_tokens,
                    )
    return {
        "text": text,
        "thinking": thinking,
        "plan": plan,
        "calls": [calls[i] for i in sorted(calls)],
        "finish": finish,
        "usage": usage,
        "id": ident,
        "error": error,
    }


@conformance_settings(50)
@given(
    answer=st.one_of(WRITER.strategy(), with_error(WRITER.strategy())),
    variant=st.sampled_from(VARIANTS),
    seed=st.integers(0, 2**16),
)
def test_official_sdk_reads_the_same(
    server: ReplayServer, answer: Any, variant: str, seed: int
) -> None:
    """``cohere.ClientV2.chat_stream`` on the same body: the same text, thinking, plan, calls
    (exact argument JSON), finish reason, usage and id as the answer."""
    url = server.route(Reply(body=WRITER.write(answer, variant), chunking=Chunking.random(seed)))
    got = sdk_summary(url)
    text, thinking, calls = error_prefix(answer)
    assert (got["text"], got["thinking"]) == (text, thinking)
    assert got["plan"] == (plan_sent(answer) or "")
    assert got["calls"] == [[c.id, c.name, arguments_text(c.arguments)] for c in calls]
    assert got["id"] == answer.id
    if answer.error_after is not None:
        assert (got["finish"], got["error"], got["usage"]) == ("ERROR", ERROR_MESSAGE, None)
        return
    usage = answer.usage
    assert usage is not None
    assert got["finish"] == FINISH_REASON[answer.finish]
    assert got["usage"] == (
        usage.input_tokens,
        usage.output_tokens,
        usage.cached_tokens,
        *answer.extra["billed"],
    )
