"""Cohere v2 chat: the exact SSE body the server sends for an :class:`Answer`.

Framing as in ``tests/fixtures/wire/cohere_v2.*``: ``event: X`` + ``data: {...}`` blocks where
``X`` is the JSON ``type``, compact JSON with non-ASCII as UTF-8, no ``[DONE]``. Order:
``message-start`` (the response id), a thinking content block (``content-start`` with
``{"type": "thinking", "thinking": ""}``, ``content-delta`` pieces in
``delta.message.content.thinking``, ``content-end``), a text content block, the tool plan
(``tool-plan-delta`` pieces, from the answer's extra ``tool_plan``), then per tool call
``tool-call-start`` (id, name, ``arguments: ""``), ``tool-call-delta`` argument fragments (spaced
JSON cut at arbitrary characters) and ``tool-call-end``, all with the call's ``index``, and
``message-end`` with ``finish_reason`` (``COMPLETE`` / ``MAX_TOKENS`` / ``TOOL_CALL``) and usage
(``billed_units``, ``tokens``, ``cached_tokens``). Cohere streams carry no model name.

An error after ``k`` content events is what the codec documents: a ``message-end`` with
``finish_reason: "ERROR"`` and an ``error`` message, no usage.

Variants (none changes what a client must recover):

- ``plain``;
- ``tokens``: argument fragments cut the way the server tokenizes them (quotes, keys and
  values in separate fragments, as in the recorded fixture), text cut into words.

Answer extras: ``seed`` (argument cuts), ``tool_plan`` (pieces of the plan, only with calls),
``billed`` (billed input/output units).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage, answers, pieces
from tests.conformance.harness import Expected, error_prefix, list_cost

__all__ = ["CohereWriter", "answer_from_fixture", "arguments_text", "write"]

PROVIDER = "cohere"
VARIANTS = ("plain", "tokens")
FINISH_REASON = {"stop": "COMPLETE", "length": "MAX_TOKENS", "tool_calls": "TOOL_CALL"}
FINISH_OF = {v: k for k, v in FINISH_REASON.items()}
ERROR_MESSAGE = "internal server error, this has been reported to our developers"
PRICE = ("cohere", "command-r-plus")
"""Cohere streams name no model: the price is the one of the model asked for (the harness's)."""


def cut(text: str, rng: random.Random, max_cuts: int = 8) -> list[str]:
    """``text`` cut at arbitrary character positions into non-empty pieces (at least one)."""
    if len(text) < 2:
        return [text]
    count = rng.randint(0, min(max_cuts, len(text) - 1))
    points = sorted(rng.sample(range(1, len(text)), count))
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


_TOKEN = re.compile(r'\{"|":|"\}|",|\s"|"|[^"\s{}:,]+|.', re.DOTALL)


def token_cut(text: str) -> list[str]:
    """Argument JSON cut as Cohere's server streams it (see ``cohere_v2.tools.sse``)."""
    return [m.group(0) for m in _TOKEN.finditer(text)] or [text]


def arguments_text(arguments: dict[str, Any]) -> str:
    """The argument JSON as Cohere streams it (``", "`` and ``": "`` separators)."""
    return json.dumps(arguments, ensure_ascii=False, separators=(", ", ": "))


def _event(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"event: {payload['type']}\ndata: {data}\n\n".encode()


def _content(index: int, content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content-delta", "index": index, "delta": {"message": {"content": content}}}


def write(answer: Answer, variant: str) -> bytes:
    """The body of ``POST /v2/chat`` with ``stream: true`` that gives ``answer``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    rng = random.Random(answer.extra.get("seed", 0))
    out = [
        _event(
            {
                "id": answer.id,
                "type": "message-start",
                "delta": {
                    "message": {
                        "role": "assistant",
                        "content": [],
                        "tool_plan": "",
                        "tool_calls": [],
                        "citations": [],
                    }
                },
            }
        )
    ]
    budget = answer.error_after

    def spent() -> bool:
        return budget is not None and budget <= 0

    def error() -> bytes:
        end = {"type": "message-end", "delta": {"error": ERROR_MESSAGE, "finish_reason": "ERROR"}}
        out.append(_event(end))
        return b"".join(out)

    if spent():
        return error()
    index = 0
    for kind, stream in (("thinking", answer.thinking), ("text", answer.text)):
        if not stream:
            continue
        start = {"type": "content-start", "index": index}
        start["delta"] = {"message": {"content": {"type": kind, kind: ""}}}
        out.append(_event(start))
        for piece in stream:
            out.append(_event(_content(index, {kind: piece})))
            if budget is not None:
                budget -= 1
                if spent():
                    return error()
        out.append(_event({"type": "content-end", "index": index}))
        index += 1
    for piece in answer.extra.get("tool_plan", ()):
        plan = {"type": "tool-plan-delta", "delta": {"message": {"tool_plan": piece}}}
        out.append(_event(plan))
    for i, call in enumerate(answer.tool_calls):
        function = {"name": call.name, "arguments": ""}
        started = {"id": call.id, "type": "function", "function": function}
        out.append(
            _event(
                {
                    "type": "tool-call-start",
                    "index": i,
                    "delta": {"message": {"tool_calls": started}},
                }
            )
        )
        text = arguments_text(call.arguments)
        fragments = token_cut(text) if variant == "tokens" else cut(text, rng)
        for fragment in fragments:
            args = {"function": {"arguments": fragment}}
            delta = {"message": {"tool_calls": args}}
            out.append(_event({"type": "tool-call-delta", "index": i, "delta": delta}))
        out.append(_event({"type": "tool-call-end", "index": i}))
        if budget is not None:
            budget -= 1
            if spent():
                return error()
    usage = answer.usage or Usage(0, 0)
    billed_in, billed_out = answer.extra.get("billed", (0, 0))
    out.append(
        _event(
            {
                "type": "message-end",
                "delta": {
                    "finish_reason": FINISH_REASON[answer.finish],
                    "usage": {
                        "billed_units": {"input_tokens": billed_in, "output_tokens": billed_out},
                        "tokens": {
                            "input_tokens": usage.input_tokens,
                            "output_tokens": usage.output_tokens,
                        },
                        "cached_tokens": usage.cached_tokens,
                    },
                },
            }
        )
    )
    return b"".join(out)


def answer_from_fixture(expected: dict[str, Any]) -> Answer:
    """The answer a recorded fixture's ``.expected.json`` describes (text in one piece)."""
    usage = expected["usage"]
    return Answer(
        text=(expected["text"],) if expected["text"] else (),
        thinking=(expected["reasoning_text"],) if expected["reasoning_text"] else (),
        tool_calls=tuple(
            ToolCall(c["id"], c["name"], c["arguments"]) for c in expected["tool_calls"]
        ),
        usage=Usage(usage["input_tokens"], usage["output_tokens"], usage["cached_tokens"] or 0),
        finish=FINISH_OF[expected["finish_reason"]],
        id=expected["response_id"],
        model="command-a-03-2025",
        extra={
            "seed": 0,
            "tool_plan": (expected["tool_plan"],) if expected.get("tool_plan") else (),
            "billed": (usage["billed_input_tokens"], usage["billed_output_tokens"]),
        },
    )


def plan_sent(answer: Answer) -> str | None:
    """The tool plan a client receives before any error (``None``: none)."""
    plan = "".join(answer.extra.get("tool_plan", ()))
    content = len(answer.thinking) + len(answer.text)
    if answer.error_after is not None and answer.error_after <= content:
        return None
    return plan or None


class CohereWriter:
    """Writes Cohere v2 chat stream bodies (see the module docstring)."""

    provider = PROVIDER
    variants = VARIANTS
    content_type = "text/event-stream"
    errors = True

    def strategy(self) -> st.SearchStrategy[Answer]:
        """Any answer Cohere can give: usage always reported, with cached tokens, no reasoning
        count (Cohere does not break output tokens down); a tool plan may precede tool calls;
        billed units of their own."""
        return st.builds(
            _with_extras,
            answers(reasoning_tokens=False),
            st.integers(0, 2**32 - 1),
            pieces,
            st.tuples(st.integers(0, 5000), st.integers(0, 5000)),
            st.builds(
                lambda i, o, c: Usage(i + c, o, c),
                st.integers(0, 9000),
                st.integers(0, 9000),
                st.integers(0, 900),
            ),
        )

    def write(self, answer: Answer, variant: str) -> bytes:
        return write(answer, variant)

    def expected(self, answer: Answer, variant: str) -> Expected:
        text, thinking, calls = error_prefix(answer)
        tools = tuple((c.id, c.name, c.arguments) for c in calls)
        if answer.error_after is not None:
            return Expected(
                text=text,
                thinking=thinking,
                tool_calls=tools,
                finish_reasons=["ERROR"],
                reasoning_tokens=None,
                error=StreamError,
                error_match=ERROR_MESSAGE,
                cost=None,
            )
        usage = answer.usage or Usage(0, 0)
        billed_in, billed_out = answer.extra.get("billed", (0, 0))
        return Expected(
            text=text,
            thinking=thinking,
            tool_calls=tools,
            finish_reasons=[FINISH_REASON[answer.finish]],
            # Input and output tokens are the billed units, as Mirascope v1 reports them (and
            # as Cohere charges); the processed `tokens` are checked in check_extra.
            input_tokens=billed_in,
            output_tokens=billed_out,
            cached_tokens=usage.cached_tokens,
            reasoning_tokens=None,
            cost=list_cost(*PRICE, billed_in, billed_out),  # billed units are what is charged
        )

    def check_extra(self, recovered: Any, expected: Expected, answer: Answer, variant: str) -> None:
        """The id; billed units; the exact argument JSON; the tool plan; the assistant message
        (text, plan, calls with their JSON) and one tool message per result."""
        from streamcall.clients.cohere.models import (
            AssistantChatMessageV2,
            FunctionCall,
            ToolCallV2,
            ToolChatMessageV2,
        )

        assert recovered.id == answer.id, (recovered.id, answer.id)
        if expected.has_usage:
            billed = answer.extra.get("billed", (0, 0))
            usage = recovered.common_usage
            assert (usage.billed_input_tokens, usage.billed_output_tokens) == billed
            processed = (usage.processed_input_tokens, usage.processed_output_tokens)
            want_processed = (answer.usage.input_tokens, answer.usage.output_tokens)
            assert processed == want_processed, (processed, want_processed)
        texts = [arguments_text(a) for _, _, a in expected.tool_calls]
        assert recovered.tool_calls_json == texts, recovered.tool_calls_json
        plan = plan_sent(answer)
        assert recovered.stream.tool_plan == (plan or "")
        want = AssistantChatMessageV2(
            content=expected.text or None,
            tool_plan=plan,
            tool_calls=[
                ToolCallV2(type="function", id=i, function=FunctionCall(name=n, arguments=t))
                for (i, n, _), t in zip(expected.tool_calls, texts, strict=True)
            ]
            or None,
        )
        assert recovered.message_param == want, (recovered.message_param, want)
        assert recovered.tool_message_params == [
            ToolChatMessageV2(tool_call_id=call_id, content=f"output {i}")
            for i, (call_id, _, _) in enumerate(expected.tool_calls)
        ]


def _with_extras(
    answer: Answer, seed: int, plan: tuple[str, ...], billed: tuple[int, int], fallback: Usage
) -> Answer:
    usage = answer.usage if answer.usage is not None else fallback
    extra = {"seed": seed, "tool_plan": plan if answer.tool_calls else (), "billed": billed}
    return replace(answer, usage=usage, extra=extra)
