"""Token counts as Mirascope v1 reports them: Cohere's billed units as input and output tokens
(processed tokens kept alongside), ``cached_tokens`` ``0`` when usage comes without a cache
figure (``None`` only without usage), and usage that prints readably."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streamcall import llm
from streamcall.clients.anthropic import Anthropic
from streamcall.clients.cohere import ClientV2
from streamcall.clients.mistral import Mistral
from streamcall.clients.ollama import Ollama
from streamcall.clients.openai import OpenAI
from streamcall.core.anthropic import anthropic_call
from streamcall.core.base._accumulate import Usage
from streamcall.core.cohere import cohere_call
from streamcall.core.cohere._types import CohereTokenUsage
from streamcall.core.mistral import mistral_call
from streamcall.core.ollama import ollama_call
from streamcall.core.openai import openai_call
from tests.replay import ReplayServer, Reply


def sse(*payloads: dict[str, Any], events: bool = False, done: bool = False) -> bytes:
    out = []
    for payload in payloads:
        data = f"data: {json.dumps(payload)}\n\n"
        out.append(f"event: {payload['type']}\n{data}" if events else data)
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def chat_chunk(usage: dict[str, Any] | None, finish: str | None = "stop") -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": finish}
        ],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


PLAIN_USAGE = {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}
COHERE_USAGE = {
    "billed_units": {"input_tokens": 21, "output_tokens": 38},
    "tokens": {"input_tokens": 598, "output_tokens": 40},
    "cached_tokens": 512,
}


def cohere_body(usage: dict[str, Any] | None) -> bytes:
    end: dict[str, Any] = {"finish_reason": "COMPLETE"}
    if usage is not None:
        end["usage"] = usage
    return sse(
        {"type": "message-start", "id": "co1", "delta": {"message": {"role": "assistant"}}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text"}}}},
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hi"}}}},
        {"type": "content-end", "index": 0},
        {"type": "message-end", "delta": end},
        events=True,
    )


# -- Usage prints readably --------------------------------------------------------------------


def test_usage_repr_shows_what_was_reported() -> None:
    assert repr(Usage(input_tokens=12, cached_tokens=0, output_tokens=30)) == (
        "Usage(input_tokens=12, output_tokens=30, cached_tokens=0)"
    )
    assert str(Usage(12, 0, 30, 42)) == (
        "Usage(input_tokens=12, output_tokens=30, cached_tokens=0, total_tokens=42)"
    )
    assert repr(Usage(5, 2, 7, input_includes_cached=False)) == (
        "Usage(input_tokens=5, output_tokens=7, cached_tokens=2, input_includes_cached=False)"
    )
    assert repr(Usage()) == "Usage()"
    assert Usage(1, 0, 2) == Usage(1, 0, 2)  # still a dataclass underneath


def test_wire_usage_models_print_without_unset_fields() -> None:
    from streamcall.clients.cohere.models import BilledUnits, UsageTokens
    from streamcall.clients.cohere.models import Usage as CohereWire
    from streamcall.clients.mistral.models import UsageInfo
    from streamcall.clients.openai.models import CompletionUsage

    assert repr(UsageInfo(prompt_tokens=1, completion_tokens=2, total_tokens=3)) == (
        "UsageInfo(prompt_tokens=1, completion_tokens=2, total_tokens=3)"
    )
    assert repr(CompletionUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3)) == (
        "CompletionUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3)"
    )
    wire = CohereWire(
        billed_units=BilledUnits(input_tokens=3, output_tokens=1),
        tokens=UsageTokens(input_tokens=9, output_tokens=1),
    )
    assert repr(wire) == (
        "Usage(billed_units=BilledUnits(input_tokens=3, output_tokens=1), "
        "tokens=UsageTokens(input_tokens=9, output_tokens=1))"
    )


# -- Cohere: billed units first, processed tokens alongside -----------------------------------


def test_cohere_stream_reports_billed_units(server: ReplayServer) -> None:
    url = server.route(Reply(body=cohere_body(COHERE_USAGE)))

    @cohere_call("command-r-plus", stream=True, client=ClientV2(api_key="k", base_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    chunks = [chunk for chunk, _ in stream]
    assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == (21, 38, 512)
    usage = stream.common_usage
    assert isinstance(usage, CohereTokenUsage)
    assert (usage.processed_input_tokens, usage.processed_output_tokens) == (598, 40)
    assert (usage.billed_input_tokens, usage.billed_output_tokens) == (21, 38)
    assert usage.total_tokens == 59
    assert repr(usage) == (
        "CohereTokenUsage(input_tokens=21, output_tokens=38, cached_tokens=512, "
        "total_tokens=59, processed_input_tokens=598, processed_output_tokens=40, "
        "input_includes_cached=False)"
    )
    # The chunk that carried it says the same; the other chunks carry no usage.
    with_usage = [c for c in chunks if c.common_usage is not None]
    assert len(with_usage) == 1
    assert with_usage[0].common_usage == usage
    assert with_usage[0].input_tokens == 21
    # The response built from the stream keeps Cohere's usage object as it was sent.
    response = stream.construct_call_response()
    assert response.usage is not None
    assert response.usage.tokens is not None
    assert response.usage.tokens.input_tokens == 598
    assert response.common_usage == usage
    assert (response.input_tokens, response.output_tokens) == (21, 38)
    # Cost is on the billed units: $2.50 / $10 per million for command-r-plus.
    assert stream.cost == pytest.approx((21 * 2.5 + 38 * 10) / 1e6)


def test_cohere_whole_response_reports_billed_units(server: ReplayServer) -> None:
    body = {
        "id": "co1",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "Hi"}]},
        "usage": {k: v for k, v in COHERE_USAGE.items() if k != "cached_tokens"},
    }
    url = server.route(Reply(body=json.dumps(body).encode(), content_type="application/json"))

    @cohere_call("command-r-plus", client=ClientV2(api_key="k", base_url=url))
    def ask() -> str:
        return "hi"

    response = ask()
    assert (response.input_tokens, response.output_tokens) == (21, 38)
    assert response.cached_tokens == 0  # usage without a cache figure
    usage = response.common_usage
    assert isinstance(usage, CohereTokenUsage)
    assert (usage.processed_input_tokens, usage.processed_output_tokens) == (598, 40)


def test_cohere_without_billed_units_falls_back_to_processed(server: ReplayServer) -> None:
    usage = {"tokens": {"input_tokens": 9, "output_tokens": 4}}
    url = server.route(Reply(body=cohere_body(usage)))

    @cohere_call("command-r-plus", stream=True, client=ClientV2(api_key="k", base_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == (9, 4, 0)
    common = stream.common_usage
    assert common is not None
    assert common.input_includes_cached


def test_cohere_through_llm(server: ReplayServer) -> None:
    url = server.route(Reply(body=cohere_body(COHERE_USAGE)))

    @llm.call("cohere", "command-r-plus", stream=True, client=ClientV2(api_key="k", base_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    usage = stream.usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.cached_tokens) == (21, 38, 512)
    assert usage.processed_input_tokens == 598  # type: ignore[attr-defined]


def test_cohere_without_usage_is_none(server: ReplayServer) -> None:
    url = server.route(Reply(body=cohere_body(None)))

    @cohere_call("command-r-plus", stream=True, client=ClientV2(api_key="k", base_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    assert stream.common_usage is None
    assert (stream.input_tokens, stream.cached_tokens) == (None, None)
    assert stream.construct_call_response().usage is None


# -- cached_tokens: 0 with usage, None without -------------------------------------------------


def test_mistral_cached_zero_without_cache_figure(server: ReplayServer) -> None:
    url = server.route(Reply(body=sse(chat_chunk(PLAIN_USAGE), done=True)))

    @mistral_call("m", stream=True, client=Mistral(api_key="k", server_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == (12, 30, 0)
    assert repr(stream.common_usage) == (
        "Usage(input_tokens=12, output_tokens=30, cached_tokens=0, total_tokens=42)"
    )
    assert stream.construct_call_response().cached_tokens == 0


def test_mistral_cached_figure_kept(server: ReplayServer) -> None:
    usage = {**PLAIN_USAGE, "prompt_tokens_details": {"cached_tokens": 8}}
    url = server.route(Reply(body=sse(chat_chunk(usage), done=True)))

    @mistral_call("m", stream=True, client=Mistral(api_key="k", server_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    assert stream.cached_tokens == 8


def test_openai_cached_zero_and_none_without_usage(server: ReplayServer) -> None:
    with_usage = server.route(Reply(body=sse(chat_chunk(PLAIN_USAGE), done=True)))
    without = server.route(Reply(body=sse(chat_chunk(None), done=True)))
    for url, want in ((with_usage, (12, 30, 0)), (without, (None, None, None))):

        @openai_call("m", stream=True, client=OpenAI(api_key="k", base_url=url))
        def ask() -> str:
            return "hi"

        stream = ask()
        list(stream)
        assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == want
        if want[0] is None:
            assert stream.common_usage is None


def test_openai_whole_response_cached_zero(server: ReplayServer) -> None:
    body = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
        ],
        "usage": PLAIN_USAGE,
    }
    url = server.route(Reply(body=json.dumps(body).encode(), content_type="application/json"))

    @openai_call("m", client=OpenAI(api_key="k", base_url=url))
    def ask() -> str:
        return "hi"

    response = ask()
    assert (response.input_tokens, response.cached_tokens) == (12, 0)
    assert str(response.common_usage) == (
        "Usage(input_tokens=12, output_tokens=30, cached_tokens=0, total_tokens=42)"
    )


def test_responses_usage_without_details_has_zero_cached() -> None:
    from streamcall.clients.openai.responses_models import ResponseUsage
    from streamcall.core.openai.responses import _usage_report

    report = _usage_report(ResponseUsage(input_tokens=3, output_tokens=1, total_tokens=4))
    assert report.cached_tokens == 0


def test_ollama_cached_zero(server: ReplayServer) -> None:
    lines = [
        {"model": "m", "message": {"role": "assistant", "content": "Hi"}, "done": False},
        {
            "model": "m",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 12,
            "eval_count": 30,
        },
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    url = server.route(Reply(body=body, content_type="application/x-ndjson"))

    @ollama_call("m", stream=True, client=Ollama(base_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == (12, 30, 0)


def anthropic_body(start_usage: dict[str, Any], delta_usage: dict[str, Any]) -> bytes:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "usage": start_usage,
    }
    return sse(
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": delta_usage},
        {"type": "message_stop"},
        events=True,
    )


@pytest.mark.parametrize(
    ("start", "delta", "cached"),
    [
        ({"input_tokens": 12, "output_tokens": 1}, {"output_tokens": 30}, 0),
        (
            {"input_tokens": 12, "cache_read_input_tokens": 100, "output_tokens": 1},
            {"output_tokens": 30},  # a delta with output only leaves the cache figure alone
            100,
        ),
        (
            {"input_tokens": 12, "cache_read_input_tokens": 100, "output_tokens": 1},
            {"input_tokens": 12, "cache_read_input_tokens": 100, "output_tokens": 30},
            100,
        ),
    ],
    ids=["no-cache-figure", "delta-output-only", "delta-cumulative"],
)
def test_anthropic_cached(
    server: ReplayServer, start: dict[str, Any], delta: dict[str, Any], cached: int
) -> None:
    url = server.route(Reply(body=anthropic_body(start, delta)))

    @anthropic_call("claude-x", stream=True, client=Anthropic(api_key="k", base_url=url))
    def ask() -> str:
        return "hi"

    stream = ask()
    list(stream)
    assert (stream.input_tokens, stream.output_tokens, stream.cached_tokens) == (12, 30, cached)


def test_a_chunks_common_usage_keeps_the_providers_rules(server: ReplayServer) -> None:
    """Anthropic's input excludes cached tokens and Gemini's output excludes thoughts: a single
    chunk's neutral usage says so, as the stream's does (it used to drop those flags)."""
    from tests.wire_fixtures import fixtures

    body = next(f for f in fixtures("anthropic.") if f.name == "anthropic.text.sse").body
    url = server.route(Reply(body=body))

    @anthropic_call("claude-sonnet-4-5", stream=True, client=Anthropic(api_key="k", base_url=url))
    def ask() -> str:
        return "go"

    stream = ask()
    reports = [c.common_usage for c, _ in stream if c.common_usage is not None]
    assert reports
    assert all(u.input_includes_cached is False for u in reports)
    assert stream.common_usage is not None
    assert stream.common_usage.input_includes_cached is False
