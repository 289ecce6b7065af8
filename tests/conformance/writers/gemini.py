"""Gemini (``streamGenerateContent?alt=sse``): the exact body the server sends for an Answer.

Framing as in ``tests/fixtures/wire/gemini.*``: data-only SSE, CRLF line endings, no
terminator; JSON with ``": "`` after keys and ``","`` between members, non-ASCII as UTF-8. Each
chunk is a whole ``GenerateContentResponse``: ``candidates[0].content.parts`` (thought parts
``{"text": ..., "thought": true}``, text parts, whole ``functionCall`` parts with an ``args``
object and no id), ``finishReason`` on the last chunk only, and the cumulative
``usageMetadata`` on every chunk (``promptTokenCount`` includes ``cachedContentTokenCount``;
``candidatesTokenCount`` excludes ``thoughtsTokenCount``; zero counts are omitted, as proto3 JSON
does), then ``modelVersion`` and ``responseId``. The thought signature rides on the first
function call part, else on the last text part, else on an empty text part of its own (as the
Gemini docs describe).
An error after ``k`` content events is a chunk ``{"error": {"code": 503, ...}}``.

Variants (none changes what a client must recover):

- ``single``: one part per chunk;
- ``grouped``: consecutive parts share chunks (parallel calls in one chunk, as the server does);
- ``trailer``: one part per chunk, and the finish reason arrives on a chunk of its own whose
  only part is an empty text (a stream that stops on a limit: no content at all).

Answer extras: ``seed`` (the grouping).
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from streamcall.core.base._accumulate import stable_call_id
from streamcall.errors import StreamError
from tests.conformance.answer import Answer, ToolCall, Usage, answers
from tests.conformance.harness import Expected, error_prefix, list_cost

__all__ = ["GeminiWriter", "answer_from_fixture", "write"]

PROVIDER = "gemini"
VARIANTS = ("single", "grouped", "trailer")
FINISH_REASON = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}
ERROR_PAYLOAD = {
    "error": {
        "code": 503,
        "message": "The model is overloaded. Please try again later.",
        "status": "UNAVAILABLE",
    }
}
PRICED = {"gemini-2.5-flash": ("gemini", "gemini-2.5-flash")}
"""Models the answers report: one with a list price (cost checked), one without (None)."""


def dumps(value: Any) -> str:
    """JSON as Gemini writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ": "))


def _event(payload: dict[str, Any]) -> bytes:
    return f"data: {dumps(payload)}\r\n\r\n".encode()


def _parts(answer: Answer) -> list[tuple[dict[str, Any], str]]:
    """The parts in stream order, each with its kind (``thought``, ``text``, ``call``)."""
    parts: list[tuple[dict[str, Any], str]] = [
        ({"text": piece, "thought": True}, "thought") for piece in answer.thinking
    ]
    parts += [({"text": piece}, "text") for piece in answer.text]
    parts += [
        ({"functionCall": {"name": c.name, "args": c.arguments}}, "call") for c in answer.tool_calls
    ]
    if answer.signature is not None:
        target = next((p for p, kind in parts if kind == "call"), None)
        texts = [p for p, kind in parts if kind == "text"]
        target = target or (texts[-1] if texts else None)
        if target is None:
            target = {"text": ""}
            parts.append((target, "signature"))
        target["thoughtSignature"] = answer.signature
    return parts


