"""Anthropic Messages: the exact SSE body the server sends for an :class:`Answer`.

Framing as in ``tests/fixtures/wire/anthropic.*``: ``event: X`` + ``data: {...}`` blocks, compact
JSON with non-ASCII kept as UTF-8, ``ping`` events written ``{"type": "ping"}`` (with a space, as
the server does). The order is ``message_start`` (usage with ``input_tokens`` excluding cache
reads, ``cache_read_input_tokens``, a placeholder ``output_tokens``), a thinking block
(``thinking_delta`` pieces, an empty ``thinking_delta``, one ``signature_delta``), a text block,
one ``tool_use`` block per call (``input: {}`` placeholder, a leading empty ``partial_json``,
then the spaced argument JSON cut at arbitrary characters), ``message_delta`` (stop reason and
cumulative usage) and ``message_stop``. An error after ``k`` content events is
``event: error`` with ``overloaded_error`` and nothing after it.

Variants (none changes what a client must recover):

- ``plain``: no ``ping`` events;
- ``pings``: ``ping`` events at arbitrary places (after ``message_start``, between deltas,
  between blocks);
- ``escaped``: every non-ASCII character written as a ``\\uXXXX`` escape (surrogate pairs for
  emoji), in the payloads and inside the streamed argument JSON, whose cuts may then fall inside
  an escape sequence.

Answer extras: ``seed`` (where arguments are cut and pings go), ``empty_args`` (``"{}"``
streamed for a call without arguments, or only the leading empty fragment, as the server does).
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage, answers
from tests.conformance.harness import Expected, error_prefix, list_cost

__all__ = ["AnthropicWriter", "answer_from_fixture", "arguments_text", "write"]

PROVIDER = "anthropic"
VARIANTS = ("plain", "pings", "escaped")
STOP_REASON = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
FINISH_OF = {v: k for k, v in STOP_REASON.items()}
ERROR_PAYLOAD = {
    "type": "error",
    "error": {"details": None, "type": "overloaded_error", "message": "Overloaded"},
    "request_id": "req_011CkXttUDK8cN9sri3STUJY",
}
PING = b'event: ping\ndata: {"type": "ping"}\n\n'
PRICED = {"claude-sonnet-4-5-20250929": ("anthropic", "claude-sonnet-4-5")}
"""Models the answers report: one with a list price (cost checked), one without (None)."""


def cut(text: str, rng: random.Random, max_cuts: int = 6) -> list[str]:
    """``text`` cut at arbitrary character positions into non-empty pieces (at least one)."""
    if len(text) < 2:
        return [text]
    count = rng.randint(0, min(max_cuts, len(text) - 1))
    points = sorted(rng.sample(range(1, len(text)), count))
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


class _Out:
    def __init__(self, escaped: bool) -> None:
        self.escaped = escaped
        self.parts: list[bytes] = []

    def event(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=self.escaped, separators=(",", ":"))
        self.parts.append(f"event: {payload['type']}\ndata: {data}\n\n".encode())

    def ping(self) -> None:
        self.parts.append(PING)


def _usage_fields(usage: Usage) -> tuple[int, int]:
    """(input_tokens, cache_read_input_tokens): Anthropic's input excludes cache reads."""
    return usage.input_tokens - usage.cached_tokens, usage.cached_tokens


def arguments_text(arguments: dict[str, Any], *, escaped: bool) -> str:
    """The argument JSON as Anthropic streams it (``", "`` and ``": "`` separators)."""
    return json.dumps(arguments, ensure_ascii=escaped, separators=(", ", ": "))


def write(answer: Answer, variant: str) -> bytes:
    """The body of ``POST /v1/messages`` with ``stream: true`` that gives ``answer``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    rng = random.Random(answer.extra.get("seed", 0))
    pings = variant == "pings"
    out = _Out(escaped=variant == "escaped")
    usage = answer.usage or Usage(0, 0)
    input_tokens, cache_read = _usage_fields(usage)

    def maybe_ping() -> None:
        if pings and rng.random() < 0.25:
            out.ping()

    out.event(
        {
            "type": "message_start",
            "message": {
                "model": answer.model,
                "id": answer.id,
                "type": "message",
                "role": "assistant",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": input_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": cache_read,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 0,
                        "ephemeral_1h_input_tokens": 0,
                    },
                    "output_tokens": 1,
                    "service_tier": "standard",
                    "inference_geo": "not_available",
                },
            },
        }
    )
    budget = answer.error_after  # content events left before the error (None: no error)

    def spent() -> bool:
        return budget is not None and budget <= 0

    def error() -> bytes:
        out.event(ERROR_PAYLOAD)
        return b"".join(out.parts)

    maybe_ping()
    if spent():
        return error()
    index = 0
    if answer.thinking:
        out.event(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            }
        )
        maybe_ping()
        for piece in answer.thinking:
            out.event(_delta(index, {"type": "thinking_delta", "thinking": piece}))
            maybe_ping()
            if budget is not None:
                budget -= 1
                if spent():
                    return error()
        out.event(_delta(index, {"type": "thinking_delta", "thinking": ""}))
        out.event(_delta(index, {"type": "signature_delta", "signature": answer.signature or ""}))
        out.event({"type": "content_block_stop", "index": index})
        maybe_ping()
        index += 1
    if answer.text:
        out.event(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
        )
        maybe_ping()
        for piece in answer.text:
            out.event(_delta(index, {"type": "text_delta", "text": piece}))
            maybe_ping()
            if budget is not None:
                budget -= 1
                if spent():
                    return error()
        out.event({"type": "content_block_stop", "index": index})
        maybe_ping()
        index += 1
    for call in answer.tool_calls:
        out.event(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {
                    "type": "tool_use",
                    "id": call.id,
                    "name": call.name,
                    "input": {},
                },
            }
        )
        out.event(_delta(index, {"type": "input_json_delta", "partial_json": ""}))
        maybe_ping()
        text = arguments_text(call.arguments, escaped=out.escaped)
        if call.arguments or answer.extra.get("empty_args", True):
            for piece in cut(text, rng, max_cuts=8):
                out.event(_delta(index, {"type": "input_json_delta", "partial_json": piece}))
                maybe_ping()
        out.event({"type": "content_block_stop", "index": index})
        maybe_ping()
        index += 1
        if budget is not None:
            budget -= 1
            if spent():
                return error()
    out.event(
        {
            "type": "message_delta",
            "delta": {"stop_reason": STOP_REASON[answer.finish], "stop_sequence": None},
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": cache_read,
                "output_tokens": usage.output_tokens,
            },
        }
    )
    out.event({"type": "message_stop"})
    return b"".join(out.parts)


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def answer_from_fixture(expected: dict[str, Any]) -> Answer:
    """The answer a recorded fixture's ``.expected.json`` describes (its text in one piece)."""
    usage = expected["usage"]
    cached = usage["cached_tokens"] or 0
    error = expected["error"]
    text = (expected["text"],) if expected["text"] else ()
    thinking = (expected["reasoning_text"],) if expected["reasoning_text"] else ()
    return Answer(
        text=text,
        thinking=thinking,
        signature=expected.get("reasoning_signature"),
        tool_calls=tuple(
            ToolCall(c["id"], c["name"], c["arguments"]) for c in expected["tool_calls"]
        ),
        usage=Usage(usage["input_tokens"] + cached, usage["output_tokens"] or 0, cached),
        finish=FINISH_OF.get(expected["finish_reason"], "stop"),
        error_after=len(text) + len(thinking) if error else None,
        id=expected["response_id"],
        model=expected["model"],
        extra={"seed": 0, "empty_args": True},
    )


