"""Ollama ``/api/chat``: the exact NDJSON body the server sends for an :class:`Answer`.

Framing as in ``tests/fixtures/wire/ollama_chat.*``: one compact JSON object per line, ``\\n``
after each. Every line has ``model``, ``created_at``, ``message`` (``role``, ``content``, and
``thinking`` or ``tool_calls`` when it carries them) and ``done``; thinking and text arrive one
piece per line, tool calls whole with object ``arguments`` and ``function.index``; the last line
has ``done: true``, ``done_reason`` (``stop``, also after tool calls; ``length``), the durations
and the counts ``prompt_eval_count`` / ``eval_count``. The server is written in Go: its JSON
escapes ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\u`` sequences. An error after ``k`` content
events is a last line ``{"error": "..."}``.

Variants (none changes what a client must recover):

- ``together``: all tool calls in one line (as the recorded fixture);
- ``apart``: one line per tool call.

Answer extras: ``ids`` (whether the server sends tool-call ids: recent servers do, older ones
do not, and then streamcall derives a stable id), ``index`` (whether ``function.index`` is
sent: older servers send neither).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from streamcall.core.base._accumulate import stable_call_id
from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage, answers
from tests.conformance.harness import NDJSON, Expected, error_prefix

__all__ = ["OllamaWriter", "answer_from_fixture", "dumps", "write"]

PROVIDER = "ollama"
VARIANTS = ("together", "apart")
DONE_REASON = {"stop": "stop", "length": "length", "tool_calls": "stop"}
ERROR_MESSAGE = "model runner has unexpectedly stopped, this may be due to resource limitations"
_GO_ESCAPES = {c: f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def dumps(value: Any) -> str:
    """JSON as Go's ``encoding/json`` writes it (HTML characters and line separators escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _GO_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def _created_at(n: int) -> str:
    return f"2026-02-25T14:03:11.{482913164 + 10000 * n:09d}Z"


def tool_call_json(call: ToolCall, index: int, with_id: bool, with_index: bool) -> dict[str, Any]:
    """One tool call as the server sends it (older servers send neither id nor index)."""
    function = {"index": index, "name": call.name, "arguments": call.arguments}
    if not with_index:
        del function["index"]
    return {"id": call.id, "function": function} if with_id else {"function": function}


def write(answer: Answer, variant: str) -> bytes:
    """The body of ``POST /api/chat`` with ``stream: true`` that gives ``answer``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    lines: list[str] = []

    def line(message: dict[str, Any], **tail: Any) -> None:
        payload = {
            "model": answer.model,
            "created_at": _created_at(len(lines)),
            "message": {"role": "assistant", **message},
            "done": False,
            **tail,
        }
        lines.append(dumps(payload))

    budget = answer.error_after

    def spent() -> bool:
        return budget is not None and budget <= 0

    def error() -> bytes:
        lines.append(dumps({"error": ERROR_MESSAGE}))
        return "".join(f"{x}\n" for x in lines).encode()

    if spent():
        return error()
    for piece in answer.thinking:
        line({"content": "", "thinking": piece})
        if budget is not None:
            budget -= 1
            if spent():
                return error()
    for piece in answer.text:
        line({"content": piece})
        if budget is not None:
            budget -= 1
            if spent():
                return error()
    with_ids, with_index = answer.extra.get("ids", True), answer.extra.get("index", True)
    calls = [tool_call_json(c, i, with_ids, with_index) for i, c in enumerate(answer.tool_calls)]
    if variant == "together" and calls:
        if budget is not None and budget < len(calls):
            line({"content": "", "tool_calls": calls[:budget]})
            return error()
        line({"content": "", "tool_calls": calls})
        if budget is not None:
            budget -= len(calls)
    else:
        for call in calls:
            line({"content": "", "tool_calls": [call]})
            if budget is not None:
                budget -= 1
                if spent():
                    return error()
    if budget is not None:
        return error()  # every content event was sent: the error comes instead of the done line
    usage = answer.usage or Usage(0, 0)
    line(
        {"content": ""},
        done=True,
        done_reason=DONE_REASON[answer.finish],
        total_duration=1183250417,
        load_duration=41902167,
        prompt_eval_count=usage.input_tokens,
        prompt_eval_duration=96511000,
        eval_count=usage.output_tokens,
        eval_duration=1021634000,
    )
    return "".join(f"{x}\n" for x in lines).encode()


def answer_from_fixture(expected: dict[str, Any]) -> Answer:
    """The answer a recorded fixture's ``.expected.json`` describes (text in one piece)."""
    usage = expected["usage"]
    return Answer(
        text=(expected["text"],) if expected["text"] else (),
        thinking=(expected["reasoning_text"],) if expected["reasoning_text"] else (),
        tool_calls=tuple(
            ToolCall(c["id"], c["name"], c["arguments"]) for c in expected["tool_calls"]
        ),
        usage=Usage(usage["input_tokens"], usage["output_tokens"]),
        finish="tool_calls"
        if expected["tool_calls"]
        else ("length" if expected["finish_reason"] == "length" else "stop"),
        id="",
        model=expected["model"],
        extra={"ids": True},
    )


