"""Mistral chat bodies, as ``api.mistral.ai`` writes them.

Data-only SSE ending with ``data: [DONE]`` (``mistral.*.sse``): a role chunk
(``content: ""``), one chunk per text piece, tool calls *whole* (the complete argument JSON,
spaced, non-ASCII raw, no ``type``), usage on the chunk that carries the finish reason (no
``stream_options``, no usage-only chunk). Variants:

- ``official``: every tool call in one delta, on the finish chunk with the usage
  (``mistral.tools.sse``); usage without cache counts.
- ``separate_calls``: each call whole in a delta of its own, without ``index`` (single-call
  captures omit it), then a finish chunk.
- ``magistral``: reasoning models: thinking as content lists
  ``[{"type": "thinking", "thinking": [{"type": "text", "text": ...}]}]``, text as
  ``[{"type": "text", ...}]`` lists or plain strings.
- ``object_arguments``: ``official`` with each call's ``arguments`` as a JSON object rather
  than a string (the schema and the official SDK allow both).
- ``cached_details``: usage with ``prompt_tokens_details.cached_tokens``.
- ``num_cached``: usage with ``num_cached_tokens``.

Errors after ``k`` content events, two ways (chosen by the answer's seed): an error payload
``{"object": "error", "message": ..., "type": ..., "code": ...}`` and no ``[DONE]``, or a
chunk with ``finish_reason: "error"`` (then ``[DONE]``), which streamcall raises at the end
after delivering that chunk. Tool calls arrive whole, so every call before the error is kept.
"""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage, answers
from tests.conformance.harness import Expected, content_events, error_prefix, list_cost

__all__ = ["ERROR_MESSAGE", "MISTRAL_MODELS", "MistralWriter", "error_style"]

ERROR_MESSAGE = "Service unavailable: the model is overloaded. Réessayez 🙂"

MISTRAL_MODELS: dict[str, tuple[str, str] | None] = {
    "mistral-small-latest": ("mistral", "mistral-small-latest"),  # the alias: Small 4 today
    "test-model-1": None,
}
"""The models answers report -> their ``prices.json`` entry, or ``None`` (no price)."""

CACHED = {"cached_details", "num_cached"}


def error_style(answer: Answer) -> str:
    """``payload`` or ``finish_reason``: how this answer's error is written."""
    return "payload" if answer.extra.get("seed", 0) % 2 == 0 else "finish_reason"


def _sse(payload: Any) -> str:
    return "data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n\n"