class AnthropicWriter:
    """Writes Anthropic Messages stream bodies (see the module docstring)."""

    provider = PROVIDER
    variants = VARIANTS
    content_type = "text/event-stream"
    errors = True

    def strategy(self) -> st.SearchStrategy[Answer]:
        """Any answer Anthropic can give: thinking always signed, usage always reported (no
        reasoning count: ``output_tokens`` include thinking and are not broken down)."""
        return st.builds(
            _with_extras,
            answers(signature=True, reasoning_tokens=False),
            st.integers(0, 2**32 - 1),
            st.booleans(),
            st.builds(
                lambda i, o, c: Usage(i + c, o, c),
                st.integers(0, 9000),
                st.integers(0, 9000),
                st.integers(0, 900),
            ),
            st.sampled_from([*PRICED, "test-model-1"]),
        )

    def write(self, answer: Answer, variant: str) -> bytes:
        return write(answer, variant)

    def expected(self, answer: Answer, variant: str) -> Expected:
        text, thinking, calls = error_prefix(answer)
        usage = answer.usage or Usage(0, 0)
        input_tokens, cached = _usage_fields(usage)
        tools = tuple((c.id, c.name, c.arguments) for c in calls)
        if answer.error_after is not None:
            # Only message_start's usage arrived: its output_tokens is a placeholder.
            return Expected(
                text=text,
                thinking=thinking,
                tool_calls=tools,
                finish_reasons=None,
                input_tokens=input_tokens,
                output_tokens=None,
                cached_tokens=cached,
                reasoning_tokens=None,
                error=StreamError,
                error_match="Overloaded",
                cost=None,
            )
        cost = None
        if answer.model in PRICED:
            table, entry = PRICED[answer.model]
            cost = list_cost(table, entry, usage.input_tokens, usage.output_tokens, cached)
        return Expected(
            text=text,
            thinking=thinking,
            tool_calls=tools,
            finish_reasons=[STOP_REASON[answer.finish]],
            input_tokens=input_tokens,
            output_tokens=usage.output_tokens,
            cached_tokens=cached,
            reasoning_tokens=None,
            cost=cost,
        )

    def check_extra(self, recovered: Any, expected: Expected, answer: Answer, variant: str) -> None:
        """The id and model; the assistant message with its blocks in order (thinking with
        its signature, text, tool uses with parsed input); one tool_result message."""
        assert recovered.id == answer.id, (recovered.id, answer.id)
        assert recovered.model == answer.model, (recovered.model, answer.model)
        blocks: list[dict[str, Any]] = []
        if expected.thinking:
            complete = answer.error_after is None or answer.error_after > len(answer.thinking)
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": expected.thinking,
                    "signature": (answer.signature or "") if complete else "",
                }
            )
        if expected.text:
            blocks.append({"type": "text", "text": expected.text})
        blocks += [
            {"type": "tool_use", "id": i, "name": n, "input": a} for i, n, a in expected.tool_calls
        ]
        want = {"role": "assistant", "content": blocks}
        assert recovered.message_param == want, (recovered.message_param, want)
        results = [
            {"type": "tool_result", "tool_use_id": call_id, "content": f"output {i}"}
            for i, (call_id, _, _) in enumerate(expected.tool_calls)
        ]
        want_results = [{"role": "user", "content": results}] if results else []
        assert recovered.tool_message_params == want_results, recovered.tool_message_params


def _with_extras(
    answer: Answer, seed: int, empty_args: bool, fallback: Usage, model: str
) -> Answer:
    usage = answer.usage if answer.usage is not None else fallback
    extra = {"seed": seed, "empty_args": empty_args}
    return replace(answer, usage=usage, model=model, extra=extra)
