"""OpenAI Responses API: the exact SSE body the server sends for an :class:`Answer`.

Framing as in ``tests/fixtures/wire/openai_responses.*``: ``event: X`` + ``data: {...}`` where
``X`` is the JSON ``type``, compact JSON with non-ASCII as UTF-8, a ``sequence_number`` on every
event counting from 0. Order: ``response.created``, ``response.in_progress``; a reasoning item
(``output_item.added``, ``reasoning_summary_part.added``, ``reasoning_summary_text.delta``
pieces, ``..._text.done``, ``..._part.done``, ``output_item.done``); a message item
(``output_item.added``, ``content_part.added``, ``output_text.delta`` pieces,
``output_text.done``, ``content_part.done``, ``output_item.done``); one ``function_call`` item
per call (``output_item.added`` with ``call_id`` and name, ``function_call_arguments.delta``
fragments of the compact argument JSON, ``..._arguments.done``, ``output_item.done``); then
``response.completed`` (or ``response.incomplete`` with ``incomplete_details`` for a length
stop) carrying the whole output and the usage (cached and reasoning tokens).

An error after ``k`` content events is ``event: error`` (its details nested under ``error``, as
captured, or at the top level, as the spec says: answer extra ``nested_error``) and then
``response.failed``, whose ``output`` holds the items so far (answer extra ``failed_output``;
without it the output is empty).

Variants (none changes what a client must recover):

- ``items``: every item streams its events;
- ``bridge_calls``: function calls arrive only inside the terminal response's ``output``, with
  no item events (as LiteLLM's ``/v1/responses`` bridge sends them); text and reasoning stream;
- ``bridge_all``: nothing streams: text, reasoning and calls are only in the terminal
  ``output``.

A bridge variant of an answer that ends in an error is written as ``items``.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage, answers
from tests.conformance.harness import Expected, error_prefix, list_cost

__all__ = ["OpenAIResponsesWriter", "answer_from_fixture", "arguments_text", "write"]

PROVIDER = "openai-responses"
VARIANTS = ("items", "bridge_calls", "bridge_all")
STATUS = {"stop": "completed", "tool_calls": "completed", "length": "incomplete"}
ERROR = {
    "type": "server_error",
    "code": "server_error",
    "message": "The server had an error while processing your request. Sorry about that!",
    "param": None,
}
CREATED_AT = 1772034807
PRICED = {
    "gpt-4.1-mini-2025-04-14": ("openai", "gpt-4.1-mini"),
    "gpt-5-mini-2025-08-07": ("openai", "gpt-5-mini"),
    "gpt-5-nano-2025-08-07": ("openai", "gpt-5-nano"),
}
"""Models with a list price (cost checked); the answers also report one without (cost None)."""


def cut(text: str, rng: random.Random, max_cuts: int = 8) -> list[str]:
    """``text`` cut at arbitrary character positions into non-empty pieces (at least one)."""
    if len(text) < 2:
        return [text]
    count = rng.randint(0, min(max_cuts, len(text) - 1))
    points = sorted(rng.sample(range(1, len(text)), count))
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


def arguments_text(arguments: dict[str, Any]) -> str:
    """The argument JSON as the Responses API streams it (compact)."""
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))


def _item_id(prefix: str, answer: Answer, n: int) -> str:
    digest = hashlib.sha256(f"{answer.id}:{prefix}:{n}".encode()).hexdigest()
    return f"{prefix}_{digest[:50]}"


def response_object(
    answer: Answer, status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None
) -> dict[str, Any]:
    """A ``response`` object as the terminal (and first) events carry it."""
    return {
        "id": answer.id,
        "object": "response",
        "created_at": CREATED_AT,
        "status": status,
        "background": False,
        "completed_at": CREATED_AT + 2 if status == "completed" else None,
        "error": None,
        "frequency_penalty": 0,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": answer.model,
        "output": output,
        "parallel_tool_calls": True,
        "presence_penalty": 0,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "prompt_cache_retention": None,
        "reasoning": {"effort": None, "summary": None},
        "safety_identifier": None,
        "service_tier": "default" if status != "in_progress" else "auto",
        "store": True,
        "temperature": 1,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def usage_object(usage: Usage | None) -> dict[str, Any] | None:
    """The Responses API usage object (input includes cached, output includes reasoning)."""
    if usage is None:
        return None
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


class _Out:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts: list[bytes] = []
        self.sequence = 0

    def event(self, payload: dict[str, Any]) -> None:
        payload["sequence_number"] = self.sequence
        self.sequence += 1
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        self.parts.append(f"event: {payload['type']}\ndata: {data}\n\n".encode())

    def obfuscation(self, delta: str) -> str:
        size = max(16 - len(delta), 2)
        return "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(size))


def write(answer: Answer, variant: str) -> bytes:
    """The body of ``POST /v1/responses`` with ``stream: true`` that gives ``answer``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    if answer.error_after is not None:
        variant = "items"
    rng = random.Random(answer.extra.get("seed", 0))
    out = _Out(rng)
    out.event(
        {"type": "response.created", "response": response_object(answer, "in_progress", [], None)}
    )
    out.event(
        {
            "type": "response.in_progress",
            "response": response_object(answer, "in_progress", [], None),
        }
    )
    status = STATUS[answer.finish]
    output: list[dict[str, Any]] = []  # the finished items, for the terminal response
    budget = answer.error_after

    def spent() -> bool:
        return budget is not None and budget <= 0

    def fail(partial: dict[str, Any] | None) -> bytes:
        if answer.extra.get("nested_error", True):
            out.event({"type": "error", "error": dict(ERROR)})
        else:
            out.event({"type": "error", **ERROR})
        so_far = [*output, *([partial] if partial is not None else [])]
        failed = response_object(
            answer, "failed", so_far if answer.extra.get("failed_output", True) else [], None
        )
        failed["error"] = {"code": ERROR["code"], "message": ERROR["message"]}
        out.event({"type": "response.failed", "response": failed})
        return b"".join(out.parts)

    if spent():
        return fail(None)
    if answer.thinking:
        index = len(output)
        rs = _item_id("rs", answer, index)
        full = answer.full_thinking
        if variant == "bridge_all":
            output.append(
                {"id": rs, "type": "reasoning", "summary": [{"type": "summary_text", "text": full}]}
            )
        else:
            head = {"item_id": rs, "output_index": index}
            added = {"id": rs, "type": "reasoning", "summary": []}
            out.event({"type": "response.output_item.added", "item": added, "output_index": index})
            out.event(
                {
                    "type": "response.reasoning_summary_part.added",
                    **head,
                    "part": {"type": "summary_text", "text": ""},
                    "summary_index": 0,
                }
            )
            so_far = ""
            for piece in answer.thinking:
                so_far += piece
                out.event(
                    {
                        "type": "response.reasoning_summary_text.delta",
                        "delta": piece,
                        "item_id": rs,
                        "obfuscation": out.obfuscation(piece),
                        "output_index": index,
                        "summary_index": 0,
                    }
                )
                if budget is not None:
                    budget -= 1
                    if spent():
                        summary = [{"type": "summary_text", "text": so_far}]
                        return fail({"id": rs, "type": "reasoning", "summary": summary})
            out.event(
                {
                    "type": "response.reasoning_summary_text.done",
                    **head,
                    "summary_index": 0,
                    "text": full,
                }
            )
            out.event(
                {
                    "type": "response.reasoning_summary_part.done",
                    **head,
                    "part": {"type": "summary_text", "text": full},
                    "summary_index": 0,
                }
            )
            item = {
                "id": rs,
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": full}],
            }
            out.event({"type": "response.output_item.done", "item": item, "output_index": index})
            output.append(item)
    if answer.text:
        index = len(output)
        msg = _item_id("msg", answer, index)
        full = answer.full_text
        item_status = "incomplete" if status == "incomplete" else "completed"
        done_item = {
            "id": msg,
            "type": "message",
            "status": item_status,
            "content": [_text_part(full)],
            "role": "assistant",
        }
        if variant != "bridge_all":
            added = {"id": msg, "type": "message", "status": "in_progress", "content": []}
            added["role"] = "assistant"
            out.event({"type": "response.output_item.added", "item": added, "output_index": index})
            out.event(
                {
                    "type": "response.content_part.added",
                    "content_index": 0,
                    "item_id": msg,
                    "output_index": index,
                    "part": _text_part(""),
                }
            )
            so_far = ""
            for piece in answer.text:
                so_far += piece
                out.event(
                    {
                        "type": "response.output_text.delta",
                        "content_index": 0,
                        "delta": piece,
                        "item_id": msg,
                        "logprobs": [],
                        "obfuscation": out.obfuscation(piece),
                        "output_index": index,
                    }
                )
                if budget is not None:
                    budget -= 1
                    if spent():
                        partial = dict(added, content=[_text_part(so_far)])
                        return fail(partial)
            out.event(
                {
                    "type": "response.output_text.done",
                    "content_index": 0,
                    "item_id": msg,
                    "logprobs": [],
                    "output_index": index,
                    "text": full,
                }
            )
            out.event(
                {
                    "type": "response.content_part.done",
                    "content_index": 0,
                    "item_id": msg,
                    "output_index": index,
                    "part": _text_part(full),
                }
            )
            out.event(
                {"type": "response.output_item.done", "item": done_item, "output_index": index}
            )
        output.append(done_item)
    for call in answer.tool_calls:
        index = len(output)
        fc = _item_id("fc", answer, index)
        text = arguments_text(call.arguments)
        done_item = {
            "id": fc,
            "type": "function_call",
            "status": "completed",
            "arguments": text,
            "call_id": call.id,
            "name": call.name,
        }
        if variant == "items":
            added = dict(done_item, status="in_progress", arguments="")
            out.event({"type": "response.output_item.added", "item": added, "output_index": index})
            for fragment in cut(text, rng):
                out.event(
                    {
                        "type": "response.function_call_arguments.delta",
                        "delta": fragment,
                        "item_id": fc,
                        "obfuscation": out.obfuscation(fragment),
                        "output_index": index,
                    }
                )
            out.event(
                {
                    "type": "response.function_call_arguments.done",
                    "arguments": text,
                    "item_id": fc,
                    "output_index": index,
                }
            )
            out.event(
                {"type": "response.output_item.done", "item": done_item, "output_index": index}
            )
        output.append(done_item)
        if budget is not None:
            budget -= 1
            if spent():
                return fail(None)
    terminal = "response.completed" if status == "completed" else "response.incomplete"
    response = response_object(answer, status, output, usage_object(answer.usage))
    out.event({"type": terminal, "response": response})
    return b"".join(out.parts)


