"""Conformance: Azure OpenAI chat bodies -> azure_call (the OpenAI Chat writer, Azure's shapes).

Azure streams OpenAI Chat Completions with its own additions: a first chunk with
``choices: []``, empty ``id``/``model`` and ``prompt_filter_results``; ``content_filter_results``
on every choice; and, with the Asynchronous Filter on, annotation chunks whose choice has no
``delta`` (``content_filter_offsets`` instead), which may arrive after the finish chunk.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.conformance.answer import Answer
from tests.conformance.harness import (
    check,
    run_and_check,
    run_call,
)
from tests.conformance.writers.openai_chat import OpenAIChatWriter, answer_from_fixture
from tests.replay import Chunking, ReplayServer
from tests.wire_fixtures import WireFixture, fixtures

WRITER = OpenAIChatWriter("azure", ("official", "azure", "azure_async_filter"))

# Regression (found by this property): an Asynchronous Filter annotation chunk (a choice with
# no "delta") failed the whole stream with StreamDecodeError ("Object missing required field
# `delta`") after the text before it had arrived. These are the smallest cases, pinned as
# explicit examples of the properties (test_conformance_all.py runs them for every provider of
# the azure wire).
ASYNC_FILTER_TEXT = Answer(text=("Hi",))
ASYNC_FILTER_ERROR = Answer(text=("Hi",), error_after=1)


def test_asynchronous_filter_annotations(server: ReplayServer) -> None:
    """The Azure regression above, as a plain test: one text chunk, annotations after it and
    after the finish chunk; the stream must end normally with the text and the finish reason."""
    run_and_check(server, WRITER, ASYNC_FILTER_TEXT, "azure_async_filter", Chunking.whole())


def test_requests_reach_the_deployment(server: ReplayServer) -> None:
    recovered = run_and_check(
        server, WRITER, Answer(text=("Hello", " there")), "azure", Chunking.random(1, 5)
    )
    (request,) = recovered.requests
    path, _, query = request.path.partition("?")
    assert path == "/openai/deployments/my-deployment/chat/completions"
    assert query.startswith("api-version=")
    assert request.headers["api-key"] == "test-key"
    assert "authorization" not in request.headers
    sent = request.json()
    assert isinstance(sent, dict)
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert [t["function"]["name"] for t in sent["tools"]] == [
        "get_weather",
        "list_files",
        "format_book",
        "tag_items",
    ]


@pytest.mark.parametrize("fixture", fixtures("openai_chat."), ids=lambda f: f.name)
def test_azure_shape_of_each_openai_fixture(server: ReplayServer, fixture: WireFixture) -> None:
    """Each OpenAI Chat fixture's answer, written in Azure's shape, gives azure_call what the
    fixture itself gives it."""
    answer = answer_from_fixture(fixture.expected)
    if fixture.expected["error"] is not None:
        answer = dataclasses.replace(answer, error_after=len(answer.text))
    chunking = Chunking.random(seed=len(fixture.body), max_size=11)
    from_fixture = run_call(server, "azure", fixture.body, chunking)
    from_writer = run_call(server, "azure", WRITER.write(answer, "azure"), chunking)
    for name in ("text", "thinking", "yielded_tools", "tool_calls", "finish_reasons"):
        assert getattr(from_writer, name) == getattr(from_fixture, name), name
    for name in ("input_tokens", "output_tokens", "cached_tokens", "id", "model", "cost"):
        assert getattr(from_writer, name) == getattr(from_fixture, name), name
    assert type(from_writer.error) is type(from_fixture.error)
    if fixture.expected["error"] is None:
        check(from_writer, WRITER.expected(answer, "azure"))
