"""Ollama ``/api/chat`` conformance: the writer against the recorded fixtures and the properties
through the harness (no official SDK is installed to compare with)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage
from tests.conformance.harness import check, run_call
from tests.conformance.writers.ollama import (
    ERROR_MESSAGE,
    VARIANTS,
    OllamaWriter,
    answer_from_fixture,
    dumps,
)
from tests.replay import Chunking, ReplayServer
from tests.wire_fixtures import WireFixture, fixtures

WRITER = OllamaWriter()
FIXTURES = fixtures("ollama_chat.")


def lines(body: bytes) -> list[dict[str, object]]:
    text = body.decode()
    assert text.endswith("\n")
    assert "\r" not in text
    return [json.loads(line) for line in text[:-1].split("\n")]


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
    ours = run_call(server, "ollama", WRITER.write(answer, variant), Chunking.random(5))
    recorded = run_call(server, "ollama", fixture.body, Chunking.random(5))
    for got in (ours, recorded):
        assert got.error is None
        assert got.content == got.text == e["text"]
        assert got.thinking == (e["reasoning_text"] or "")
        assert got.tool_calls == [(c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]]
        assert got.finish_reasons == [e["finish_reason"]]
        u = e["usage"]
        assert (got.input_tokens, got.output_tokens, got.cached_tokens) == (
            u["input_tokens"],
            u["output_tokens"],
            u["cached_tokens"] or 0,  # usage without a cache figure: 0 cached tokens
        )
        assert (got.model, got.cost) == (e["model"], None)
    assert ours.message_param == recorded.message_param
    expected = WRITER.expected(answer, variant)
    check(ours, expected)
    WRITER.check_extra(ours, expected, answer, variant)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_writer_writes_the_recorded_lines(fixture: WireFixture) -> None:
    """With the recorded pieces, the ``together`` body is the recorded one line for line, key
    order included, apart from the timestamps and durations (ours are made up)."""
    recorded = lines(fixture.body)
    text = tuple(str(x["message"]["content"]) for x in recorded if x["message"]["content"])  # type: ignore[index]
    thinking = tuple(str(x["message"]["thinking"]) for x in recorded if "thinking" in x["message"])  # type: ignore[index, operator]
    answer = replace(answer_from_fixture(fixture.expected), text=text, thinking=thinking)
    mine = lines(WRITER.write(answer, "together"))
    assert len(mine) == len(recorded)
    for ours, theirs in zip(mine, recorded, strict=True):
        assert list(ours) == list(theirs)
        for key in ("created_at", "total_duration", "load_duration"):
            ours.pop(key, None)
            theirs.pop(key, None)
        for key in ("prompt_eval_duration", "eval_duration"):
            ours.pop(key, None)
            theirs.pop(key, None)
        assert ours == theirs
    for raw in fixture.body.decode().splitlines():
        assert raw == dumps(json.loads(raw))


def test_go_escapes_html_characters_and_line_separators(server: ReplayServer) -> None:
    """The server's JSON escapes ``<``, ``>``, ``&``, U+2028 and U+2029 (Go's encoder); the text
    is recovered unchanged."""
    answer = Answer(text=("<a href='x'>&amp;</a>", "\u2028\u2029"), usage=Usage(3, 2))
    body = WRITER.write(answer, "together")
    assert b"\\u003ca href='x'\\u003e\\u0026amp;\\u003c/a\\u003e" in body
    assert b"\\u2028\\u2029" in body
    assert run_call(server, "ollama", body, Chunking.fixed(1)).content == answer.full_text


# -- (b) the properties -------------------------------------------------------------------------


# The properties (any answer, variant, chunking; and ending in an error) run for every
# registry provider in test_conformance_all.py.


def test_error_line_after_whole_calls(server: ReplayServer) -> None:
    """An error line right after a line of whole calls: the calls are kept, the error raised."""
    calls = (ToolCall("call_a", "list_files", {}), ToolCall("call_b", "get_weather", {"city": "X"}))
    answer = Answer(tool_calls=calls, finish="tool_calls", usage=Usage(5, 5), error_after=2)
    got = run_call(server, "ollama", WRITER.write(answer, "together"))
    assert isinstance(got.error, StreamError)
    assert ERROR_MESSAGE in str(got.error)
    assert [c[0] for c in got.tool_calls] == ["call_a", "call_b"]