class MistralWriter:
    """Writes Mistral chat stream bodies (see the module docstring)."""

    provider = "mistral"
    variants = (
        "official",
        "separate_calls",
        "object_arguments",
        "magistral",
        "cached_details",
        "num_cached",
    )
    content_type = "text/event-stream"
    errors = True

    def strategy(self) -> st.SearchStrategy[Answer]:
        """Any answer: text, thinking (Magistral), whole tool calls, usage with cached counts
        (no reasoning count: Mistral reports none); a seed and a model."""
        return st.builds(
            lambda answer, seed, model: dataclasses.replace(
                answer, model=model, extra={**answer.extra, "seed": seed}
            ),
            answers(reasoning_tokens=False),
            st.integers(0, 2**32 - 1),
            st.sampled_from(sorted(MISTRAL_MODELS)),
        )

    def variants_for(self, answer: Answer) -> tuple[str, ...]:
        """Thinking streams only from Magistral models."""
        if answer.thinking:
            return ("magistral",)
        return self.variants

    # -- bodies -------------------------------------------------------------------------------

    def write(self, answer: Answer, variant: str) -> bytes:
        rng = random.Random(answer.extra.get("seed", 0))

        def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> str:
            body: dict[str, Any] = {
                "id": answer.id,
                "object": "chat.completion.chunk",
                "created": 1772036650,
                "model": answer.model,
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
                ],
            }
            if usage is not None:
                body["usage"] = usage
            return _sse(body)

        events = [chunk({"role": "assistant", "content": ""})]
        content = content_events(answer)
        failed = answer.error_after is not None
        written = content[: answer.error_after] if failed else content
        for event in written:
            if event.kind == "thinking":
                thinking = [
                    {"type": "thinking", "thinking": [{"type": "text", "text": event.value}]}
                ]
                events.append(chunk({"content": thinking}))
            elif event.kind == "text":
                text: Any = event.value
                if variant == "magistral" and rng.random() < 0.5:
                    text = [{"type": "text", "text": event.value}]
                events.append(chunk({"content": text}))
        calls = [e.value for e in written if e.kind == "tool"]
        usage = None if failed or answer.usage is None else _usage(answer.usage, variant)
        finish_with_calls = variant in ("official", "object_arguments") and calls and not failed
        if calls and variant == "separate_calls":
            for call in calls:
                events.append(chunk({"content": None, "tool_calls": [_whole(call, None)]}))
        elif calls:
            whole = [_whole(c, i) for i, c in enumerate(calls)]
            if variant == "object_arguments":
                for entry, call in zip(whole, calls, strict=True):
                    entry["function"]["arguments"] = call.arguments
            delta = {"content": None, "tool_calls": whole}
            if finish_with_calls:
                events.append(chunk(delta, answer.finish, usage))
            else:
                events.append(chunk(delta))
        if failed:
            if error_style(answer) == "payload":
                error = {
                    "object": "error",
                    "message": ERROR_MESSAGE,
                    "type": "service_unavailable",
                    "param": None,
                    "code": "1000",
                }
                events.append(_sse(error))
                return "".join(events).encode()
            events.append(chunk({"content": ""}, "error"))
        elif not finish_with_calls:
            events.append(chunk({"content": ""}, answer.finish, usage))
        events.append("data: [DONE]\n\n")
        return "".join(events).encode()

    # -- what streamcall must recover ---------------------------------------------------------

    def expected(self, answer: Answer, variant: str) -> Expected:
        text, thinking, calls = error_prefix(answer)
        tools = tuple((c.id, c.name, c.arguments) for c in calls)
        if answer.error_after is not None:
            by_payload = error_style(answer) == "payload"
            return Expected(
                text=text,
                thinking=thinking,
                tool_calls=tools,
                finish_reasons=None if by_payload else ["error"],
                error=StreamError,
                error_match=ERROR_MESSAGE if by_payload else "finish_reason='error'",
                cost=None,
            )
        usage = answer.usage
        cost: Any = None
        price = MISTRAL_MODELS.get(answer.model)
        if answer.model not in MISTRAL_MODELS:
            cost = ...  # a fixture's model: not checked
        elif usage is not None and price is not None:
            cached = usage.cached_tokens if variant in CACHED else 0
            cost = list_cost(*price, usage.input_tokens, usage.output_tokens, cached)
        return Expected(
            text=text,
            thinking=thinking,
            tool_calls=tools,
            finish_reasons=[answer.finish],
            input_tokens=None if usage is None else usage.input_tokens,
            output_tokens=None if usage is None else usage.output_tokens,
            # Usage without a cache figure reports 0 cached tokens (as Mirascope v1 does).
            cached_tokens=None
            if usage is None
            else (usage.cached_tokens if variant in CACHED else 0),
            reasoning_tokens=None,
            cost=cost,
        )

    def check_extra(self, recovered: Any, expected: Expected, answer: Answer, variant: str) -> None:
        """The response id and model, and the Mistral messages for the next turn."""
        from streamcall.clients.mistral.models import TextChunk, ThinkChunk

        assert recovered.id == answer.id, (recovered.id, answer.id)
        assert recovered.model == answer.model, (recovered.model, answer.model)
        message = recovered.message_param
        if expected.thinking:  # kept as a ThinkChunk so it can be sent back
            think, text = message.content
            assert isinstance(think, ThinkChunk)
            assert "".join(t.text for t in think.thinking) == expected.thinking
            assert isinstance(text, TextChunk)
            assert text.text == expected.text
        else:
            assert message.content == expected.text, (message.content, expected.text)
        sent = [
            (c.id, c.function.name, json.loads(c.function.arguments))
            for c in message.tool_calls or ()
        ]
        assert sent == list(expected.tool_calls), (sent, expected.tool_calls)
        got = [(m.content, m.tool_call_id, m.name) for m in recovered.tool_message_params]
        assert got == [
            (f"output {i}", call_id, name)
            for i, (call_id, name, _) in enumerate(expected.tool_calls)
        ]


def _whole(call: ToolCall, index: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": call.id,
        "function": {"name": call.name, "arguments": call.arguments_json(spaced=True)},
    }
    if index is not None:
        out["index"] = index
    return out


def _usage(usage: Usage, variant: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt_tokens": usage.input_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "completion_tokens": usage.output_tokens,
    }
    if variant == "cached_details":
        out["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens}
    elif variant == "num_cached":
        out["num_cached_tokens"] = usage.cached_tokens
    return out
