"""OpenAI Chat Completions bodies, as OpenAI and the compatible servers write them.

Data-only SSE (``data: {...}\\n\\n``), ending with ``data: [DONE]``. Variants (server shapes):

- ``official``: OpenAI. A role chunk (``content: ""``, or ``null`` when the answer is only tool
  calls), one chunk per text piece, tool calls streamed as fragments (``id``, ``type`` and the
  name only on the first fragment, whose ``arguments`` is ``""``; the argument JSON then split
  anywhere, inside ``\\uXXXX`` escapes and multi-byte characters too), the finish reason in a
  chunk of its own; when usage is reported (``stream_options.include_usage``) every chunk has
  ``"usage": null`` and a ``choices: []`` chunk carries the usage before ``[DONE]``.
- ``no_usage``: a server that ignores ``stream_options`` and never reports usage (older
  llama.cpp and proxies): no ``usage`` key anywhere, whatever the answer's usage was.
- ``keepalive``: ``official`` with ``: keep-alive`` comments between events (DeepSeek, proxies).
- ``usage_in_finish``: usage on the finish chunk (DeepSeek, several vLLM builds), reasoning in
  ``delta.reasoning_content`` next to ``content: null``.
- ``llama_cpp``: llama.cpp's server: the role chunk has ``content: null``, every tool fragment
  repeats ``id``, ``type`` and the name, usage on the finish chunk, ``reasoning_content``.
- ``vllm``: reasoning in ``delta.reasoning``, no ``usage`` key on content chunks, usage tail.
- ``vllm_continuous``: vLLM with ``continuous_usage_stats``: cumulative usage on every chunk
  (totals so far, never increments), the finish reason on the last text chunk, no ``[DONE]``;
  after an error the usage last reported stands.
- ``whole_calls``: every tool call whole in one chunk (Groq, Ollama's ``/v1``), the finish
  reason on that same chunk, reasoning in ``delta.reasoning``.
- ``no_index``: whole calls, one per chunk, with no ``index`` at all (Gemini's
  OpenAI-compatible endpoint); told apart by ``id``.
- ``interleaved``: two or more tool calls whose fragments interleave (every call starts, then
  the arguments of each in turn, or round-robin); keyed by ``index``.
- ``crlf``: ``official`` framed by a server stack that ends lines with CRLF and writes
  ``data:`` without the optional space (both allowed by the SSE rules).
- ``multiline``: ``official`` with every payload pretty-printed over several ``data:`` lines
  (the SSE rules join them with newlines, which JSON allows between tokens).
- ``azure``: Azure OpenAI: a first chunk with ``choices: []``, empty ``id``/``model`` and
  ``prompt_filter_results``; ``content_filter_results`` on every choice.
- ``azure_async_filter``: ``azure`` with the Asynchronous Filter on: annotation chunks (empty
  ``id``, ``model`` and ``object``; a choice with ``content_filter_offsets`` and
  ``content_filter_results`` and *no* ``delta``) after every second content chunk and after the
  finish chunk.

An error after ``k`` content events is a ``data: {"error": {...}}`` event; the stream then ends
with no finish reason and no ``[DONE]`` (``openai_chat.error_midstream.sse``). A tool call
streamed as fragments is finished only when the next call starts or the stream ends normally,
so after an error the last call written is not yielded: it is kept, marked unfinished.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import re
from typing import Any

from hypothesis import strategies as st

from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage, answers
from tests.conformance.harness import Expected, content_events, error_prefix, list_cost

__all__ = ["ERROR_MESSAGE", "OpenAIChatWriter", "answer_from_fixture", "split_anywhere"]

ERROR_MESSAGE = "The server had an error while processing your request. Désolé 🙂"

THINKING_FIELD = {
    "usage_in_finish": "reasoning_content",
    "deepseek": "reasoning_content",
    "deepseek_hit_miss": "reasoning_content",
    "llama_cpp": "reasoning_content",
    "vllm": "reasoning",
    "vllm_continuous": "reasoning",
    "whole_calls": "reasoning",
}
"""The variants that stream reasoning text, and the delta field they use."""

OPENAI_MODELS: dict[str, tuple[str, str] | None] = {
    "gpt-4.1-mini-2025-04-14": ("openai", "gpt-4.1-mini"),
    "test-model-1": None,
}
"""The models answers report -> their ``prices.json`` entry (cost checked), or ``None``."""

DEEPSEEK_VARIANTS = ("deepseek", "deepseek_hit_miss")
AZURE_VARIANTS = ("azure", "azure_async_filter")
USAGE_ON_FINISH = ("usage_in_finish", "llama_cpp", "no_index", *DEEPSEEK_VARIANTS)


def split_anywhere(text: str, rng: random.Random, max_parts: int = 8) -> list[str]:
    """``text`` cut at random character positions into 1..max_parts non-empty pieces."""
    if len(text) <= 1:
        return [text]
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(0, max_parts))))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def arguments_text(call: ToolCall, rng: random.Random) -> str:
    """The argument JSON as a server writes it: compact or spaced, non-ASCII raw or escaped."""
    return json.dumps(
        call.arguments,
        ensure_ascii=rng.random() < 0.4,
        separators=(", ", ": ") if rng.random() < 0.3 else (",", ":"),
    )


def _sse(payload: Any, style: str = "compact") -> str:
    """One ``data:`` event. ``style``: ``compact`` (raw UTF-8, OpenAI, llama.cpp), ``python``
    (``json.dumps`` defaults: ASCII with ``\\uXXXX`` escapes and surrogate pairs, spaced), ``go``
    (Go's encoder: raw UTF-8 but ``<``, ``>``, ``&``, U+2028 and U+2029 escaped)."""
    if style == "python":
        text = json.dumps(payload)
    else:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if style == "go":  # these characters occur only inside strings in JSON text
            for char in "<>&\u2028\u2029":
                text = text.replace(char, f"\\u{ord(char):04x}")
    return "data: " + text + "\n\n"


JSON_STYLE = {"vllm": "python", "whole_calls": "go"}


class OpenAIChatWriter:
    """Writes OpenAI Chat Completions stream bodies (see the module docstring)."""

    content_type = "text/event-stream"
    errors = True

    def __init__(
        self,
        provider: str = "openai",
        variants: tuple[str, ...] = (
            "official",
            "no_usage",
            "keepalive",
            "usage_in_finish",
            "llama_cpp",
            "vllm",
            "vllm_continuous",
            "whole_calls",
            "no_index",
            "interleaved",
            "crlf",
            "multiline",
        ),
        models: dict[str, tuple[str, str] | None] | None = None,
    ) -> None:
        self.provider = provider
        self.variants = variants
        self.models = OPENAI_MODELS if models is None else models

    # -- answers ------------------------------------------------------------------------------

    def strategy(self) -> st.SearchStrategy[Answer]:
        """Any answer: text, reasoning text (compatible servers), tools, usage with cached and
        reasoning counts; a seed for the fragment cuts and a model with or without a price."""
        return st.builds(
            lambda answer, seed, model: dataclasses.replace(
                answer, model=model, extra={**answer.extra, "seed": seed}
            ),
            answers(thinking=any(v in THINKING_FIELD for v in self.variants)),
            st.integers(0, 2**32 - 1),
            st.sampled_from(sorted(self.models)),
        )

    def variants_for(self, answer: Answer) -> tuple[str, ...]:
        """The variants that can express ``answer``: reasoning text only where a server
        streams it; interleaving needs two calls (and is not combined with an error)."""
        out = []
        for variant in self.variants:
            if answer.thinking and variant not in THINKING_FIELD:
                continue
            if variant == "interleaved" and (
                len(answer.tool_calls) < 2 or answer.error_after is not None
            ):
                continue
            out.append(variant)
        return tuple(out)

    # -- bodies -------------------------------------------------------------------------------

    def write(self, answer: Answer, variant: str) -> bytes:
        rng = random.Random(answer.extra.get("seed", 0))
        if variant == "no_usage":
            answer = dataclasses.replace(answer, usage=None)
        usage_tail = variant in (
            "official",
            "multiline",
            "keepalive",
            "vllm",
            "whole_calls",
            "interleaved",
            "crlf",
        )
        azure = variant in AZURE_VARIANTS
        usage_tail = usage_tail or azure
        usage_key = answer.usage is not None and variant in (
            "official",
            "multiline",
            "crlf",
            "keepalive",
            "interleaved",
            "usage_in_finish",
            *AZURE_VARIANTS,
            *DEEPSEEK_VARIANTS,
        )

        progress = [0]  # content events written so far (cumulative usage follows it)
        continuous = variant == "vllm_continuous" and answer.usage is not None
        n_events = len(content_events(answer))

        def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
            body: dict[str, Any] = {
                "id": answer.id,
                "object": "chat.completion.chunk",
                "created": 1772031419,
                "model": answer.model,
            }
            if variant in ("official", "keepalive", "interleaved", "crlf", *AZURE_VARIANTS):
                body["service_tier"] = "default"
                body["system_fingerprint"] = "fp_2f9b2f086f"
            elif variant == "llama_cpp":
                body["system_fingerprint"] = "b6110-c81de6e1"
            choice: dict[str, Any] = {"index": 0, "delta": delta}
            if variant != "llama_cpp":
                choice["logprobs"] = None
            choice["finish_reason"] = finish
            if azure:
                choice["content_filter_results"] = (
                    {} if delta is None or not delta.get("content") else _FILTERED
                )
            body["choices"] = [choice]
            if usage_key:
                body["usage"] = None
            if continuous:
                assert answer.usage is not None
                done = n_events if finish is not None else progress[0]
                body["usage"] = _usage(_so_far(answer.usage, done, n_events), variant)
            body.update(extra)
            if variant in ("official", "interleaved"):
                body["obfuscation"] = "x" * rng.randint(1, 12)
            return _sse(body, style)

        style = JSON_STYLE.get(variant, "compact")
        events: list[str] = []
        if azure:
            events.append(_sse(_AZURE_PROMPT_FILTER))
        role: dict[str, Any] = {"role": "assistant"}
        if variant in ("official", "keepalive", "interleaved", "crlf", *AZURE_VARIANTS):
            only_tools = bool(answer.tool_calls) and not answer.text
            role.update({"content": None if only_tools else "", "refusal": None})
        elif variant == "llama_cpp":
            role["content"] = None
        else:
            role["content"] = ""
        events.append(chunk(role))

        thinking_field = THINKING_FIELD.get(variant)
        content = content_events(answer)
        cut = len(content) if answer.error_after is None else answer.error_after
        written = content[:cut]
        last_text = (
            variant == "vllm_continuous"
            and answer.error_after is None
            and not answer.tool_calls
            and bool(answer.text)
        )
        for i, event in enumerate(written):
            progress[0] = i + 1
            if event.kind == "thinking":
                assert thinking_field is not None, f"{variant} cannot stream reasoning"
                delta = {thinking_field: event.value}
                if variant in ("usage_in_finish", *DEEPSEEK_VARIANTS):
                    delta = {"content": None, thinking_field: event.value}
                events.append(chunk(delta))
            elif event.kind == "text":
                delta = {"content": event.value}
                if variant in ("usage_in_finish", *DEEPSEEK_VARIANTS):
                    delta["reasoning_content"] = None
                if last_text and i == len(written) - 1:  # the finish rides on the last text
                    events.append(chunk(delta, answer.finish))
                else:
                    events.append(chunk(delta))
        calls = [e.value for e in written if e.kind == "tool"]
        progress[0] = len(written)  # (all fragments of the calls report the usage after them)
        finished = answer.error_after is None
        finish_on_calls = variant == "whole_calls" and finished and bool(calls)
        if calls:
            events.extend(
                self._tool_chunks(
                    calls, variant, rng, chunk, answer.finish if finish_on_calls else None
                )
            )

        if not finished:
            events.append(
                _sse(
                    {
                        "error": {
                            "message": ERROR_MESSAGE,
                            "type": "server_error",
                            "param": None,
                            "code": None,
                        }
                    }
                )
            )
            return self._frame(events, variant)

        usage = _usage(answer.usage, variant) if answer.usage is not None else None
        if variant in USAGE_ON_FINISH and usage is not None:
            extra: dict[str, Any] = {"usage": usage}
            if variant == "llama_cpp":
                extra["timings"] = {"prompt_n": 1, "predicted_n": 1}
            events.append(chunk({}, answer.finish, **extra))
        elif not finish_on_calls and not last_text:
            events.append(chunk({}, answer.finish))
        if usage_tail and usage is not None:
            tail: dict[str, Any] = {
                "id": answer.id,
                "object": "chat.completion.chunk",
                "created": 1772031419,
                "model": answer.model,
                "choices": [],
                "usage": usage,
            }
            events.append(_sse(tail, style))
        if variant != "vllm_continuous":
            events.append("data: [DONE]\n\n")
        return self._frame(events, variant)

    @staticmethod
    def _frame(events: list[str], variant: str) -> bytes:
        if variant in DEEPSEEK_VARIANTS:  # comments while the request is queued
            events = [": keep-alive\n\n", ": keep-alive\n\n", *events]
        if variant == "keepalive":
            out = [": keep-alive\n\n"]
            for i, event in enumerate(events):
                out.append(event)
                if i % 2 == 1:
                    out.append(": keep-alive\n\n")
            events = out
        if variant == "azure_async_filter":  # annotations run behind the content
            out, offset = [], 0
            for i, event in enumerate(events):
                out.append(event)
                last = i == len(events) - 1
                if i >= 2 and (i % 2 == 0 or (i == len(events) - 2)) and not last:
                    out.append(_sse(_annotation(offset)))
                    offset += 7
            events = out
        if variant == "multiline":
            events = [_multiline(event) for event in events]
        text = "".join(events)
        if variant == "crlf":  # JSON text never holds a raw CR or LF
            text = re.sub(r"^data: ", "data:", text, flags=re.MULTILINE).replace("\n", "\r\n")
        return text.encode()

    @staticmethod
    def _tool_chunks(
        calls: list[ToolCall],
        variant: str,
        rng: random.Random,
        chunk: Any,
        finish: str | None,
    ) -> list[str]:
        def start(i: int, call: ToolCall, arguments: str) -> dict[str, Any]:
            return {
                "index": i,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": arguments},
            }

        def more(i: int, arguments: str) -> dict[str, Any]:
            return {"index": i, "function": {"arguments": arguments}}

        if variant == "whole_calls":
            whole = [start(i, c, arguments_text(c, rng)) for i, c in enumerate(calls)]
            return [chunk({"tool_calls": whole}, finish)]
        if variant == "no_index":
            out = []
            for call in calls:
                whole = start(0, call, arguments_text(call, rng))
                del whole["index"]
                out.append(chunk({"tool_calls": [whole]}))
            return out
        pieces = [split_anywhere(arguments_text(c, rng), rng) for c in calls]
        out: list[str] = []
        if variant == "llama_cpp":  # id, type and name repeated on every fragment
            for i, (call, parts) in enumerate(zip(calls, pieces, strict=True)):
                out.extend(chunk({"tool_calls": [start(i, call, part)]}) for part in parts)
            return out
        if variant == "interleaved":
            out.extend(chunk({"tool_calls": [start(i, c, "")]}) for i, c in enumerate(calls))
            queues = [list(enumerate(parts)) for parts in pieces]
            if rng.random() < 0.5:  # each call's arguments in turn
                for i, parts in enumerate(pieces):
                    out.extend(chunk({"tool_calls": [more(i, p)]}) for p in parts)
            else:  # round-robin
                while any(queues):
                    for i, queue in enumerate(queues):
                        if queue:
                            out.append(chunk({"tool_calls": [more(i, queue.pop(0)[1])]}))
            return out
        for i, (call, parts) in enumerate(zip(calls, pieces, strict=True)):
            out.append(chunk({"tool_calls": [start(i, call, "")]}))
            out.extend(chunk({"tool_calls": [more(i, p)]}) for p in parts)
        return out

    # -- what streamcall must recover ---------------------------------------------------------

    def expected(self, answer: Answer, variant: str) -> Expected:
        text, thinking, calls = error_prefix(answer)
        usage = None if variant == "no_usage" else answer.usage
        if answer.error_after is not None:
            # Fragments never say a call is complete: the last one is finished only by the
            # next call or the normal end, neither of which comes. It is kept, unfinished.
            calls, unfinished = calls[:-1], calls[-1:]
            if variant != "vllm_continuous" or usage is None:
                return Expected(
                    text=text,
                    thinking=thinking,
                    tool_calls=tuple((c.id, c.name, c.arguments) for c in calls),
                    finish_reasons=None,
                    error=StreamError,
                    error_match=ERROR_MESSAGE,
                    cost=None,
                    unfinished=tuple((c.id, c.name, c.arguments) for c in unfinished),
                )
            # The usage last reported, before the error, stands.
            usage = _so_far(usage, answer.error_after, len(content_events(answer)))
        cost: Any = None
        price = self.models.get(answer.model)
        if answer.model not in self.models:
            cost = ...  # a model this writer knows no price for (a fixture's): not checked
        elif usage is not None and price is not None:
            cost = list_cost(*price, usage.input_tokens, usage.output_tokens, usage.cached_tokens)
        reasoning = None if usage is None else usage.reasoning_tokens
        if variant == "deepseek_hit_miss":  # no completion_tokens_details
            reasoning = None
        failed = answer.error_after is not None
        return Expected(
            text=text,
            thinking=thinking,
            tool_calls=tuple((c.id, c.name, c.arguments) for c in calls),
            finish_reasons=None if failed else [answer.finish],
            error=StreamError if failed else None,
            error_match=ERROR_MESSAGE if failed else None,
            input_tokens=None if usage is None else usage.input_tokens,
            output_tokens=None if usage is None else usage.output_tokens,
            cached_tokens=None if usage is None else usage.cached_tokens,
            reasoning_tokens=reasoning,
            cost=cost,
            unfinished=tuple((c.id, c.name, c.arguments) for c in unfinished) if failed else (),
        )

    def check_extra(self, recovered: Any, expected: Expected, answer: Answer, variant: str) -> None:
        """The response id and model, and the OpenAI-shaped messages for the next turn."""
        assert recovered.id == answer.id, (recovered.id, answer.id)
        assert recovered.model == answer.model, (recovered.model, answer.model)
        param = recovered.message_param
        assert param["role"] == "assistant"
        assert param["content"] == (expected.text or None), (param["content"], expected.text)
        sent = [
            (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
            for c in param.get("tool_calls") or ()
        ]
        assert sent == [*expected.tool_calls, *expected.unfinished], (sent, expected)
        assert recovered.tool_message_params == [
            {"role": "tool", "tool_call_id": call_id, "content": f"output {i}"}
            for i, (call_id, _, _) in enumerate(expected.tool_calls)
        ]


_FILTERED = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}

_AZURE_PROMPT_FILTER = {
    "choices": [],
    "created": 0,
    "id": "",
    "model": "",
    "object": "",
    "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": _FILTERED}],
}