def call_id(answer: Answer, call: ToolCall) -> str:
    """The id streamcall must give a call: the server's, or one derived from the model, the
    name and the arguments when the server sends none."""
    if answer.extra.get("ids", True):
        return call.id
    return stable_call_id(answer.model, call.name, call.arguments)


class OllamaWriter:
    """Writes Ollama ``/api/chat`` NDJSON bodies (see the module docstring)."""

    provider = PROVIDER
    variants = VARIANTS
    content_type = NDJSON
    errors = True

    def strategy(self) -> st.SearchStrategy[Answer]:
        """Any answer Ollama can give: counts always on the done line, no cached or reasoning
        counts; tool-call ids (and indexes) sent or not."""
        return st.builds(
            _with_extras,
            answers(cached=False, reasoning_tokens=False),
            st.booleans(),
            st.booleans(),
            st.builds(Usage, st.integers(0, 9000), st.integers(0, 9000)),
        )

    def write(self, answer: Answer, variant: str) -> bytes:
        return write(answer, variant)

    def expected(self, answer: Answer, variant: str) -> Expected:
        text, thinking, calls = error_prefix(answer)
        tools = tuple((call_id(answer, c), c.name, c.arguments) for c in calls)
        if answer.error_after is not None:
            return Expected(
                text=text,
                thinking=thinking,
                tool_calls=tools,
                finish_reasons=None,
                reasoning_tokens=None,
                error=StreamError,
                error_match=ERROR_MESSAGE,
                ids_in_messages=False,
                cost=None,
            )
        usage = answer.usage or Usage(0, 0)
        return Expected(
            text=text,
            thinking=thinking,
            tool_calls=tools,
            finish_reasons=[DONE_REASON[answer.finish]],
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_tokens=0,  # Ollama reports no cache figure: 0, as Mirascope v1 reports it
            reasoning_tokens=None,
            ids_in_messages=False,  # its messages name tools, they carry no ids
            cost=None,  # a model served by Ollama has no price
        )

    def check_extra(self, recovered: Any, expected: Expected, answer: Answer, variant: str) -> None:
        """The model; the assistant message (content, thinking, calls with object arguments);
        one tool message per result, naming its tool."""
        if answer.error_after != 0:  # else no line named the model: the one asked for stays
            assert recovered.model == answer.model, (recovered.model, answer.model)
        want: dict[str, Any] = {"role": "assistant", "content": expected.text}
        if expected.thinking:
            want["thinking"] = expected.thinking
        if expected.tool_calls:
            want["tool_calls"] = [
                {"function": {"name": n, "arguments": a}} for _, n, a in expected.tool_calls
            ]
        assert recovered.message_param == want, (recovered.message_param, want)
        assert recovered.tool_message_params == [
            {"role": "tool", "content": f"output {i}", "tool_name": name}
            for i, (_, name, _) in enumerate(expected.tool_calls)
        ]


def _with_extras(answer: Answer, ids: bool, index: bool, fallback: Usage) -> Answer:
    usage = answer.usage if answer.usage is not None else fallback
    return replace(answer, usage=usage, extra={"ids": ids, "index": index or ids})