def answer_from_fixture(expected: dict[str, Any]) -> Answer:
    """The answer a recorded fixture's ``.expected.json`` describes (text in one piece)."""
    usage = expected["usage"]
    text = (expected["text"],) if expected["text"] else ()
    thinking = (expected["reasoning_text"],) if expected["reasoning_text"] else ()
    failed = expected["finish_reason"] == "failed"
    return Answer(
        text=text,
        thinking=thinking,
        tool_calls=tuple(
            ToolCall(c["id"], c["name"], c["arguments"]) for c in expected["tool_calls"]
        ),
        usage=None
        if usage is None
        else Usage(
            usage["input_tokens"],
            usage["output_tokens"],
            usage["cached_tokens"] or 0,
            usage["reasoning_tokens"] or 0,
        ),
        finish="tool_calls"
        if expected["tool_calls"]
        else ("length" if expected["finish_reason"] == "incomplete" else "stop"),
        error_after=len(text) + len(thinking) if failed else None,
        id=expected["response_id"],
        model=expected["model"],
        extra={"seed": 0, "nested_error": True, "failed_output": True},
    )


class OpenAIResponsesWriter:
    """Writes OpenAI Responses stream bodies (see the module docstring)."""

    provider = PROVIDER
    variants = VARIANTS
    content_type = "text/event-stream"
    errors = True

    def strategy(self) -> st.SearchStrategy[Answer]:
        """Any answer the Responses API can give (usage may be absent: some compatible servers
        send ``usage: null``); a seed for the cuts, the error's shape, a priced model or not."""
        return st.builds(
            _with_extras,
            answers(),
            st.integers(0, 2**32 - 1),
            st.booleans(),
            st.booleans(),
            st.sampled_from([*PRICED, "test-model-1"]),
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
                finish_reasons=["failed"],
                error=StreamError,
                error_match=ERROR["message"],
                cost=None,
            )
        usage = answer.usage
        cost = None
        if usage is not None and answer.model in PRICED:
            table, entry = PRICED[answer.model]
            cost = list_cost(
                table, entry, usage.input_tokens, usage.output_tokens, usage.cached_tokens
            )
        return Expected(
            text=text,
            thinking=thinking,
            tool_calls=tools,
            finish_reasons=[STATUS[answer.finish]],
            input_tokens=None if usage is None else usage.input_tokens,
            output_tokens=None if usage is None else usage.output_tokens,
            cached_tokens=None if usage is None else usage.cached_tokens,
            reasoning_tokens=None if usage is None else usage.reasoning_tokens,
            cost=cost,
        )

    def check_extra(self, recovered: Any, expected: Expected, answer: Answer, variant: str) -> None:
        """The id and model; the input items for the next turn (the assistant text, each
        function call with its exact argument JSON) and one function_call_output per result."""
        assert recovered.id == answer.id, (recovered.id, answer.id)
        assert recovered.model == answer.model, (recovered.model, answer.model)
        texts = [arguments_text(a) for _, _, a in expected.tool_calls]
        assert recovered.tool_calls_json == texts, (recovered.tool_calls_json, texts)
        want: list[dict[str, Any]] = []
        if expected.text:
            want.append({"role": "assistant", "content": expected.text})
        want += [
            {"type": "function_call", "call_id": i, "name": n, "arguments": t}
            for (i, n, _), t in zip(expected.tool_calls, texts, strict=True)
        ]
        assert recovered.message_param == want, (recovered.message_param, want)
        assert recovered.tool_message_params == [
            {"type": "function_call_output", "call_id": call_id, "output": f"output {i}"}
            for i, (call_id, _, _) in enumerate(expected.tool_calls)
        ]


def _with_extras(
    answer: Answer, seed: int, nested: bool, failed_output: bool, model: str
) -> Answer:
    extra = {"seed": seed, "nested_error": nested, "failed_output": failed_output}
    return replace(answer, model=model, extra=extra)