def _multiline(event: str) -> str:
    if not event.startswith("data: {"):
        return event
    payload = json.loads(event[len("data: ") :])
    lines = json.dumps(payload, ensure_ascii=False, indent=1).split("\n")
    return "".join(f"data: {line}\n" for line in lines) + "\n"


def _so_far(usage: Usage, done: int, total: int) -> Usage:
    """Cumulative usage after ``done`` of ``total`` content events (vLLM's continuous stats)."""
    if done >= total:
        return usage
    return Usage(
        usage.input_tokens,
        usage.output_tokens * done // total,
        usage.cached_tokens,
        usage.reasoning_tokens * done // total,
    )


def _annotation(offset: int) -> dict[str, Any]:
    return {
        "choices": [
            {
                "content_filter_offsets": {
                    "check_offset": offset,
                    "start_offset": offset,
                    "end_offset": offset + 7,
                },
                "content_filter_results": _FILTERED,
                "finish_reason": None,
                "index": 0,
            }
        ],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
    }


def _usage(usage: Usage, variant: str) -> dict[str, Any]:
    if variant in DEEPSEEK_VARIANTS:
        out: dict[str, Any] = {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.input_tokens + usage.output_tokens,
        }
        if variant == "deepseek":
            out["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens}
            out["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
        out["prompt_cache_hit_tokens"] = usage.cached_tokens
        out["prompt_cache_miss_tokens"] = usage.input_tokens - usage.cached_tokens
        return out
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def answer_from_fixture(expected: dict[str, Any], *, pieces: int = 7) -> Answer:
    """The answer a fixture's ``.expected.json`` describes (text cut into a few pieces)."""

    def cut(text: str | None) -> tuple[str, ...]:
        if not text:
            return ()
        size = max(1, len(text) // pieces)
        return tuple(text[i : i + size] for i in range(0, len(text), size))

    usage = expected.get("usage")
    calls = tuple(ToolCall(c["id"], c["name"], c["arguments"]) for c in expected["tool_calls"])
    return Answer(
        text=cut(expected["text"]),
        thinking=cut(expected.get("reasoning_text")),
        tool_calls=calls,
        usage=None
        if usage is None
        else Usage(
            usage["input_tokens"],
            usage["output_tokens"],
            usage.get("cached_tokens") or 0,
            usage.get("reasoning_tokens") or 0,
        ),
        finish=expected["finish_reason"] or "stop",
        id=expected["response_id"] or "resp_0001",
        model=expected["model"] or "test-model-1",
    )
