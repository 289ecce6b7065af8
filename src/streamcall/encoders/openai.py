"""OpenAI Chat Completions streaming: ``data: {chat.completion.chunk}`` events, then
``data: [DONE]``; an error mid-stream is ``data: {"error": {...}}``, as OpenAI-compatible
servers send it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from streamcall.core.base._accumulate import Usage
from streamcall.core.base.events import (
    ErrorEvent,
    Finish,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
    UsageUpdate,
)
from streamcall.encoders._base import (
    EncodableStream,
    Encoder,
    aencode,
    encode,
    error_text,
    json_bytes,
    new_id,
    openai_counts,
    reason_in,
)

__all__ = ["OPENAI_HEADERS", "OpenAIChatEncoder", "aencode_openai", "encode_openai"]

OPENAI_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
"""The headers an OpenAI-format streaming response carries (beside its media type)."""

FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
DONE = b"data: [DONE]\n\n"


class ToolSlots:
    """Which output index each tool call of the stream has (by its id, else its index)."""

    __slots__ = ("_by_key", "calls")

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, Any], int] = {}
        self.calls: list[str] = []  # the output id of each call, by output index

    def open(self, id: str | None, index: int | None, prefix: str) -> int:
        """A new call: its output index (its output id is ``calls[i]``)."""
        slot = len(self.calls)
        self.calls.append(id or new_id(prefix))
        if id is not None:
            self._by_key["id", id] = slot
        if index is not None:
            self._by_key["index", index] = slot
        return slot

    def find(self, id: str | None, index: int | None) -> int | None:
        """The output index of a call the stream named before (else the last one)."""
        if id is not None and ("id", id) in self._by_key:
            return self._by_key["id", id]
        if index is not None and ("index", index) in self._by_key:
            return self._by_key["index", index]
        return len(self.calls) - 1 if self.calls else None


class OpenAIChatEncoder(Encoder):
    """Neutral events -> OpenAI ``chat.completion.chunk`` SSE bytes.

    Args:
        id, model: The completion id and model (default: the stream's, else generated).
        include_usage: Send the usage-only chunk (``choices: []``) before ``[DONE]``, as
            ``stream_options={"include_usage": True}`` asks of OpenAI.
        created: The ``created`` timestamp (default: now).
    """

    headers: ClassVar[dict[str, str]] = OPENAI_HEADERS
    id_prefix: ClassVar[str] = "chatcmpl-"

    def __init__(
        self,
        *,
        id: str | None = None,
        model: str | None = None,
        include_usage: bool = True,
        created: int | None = None,
    ) -> None:
        super().__init__(id=id, model=model)
        self.include_usage = include_usage
        self.created = int(time.time()) if created is None else created
        self.usage: Usage | None = None
        self.tools = ToolSlots()
        self._tool_seen = False
        self._finished = False

    def _chunk(self, choices: list[dict[str, Any]], **more: Any) -> bytes:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **more,
        }
        return b"data: " + json_bytes(body) + b"\n\n"

    def _delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return self._chunk([choice])

    def _start(self, out: list[bytes]) -> None:
        out.append(self._delta({"role": "assistant", "content": ""}))

    def _event(self, event: StreamEvent, out: list[bytes]) -> None:
        if isinstance(event, TextDelta):
            out.append(self._delta({"content": event.text}))
        elif isinstance(event, ThinkingDelta):
            out.append(self._delta({"reasoning_content": event.text}))
        elif isinstance(event, ToolCallStart):
            self._tool_seen = True
            slot = self.tools.open(event.id, event.index, "call_")
            call = {
                "index": slot,
                "id": self.tools.calls[slot],
                "type": "function",
                "function": {"name": event.name, "arguments": ""},
            }
            out.append(self._delta({"tool_calls": [call]}))
        elif isinstance(event, ToolCallDelta):
            found = self.tools.find(event.id, event.index)
            if found is not None:
                fragment = {"index": found, "function": {"arguments": event.arguments}}
                out.append(self._delta({"tool_calls": [fragment]}))
        elif isinstance(event, ToolCallEnd):
            self._tool_seen = True
        elif isinstance(event, UsageUpdate):
            self.usage = event.usage
        elif isinstance(event, Finish):
            self._finish(event, out)
        elif isinstance(event, ErrorEvent) and not self._finished:
            error = event.error
            kind = getattr(error, "type", None) or "server_error"
            body = {"error": {"message": error_text(error), "type": kind, "code": None}}
            out.append(b"data: " + json_bytes(body) + b"\n\n")

    def _finish(self, event: Finish, out: list[bytes]) -> None:
        self._finished = True
        out.append(self._delta({}, finish_reason(event, self._tool_seen)))
        if self.include_usage and self.usage is not None:
            counts = openai_counts(self.usage)
            usage = {
                "prompt_tokens": counts["prompt_tokens"],
                "completion_tokens": counts["completion_tokens"],
                "total_tokens": counts["total_tokens"],
                "prompt_tokens_details": {"cached_tokens": counts["cached_tokens"]},
                "completion_tokens_details": {"reasoning_tokens": counts["reasoning_tokens"]},
            }
            out.append(self._chunk([], usage=usage))
        out.append(DONE)


def finish_reason(event: Finish, tool_calls: bool) -> str:
    """OpenAI's finish reason: the provider's own where OpenAI has it, else the common one
    (``tool_calls`` when the answer ended in tool calls)."""
    return reason_in(event, tool_calls, FINISH_REASONS, _COMMON)


_COMMON = {reason: reason for reason in FINISH_REASONS}


def encode_openai(stream: EncodableStream, *, include_usage: bool = True) -> Iterator[bytes]:
    """A sync stream as OpenAI Chat Completions SSE bytes (see :class:`OpenAIChatEncoder`)."""
    return encode(stream, OpenAIChatEncoder(include_usage=include_usage))


def aencode_openai(stream: EncodableStream, *, include_usage: bool = True) -> AsyncIterator[bytes]:
    """An async stream as OpenAI Chat Completions SSE bytes."""
    return aencode(stream, OpenAIChatEncoder(include_usage=include_usage))
