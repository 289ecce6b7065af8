"""Conformance: Mistral chat bodies -> mistral_call.

- The writer against the recorded fixtures (``mistral.*.sse``): from the answer a fixture
  describes, the writer's body gives streamcall what the fixture gives, and what its
  expected.json says.
- Properties: any answer, any variant, any re-chunking, sync and async, and an error after
  any number of events (an error payload, or ``finish_reason: "error"``).
- Differential: the official ``mistralai`` SDK's ``chat.stream`` on the same generated bodies
  agrees with streamcall, except where the SDK is wrong (said and asserted below).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mistralai.client import Mistral as SDKMistral

from tests.conformance.answer import Answer
from tests.conformance.harness import (
    check,
    chunkings,
    conformance_settings,
    run_call,
    with_error,
)
from tests.conformance.writers.mistral import MistralWriter, error_style
from tests.conformance.writers.openai_chat import answer_from_fixture
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

WRITER = MistralWriter()
FIXTURES = fixtures("mistral.")


# -- the writer against the recorded fixtures -------------------------------------------------


def _view(r: Any) -> dict[str, Any]:
    return {
        "text": r.text,
        "content": r.content,
        "thinking": r.thinking,
        "tools": r.yielded_tools,
        "tool_calls": r.tool_calls,
        "finish": r.finish_reasons,
        "tokens": (r.input_tokens, r.output_tokens, r.cached_tokens),
        "error": r.error,
        "id": r.id,
        "model": r.model,
        "cost": r.cost,
        "response": (r.response_content, r.response_tools, r.response_finish_reasons),
    }


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_writer_reproduces_the_fixture(server: ReplayServer, fixture: WireFixture) -> None:
    answer = answer_from_fixture(fixture.expected)
    chunking = Chunking.random(seed=len(fixture.body), max_size=9)
    from_fixture = run_call(server, "mistral", fixture.body, chunking)
    from_writer = run_call(server, "mistral", WRITER.write(answer, "official"), chunking)
    assert _view(from_writer) == _view(from_fixture)
    check(from_writer, WRITER.expected(answer, "official"))

    e = fixture.expected
    assert from_fixture.text == e["text"]
    assert from_fixture.tool_calls == [
        (c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]
    ]
    assert from_fixture.tool_calls_json == [c["arguments_json"] for c in e["tool_calls"]]
    assert from_writer.tool_calls_json == from_fixture.tool_calls_json  # spaced, raw UTF-8
    assert from_fixture.finish_reasons == [e["finish_reason"]]
    usage = e["usage"]
    assert (from_fixture.input_tokens, from_fixture.output_tokens) == (
        usage["input_tokens"],
        usage["output_tokens"],
    )
    # Usage without a cache figure reports 0 cached tokens (as Mirascope v1 does).
    assert from_fixture.cached_tokens == (usage["cached_tokens"] or 0)
    assert (from_fixture.id, from_fixture.model) == (e["response_id"], e["model"])


def test_every_variant_on_the_tools_fixture_answer(server: ReplayServer) -> None:
    fixture = next(f for f in FIXTURES if f.name == "mistral.tools.sse")
    answer = answer_from_fixture(fixture.expected)
    for variant in WRITER.variants_for(answer):
        for seed in range(2):
            seeded = dataclasses.replace(answer, extra={"seed": seed})
            body = WRITER.write(seeded, variant)
            recovered = run_call(server, "mistral", body, Chunking.random(seed, 7))
            check(recovered, WRITER.expected(seeded, variant))
            WRITER.check_extra(recovered, WRITER.expected(seeded, variant), seeded, variant)


# -- properties -------------------------------------------------------------------------------

# The properties (any answer, variant, chunking; and ending in an error) run for every
# registry provider in test_conformance_all.py.


# -- the official SDK on the same bodies ------------------------------------------------------


def sdk_stream(url: str) -> dict[str, Any]:
    """What ``mistralai``'s ``chat.stream`` delivers, and what it raises."""
    text = thinking = ""
    calls: list[Any] = []
    finish = usage = None
    error: Exception | None = None
    sdk = SDKMistral(api_key="test-key", server_url=url)
    try:
        with sdk.chat.stream(
            model="mistral-small-latest",
            messages=[{"role": "user", "content": "Use the tools."}],  # type: ignore[arg-type]
        ) as stream:
            for event in stream:
                chunk = event.data
                if chunk.usage is not None:
                    usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                for choice in chunk.choices:
                    content = choice.delta.content
                    if isinstance(content, str):
                        text += content
                    elif isinstance(content, list):
                        for part in content:
                            if part.type == "text":
                                text += part.text
                            elif part.type == "thinking":
                                thinking += "".join(
                                    t.text for t in part.thinking if t.type == "text"
                                )
                    for call in choice.delta.tool_calls or ():
                        args = call.function.arguments
                        calls.append(
                            (
                                call.id,
                                call.function.name,
                                json.loads(args) if isinstance(args, str) else args,
                            )
                        )
                    if choice.finish_reason is not None:
                        finish = str(choice.finish_reason)
    except Exception as exc:  # what the SDK raises is part of the comparison
        error = exc
    return {
        "text": text,
        "thinking": thinking,
        "tools": calls,
        "finish": finish,
        "usage": usage,
        "error": error,
    }


@st.composite
def differential_cases(draw: st.DrawFn) -> tuple[Answer, str]:
    answer = draw(st.one_of(WRITER.strategy(), with_error(WRITER.strategy())))
    return answer, draw(st.sampled_from(WRITER.variants_for(answer)))


@conformance_settings(50)
@given(case=differential_cases(), chunking=chunkings(), asynchronous=st.booleans())
def test_same_as_the_sdk(
    server: ReplayServer, case: tuple[Answer, str], chunking: Chunking, asynchronous: bool
) -> None:
    from mistralai.client.errors import ResponseValidationError

    answer, variant = case
    body = WRITER.write(answer, variant)
    recovered = run_call(server, "mistral", body, chunking, asynchronous=asynchronous)
    check(recovered, WRITER.expected(answer, variant))
    theirs = sdk_stream(server.route(Reply(body=body, chunking=chunking)))
    ours = {
        "text": recovered.text,
        "thinking": recovered.thinking,
        "tools": recovered.tool_calls,
        "finish": (recovered.finish_reasons or [None])[0],
        "usage": None
        if recovered.common_usage is None
        else (recovered.input_tokens, recovered.output_tokens),
        "error": recovered.error,
    }
    if answer.error_after is not None:
        if error_style(answer) == "payload":
            # The SDK is wrong here: Mistral's in-stream error payload ({"object": "error",
            # "message": ...}) fails the SDK's chunk validation, so the caller gets a
            # ResponseValidationError ("Field required: id, model, choices") instead of the
            # provider's error; streamcall raises StreamError with the provider's message.
            assert isinstance(theirs["error"], ResponseValidationError), theirs["error"]
        else:
            # finish_reason "error": the SDK ends normally and leaves the reason to the caller;
            # streamcall delivers the chunk, then raises StreamError.
            assert theirs["error"] is None
            assert theirs["finish"] == "error"
        assert ours["error"] is not None
        ours["error"] = theirs["error"] = None
    assert ours == theirs
