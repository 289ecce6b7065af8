"""Anthropic Messages codec (pure): typed events in, ``event: error`` raised in order.

The stream ends with ``message_stop`` (no ``[DONE]``). An ``error`` event (for example
``overloaded_error``) becomes :class:`~streamcall.errors.StreamError` after the events before it
are delivered; ``ping`` events pass through (the call layer ignores them).
"""

from __future__ import annotations

from streamcall.clients._codec import JsonDecoderPair, JsonSSECodec
from streamcall.clients.anthropic.models import Message, MessageStreamEvent
from streamcall.errors import StreamError

__all__ = ["EVENTS", "MESSAGES", "MessagesStreamCodec", "decode_message"]

EVENTS = JsonDecoderPair(MessageStreamEvent, "an Anthropic stream event")
MESSAGES = JsonDecoderPair(Message, "an Anthropic message")
decode_message = MESSAGES.decode  # a non-streamed body


class MessagesStreamCodec(JsonSSECodec[MessageStreamEvent]):
    """SSE events of a Messages stream -> :class:`MessageStreamEvent`."""

    __slots__ = ()
    payloads = EVENTS
    interrupted = "The Anthropic stream ended before message_stop"

    def wrap(self, items: list[MessageStreamEvent], raws: list[str]) -> list[MessageStreamEvent]:
        for position, (event, raw) in enumerate(zip(items, raws, strict=True)):
            event.raw = raw
            kind = event.type
            if kind == "error":
                self._failed(event, raw)
                return items[:position]
            if kind == "message_stop":
                self.done = True
                return items[: position + 1]
        return items

    def wrap_one(self, item: MessageStreamEvent, raw: str) -> list[MessageStreamEvent]:
        item.raw = raw
        kind = item.type
        if kind == "error":
            self._failed(item, raw)
            return []
        if kind == "message_stop":
            self.done = True
        return [item]

    def _failed(self, event: MessageStreamEvent, raw: str) -> None:
        detail = event.error
        self.done = True
        self.error = StreamError(
            "The provider reported an error in the stream: "
            f"{(detail.message if detail else None) or 'no message'}",
            type=detail.type if detail else None,
            body=raw,
        )
