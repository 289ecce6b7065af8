"""Cohere v2 chat codec: request bodies out, typed events in (pure, no I/O).

Streamed responses are SSE with ``event:`` lines naming the JSON ``type``; the stream ends after
``message-end`` (a ``data: [DONE]`` line, which the SDK also accepts, ends it too). A
``message-end`` with ``finish_reason`` ``ERROR`` is delivered, then raised as
:class:`~streamcall.errors.StreamError`.
"""

from __future__ import annotations

from streamcall.clients._codec import (
    JsonDecoderPair,
    JsonSSECodec,
    build_chat_body,
)
from streamcall.clients.cohere.models import ChatResponse, StreamEvent
from streamcall.errors import StreamError

__all__ = ["EVENTS", "RESPONSES", "ChatStreamCodec", "build_chat_body", "decode_chat_response"]

EVENTS = JsonDecoderPair(StreamEvent, "a Cohere stream event")
RESPONSES = JsonDecoderPair(ChatResponse, "a Cohere chat response")
ERROR_FINISH = frozenset({"ERROR", "ERROR_TOXIC", "ERROR_LIMIT", "TIMEOUT"})
decode_chat_response = RESPONSES.decode  # a non-streamed body


class ChatStreamCodec(JsonSSECodec[StreamEvent]):
    """SSE events of a v2 chat stream -> :class:`StreamEvent`."""

    __slots__ = ()
    payloads = EVENTS
    interrupted = "The Cohere stream ended before its message-end event"

    def wrap(self, items: list[StreamEvent], raws: list[str]) -> list[StreamEvent]:
        for event, raw in zip(items, raws, strict=True):
            event.raw = raw
            if event.type == "message-end":
                self._ended(event, raw)
        return items

    def wrap_one(self, item: StreamEvent, raw: str) -> list[StreamEvent]:
        item.raw = raw
        if item.type == "message-end":
            self._ended(item, raw)
        return [item]

    def _ended(self, event: StreamEvent, raw: str) -> None:
        self.finished = True
        delta = event.delta
        reason = delta.finish_reason if delta is not None else None
        if (reason in ERROR_FINISH or (delta and delta.error)) and self.error is None:
            message = (delta.error if delta else None) or f"finish_reason={reason!r}"
            self.error = StreamError(
                f"Cohere ended the stream with an error: {message}", type=reason, body=raw
            )