def usage_metadata(usage: Usage, thoughts: int, candidates: int) -> dict[str, Any]:
    """A cumulative ``usageMetadata`` (zero counts omitted)."""
    meta: dict[str, Any] = {"promptTokenCount": usage.input_tokens}
    if candidates:
        meta["candidatesTokenCount"] = candidates
    meta["totalTokenCount"] = usage.input_tokens + candidates + thoughts
    if usage.cached_tokens:
        meta["cachedContentTokenCount"] = usage.cached_tokens
    meta["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.input_tokens}]
    if usage.cached_tokens:
        meta["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.cached_tokens}]
    if thoughts:
        meta["thoughtsTokenCount"] = thoughts
    meta["serviceTier"] = "standard"
    return {k: v for k, v in meta.items() if v != 0}


def write(answer: Answer, variant: str) -> bytes:
    """The body of ``streamGenerateContent?alt=sse`` that gives ``answer``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    rng = random.Random(answer.extra.get("seed", 0))
    usage = answer.usage or Usage(0, 0)
    parts = _parts(answer)
    content_events = [i for i, (_, kind) in enumerate(parts) if kind != "signature"]
    # Chunk boundaries: after every part (single), or at random places (grouped); always
    # right after the k-th content event when an error follows it.
    groups: list[list[int]] = []
    for i in range(len(parts)):
        if not groups or variant != "grouped" or rng.random() < 0.5:
            groups.append([])
        groups[-1].append(i)
    stop_at = None
    if answer.error_after is not None:
        stop_at = content_events[answer.error_after - 1] if answer.error_after else -1
        kept = [[i for i in g if i <= stop_at] for g in groups]
        groups = [g for g in kept if g]
    elif not groups or variant == "trailer":
        groups.append([])  # the finish reason on a chunk of its own
    # Usage grows with the parts: thoughts first (all counted when the answer starts), then
    # candidates.
    n_thought = sum(1 for _, kind in parts if kind == "thought")
    n_other = len(parts) - n_thought
    out_tokens = usage.output_tokens - usage.reasoning_tokens
    body: list[bytes] = []
    seen_thought = seen_other = 0
    for position, group in enumerate(groups):
        for i in group:
            if parts[i][1] == "thought":
                seen_thought += 1
            else:
                seen_other += 1
        last = position == len(groups) - 1 and stop_at is None
        thoughts = usage.reasoning_tokens  # all counted once the thoughts are done
        if n_thought and seen_thought < n_thought and not seen_other:
            thoughts = usage.reasoning_tokens * seen_thought // n_thought
        candidates = out_tokens if last else out_tokens * seen_other // max(n_other + 1, 1)
        candidate: dict[str, Any] = {
            "content": {
                "parts": [parts[i][0] for i in group] or [{"text": ""}],
                "role": "model",
            }
        }
        if last:
            candidate["finishReason"] = FINISH_REASON[answer.finish]
        candidate["index"] = 0
        body.append(
            _event(
                {
                    "candidates": [candidate],
                    "usageMetadata": usage_metadata(usage, thoughts, candidates),
                    "modelVersion": answer.model,
                    "responseId": answer.id,
                }
            )
        )
    if stop_at is not None:
        body.append(_event(ERROR_PAYLOAD))
    return b"".join(body)


def last_usage_metadata(answer: Answer, variant: str) -> dict[str, Any] | None:
    """The ``usageMetadata`` of the last chunk written (what a client keeps), or ``None``."""
    last = None
    for block in write(answer, variant).split(b"\r\n\r\n"):
        if block.startswith(b"data: "):
            payload = json.loads(block[6:])
            last = payload.get("usageMetadata", last)
    return last


def answer_from_fixture(expected: dict[str, Any]) -> Answer:
    """The answer a recorded fixture's ``.expected.json`` describes (its text in one piece)."""
    usage = expected["usage"]
    signatures = [c["thought_signature"] for c in expected["tool_calls"] if c["thought_signature"]]
    reasoning = usage["reasoning_tokens"] or 0
    return Answer(
        text=(expected["text"],) if expected["text"] else (),
        thinking=(expected["reasoning_text"],) if expected["reasoning_text"] else (),
        signature=signatures[0] if signatures else None,
        tool_calls=tuple(ToolCall("", c["name"], c["arguments"]) for c in expected["tool_calls"]),
        usage=Usage(
            usage["input_tokens"],
            usage["output_tokens"] + reasoning,
            usage["cached_tokens"] or 0,
            reasoning,
        ),
        finish="tool_calls"
        if expected["tool_calls"]
        else ("length" if expected["finish_reason"] == "MAX_TOKENS" else "stop"),
        id=expected["response_id"],
        model=expected["model"],
        extra={"seed": 0},
    )


def signature_sent(answer: Answer) -> bool:
    """Whether the part carrying the thought signature is written before any error."""
    if answer.signature is None:
        return False
    if answer.error_after is None:
        return True
    if answer.tool_calls:
        carrier = len(answer.thinking) + len(answer.text)  # the first call
    elif answer.text:
        carrier = len(answer.thinking) + len(answer.text) - 1  # the last text piece
    else:
        return False  # an empty text part after every content event: never before an error
    return answer.error_after > carrier


def _count(meta: dict[str, Any] | None, key: str) -> int | None:
    """A count of a ``usageMetadata`` (absent inside a present one: 0, as proto3 means it)."""
    return None if meta is None else int(meta.get(key, 0))


class GeminiWriter:
    """Writes Gemini ``alt=sse`` stream bodies (see the module docstring)."""

    provider = PROVIDER
    variants = VARIANTS
    content_type = "text/event-stream"
    errors = True

    def strategy(self) -> st.SearchStrategy[Answer]:
        """Any answer Gemini can give: usage always reported (with a prompt: never 0 tokens),
        thinking signed; a model with a list price or without."""
        return st.builds(
            _with_extras,
            answers(signature=True),
            st.integers(0, 2**32 - 1),
            st.builds(Usage, st.integers(1, 9000), st.integers(0, 9000)),
            st.sampled_from([*PRICED, "test-model-1"]),
        )

    def write(self, answer: Answer, variant: str) -> bytes:
        return write(answer, variant)

    def expected(self, answer: Answer, variant: str) -> Expected:
        text, thinking, calls = error_prefix(answer)
        tools = tuple(
            (stable_call_id(answer.id, c.name, c.arguments), c.name, c.arguments) for c in calls
        )
        meta = last_usage_metadata(answer, variant)
        input_tokens = _count(meta, "promptTokenCount")
        output_tokens = _count(meta, "candidatesTokenCount")
        cached = _count(meta, "cachedContentTokenCount")
        reasoning = _count(meta, "thoughtsTokenCount")
        cost = None
        if meta is not None and answer.model in PRICED:
            table, entry = PRICED[answer.model]
            billed = [_count(meta, k) or 0 for k in ("candidatesTokenCount", "thoughtsTokenCount")]
            prompt = [_count(meta, k) or 0 for k in ("promptTokenCount", "cachedContentTokenCount")]
            cost = list_cost(table, entry, prompt[0], sum(billed), prompt[1])  # thinking: output
        return Expected(
            text=text,
            thinking=thinking,
            tool_calls=tools,
            finish_reasons=None
            if answer.error_after is not None
            else [FINISH_REASON[answer.finish]],
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_tokens=cached,
            # An absent thoughtsTokenCount (a model that did not think) may read as None or 0.
            reasoning_tokens=reasoning if reasoning else ...,
            error=None if answer.error_after is None else StreamError,
            error_match=None if answer.error_after is None else "overloaded",
            ids_in_messages=False,
            cost=cost,
        )

    def check_extra(self, recovered: Any, expected: Expected, answer: Answer, variant: str) -> None:
        """The id and model; derived call ids stable and distinct for distinct calls; the
        model turn with its parts (thought and answer text apart, calls, the signature); one
        user turn of function responses, matched by name."""
        if expected.input_tokens is not None:
            assert recovered.id == answer.id, (recovered.id, answer.id)
            assert recovered.model == answer.model, (recovered.model, answer.model)
        if expected.reasoning_tokens is ... and expected.has_usage:
            assert recovered.common_usage.reasoning_tokens in (None, 0)
        ids = {(n, json.dumps(a, sort_keys=True)): i for i, n, a in expected.tool_calls}
        assert len(set(ids.values())) == len(ids), "distinct calls share a derived id"
        param = recovered.message_param
        assert param["role"] == "model", param
        parts = param["parts"]
        # Gemini rejects a turn with an empty text part ("Unable to submit request because it
        # has an empty text parameter"), and streams one now and then (the ``trailer`` chunk).
        assert {"text": ""} not in parts, f"an empty text part would be sent back: {parts}"
        said = "".join(p.get("text", "") for p in parts if not p.get("thought"))
        thought = "".join(p.get("text", "") for p in parts if p.get("thought"))
        assert (said, thought) == (expected.text, expected.thinking), parts
        sent_calls = [
            (p["functionCall"]["name"], p["functionCall"].get("args", {}))  # {} may be omitted
            for p in parts
            if "functionCall" in p
        ]
        assert sent_calls == [(n, a) for _, n, a in expected.tool_calls], parts
        signatures = [p["thoughtSignature"] for p in parts if "thoughtSignature" in p]
        assert signatures == ([answer.signature] if signature_sent(answer) else []), parts
        if answer.signature is not None and answer.tool_calls and signature_sent(answer):
            first_call = next(p for p in parts if "functionCall" in p)
            assert first_call.get("thoughtSignature") == answer.signature, parts
        responses = [
            {"functionResponse": {"name": name, "response": {"result": f"output {i}"}}}
            for i, (_, name, _) in enumerate(expected.tool_calls)
        ]
        want = [{"role": "user", "parts": responses}] if responses else []
        assert recovered.tool_message_params == want, recovered.tool_message_params


def _with_extras(answer: Answer, seed: int, fallback: Usage, model: str) -> Answer:
    usage = answer.usage if answer.usage is not None else fallback
    if answer.signature is not None:  # thought signatures are base64 (the SDK decodes them)
        answer = replace(answer, signature=base64.b64encode(answer.signature.encode()).decode())
    if usage.input_tokens == 0:  # a request always has a prompt
        usage = replace(usage, input_tokens=1)
    return replace(answer, usage=usage, model=model, extra={"seed": seed})
