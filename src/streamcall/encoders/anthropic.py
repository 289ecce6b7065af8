"""Anthropic Messages streaming: ``message_start``, content blocks (text, thinking, tool use)
with their deltas, ``message_delta`` (stop reason, usage), ``message_stop``; an error is
``event: error``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from streamcall.core.base._accumulate import Usage
from streamcall.core.base.events import (
    ErrorEvent,
    Finish,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ThinkingSignature,
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
    reason_in,
)

__all__ = ["ANTHROPIC_HEADERS", "AnthropicEncoder", "aencode_anthropic", "encode_anthropic"]

ANTHROPIC_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
"""The headers an Anthropic-format streaming response carries (beside its media type)."""

STOP_REASONS = frozenset(
    {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"}
)
COMMON_TO_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


def _sse(name: str, body: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + json_bytes(body) + b"\n\n"


def anthropic_counts(usage: Usage | None) -> dict[str, int]:
    """Usage counted as Anthropic counts it: input tokens exclude cache reads and writes."""
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    cached = usage.cached_tokens or 0
    written = usage.cache_write_tokens or 0
    given = usage.input_tokens or 0
    output = usage.output_tokens or 0
    if not usage.output_includes_reasoning:
        output += usage.reasoning_tokens or 0
    return {
        "input_tokens": given if not usage.input_includes_cached else max(given - cached, 0),
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": cached,
        "output_tokens": output,
    }


class AnthropicEncoder(Encoder):
    """Neutral events -> Anthropic Messages SSE bytes.

    Text and thinking each stream into one block until another kind of content starts; each
    tool call is its own ``tool_use`` block, closed at its end.

    Args:
        id, model: The message id and model (default: the stream's, else generated).
    """

    headers: ClassVar[dict[str, str]] = ANTHROPIC_HEADERS
    id_prefix: ClassVar[str] = "msg_"

    def __init__(self, *, id: str | None = None, model: str | None = None) -> None:
        super().__init__(id=id, model=model)
        self.usage: Usage | None = None
        self._blocks = 0  # blocks opened so far (the next block's index)
        self._text: int | None = None  # the open text block
        self._thinking: int | None = None  # the open thinking block
        self._tools: dict[tuple[str, Any], int] = {}  # open tool_use blocks, by id / index
        self._open: list[int] = []  # every open block, in order
        self._tool_seen = False
        self._finished = False
        self._pending_start: dict[str, Any] | None = None

    def _start(self, out: list[bytes]) -> None:
        message: dict[str, Any] = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        self._pending_start = message

    def _flush_start(self, out: list[bytes]) -> None:
        """``message_start``, with the input tokens when the first event brought them."""
        message = self._pending_start
        if message is not None:
            self._pending_start = None
            message["usage"] = anthropic_counts(self.usage)
            out.append(_sse("message_start", {"type": "message_start", "message": message}))

    def _open_block(self, block: dict[str, Any], out: list[bytes]) -> int:
        index = self._blocks
        self._blocks += 1
        self._open.append(index)
        body = {"type": "content_block_start", "index": index, "content_block": block}
        out.append(_sse("content_block_start", body))
        return index

    def _close_block(self, index: int | None, out: list[bytes]) -> None:
        if index is None or index not in self._open:
            return
        self._open.remove(index)
        if index == self._text:
            self._text = None
        if index == self._thinking:
            self._thinking = None
        body = {"type": "content_block_stop", "index": index}
        out.append(_sse("content_block_stop", body))

    def _delta(self, index: int, delta: dict[str, Any], out: list[bytes]) -> None:
        body = {"type": "content_block_delta", "index": index, "delta": delta}
        out.append(_sse("content_block_delta", body))

    def _event(self, event: StreamEvent, out: list[bytes]) -> None:
        if isinstance(event, UsageUpdate):
            self.usage = event.usage
            return
        self._flush_start(out)
        if isinstance(event, TextDelta):
            self._close_block(self._thinking, out)
            if self._text is None:
                self._text = self._open_block({"type": "text", "text": ""}, out)
            self._delta(self._text, {"type": "text_delta", "text": event.text}, out)
        elif isinstance(event, ThinkingDelta | ThinkingSignature):
            self._close_block(self._text, out)
            if self._thinking is None:
                block = {"type": "thinking", "thinking": "", "signature": ""}
                self._thinking = self._open_block(block, out)
            if isinstance(event, ThinkingDelta):
                delta = {"type": "thinking_delta", "thinking": event.text}
            else:
                delta = {"type": "signature_delta", "signature": event.signature}
            self._delta(self._thinking, delta, out)
        elif isinstance(event, ToolCallStart):
            self._tool_start(event.id, event.name, event.index, out)
        elif isinstance(event, ToolCallDelta):
            index = self._tool_block(event.id, event.index)
            if index is not None:
                delta = {"type": "input_json_delta", "partial_json": event.arguments}
                self._delta(index, delta, out)
        elif isinstance(event, ToolCallEnd):
            self._close_block(self._tool_block(event.call.id, event.call.index), out)
        elif isinstance(event, Finish):
            self._finish(event, out)
        elif isinstance(event, ErrorEvent) and not self._finished:
            kind = getattr(event.error, "type", None) or "api_error"
            error = {"type": kind, "message": error_text(event.error)}
            out.append(_sse("error", {"type": "error", "error": error}))

    def _tool_start(self, id: str | None, name: str, index: int | None, out: list[bytes]) -> None:
        self._tool_seen = True
        self._close_block(self._text, out)
        self._close_block(self._thinking, out)
        block = {"type": "tool_use", "id": id or new_id("toolu_"), "name": name, "input": {}}
        opened = self._open_block(block, out)
        if id is not None:
            self._tools["id", id] = opened
        if index is not None:
            self._tools["index", index] = opened

    def _tool_block(self, id: str | None, index: int | None) -> int | None:
        if id is not None and ("id", id) in self._tools:
            return self._tools["id", id]
        if index is not None and ("index", index) in self._tools:
            return self._tools["index", index]
        tools = [i for i in self._open if i not in (self._text, self._thinking)]
        return tools[-1] if tools else None

    def _finish(self, event: Finish, out: list[bytes]) -> None:
        self._finished = True
        for index in list(self._open):
            self._close_block(index, out)
        body = {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason(event, self._tool_seen), "stop_sequence": None},
            "usage": anthropic_counts(self.usage),
        }
        out.append(_sse("message_delta", body))
        out.append(_sse("message_stop", {"type": "message_stop"}))


def stop_reason(event: Finish, tool_calls: bool) -> str:
    """Anthropic's stop reason: the provider's own where Anthropic has it, else mapped from
    the common one (``tool_use`` when the answer ended in tool calls)."""
    return reason_in(event, tool_calls, STOP_REASONS, COMMON_TO_STOP)


def encode_anthropic(stream: EncodableStream) -> Iterator[bytes]:
    """A sync stream as Anthropic Messages SSE bytes (see :class:`AnthropicEncoder`)."""
    return encode(stream, AnthropicEncoder())


def aencode_anthropic(stream: EncodableStream) -> AsyncIterator[bytes]:
    """An async stream as Anthropic Messages SSE bytes."""
    return aencode(stream, AnthropicEncoder())
