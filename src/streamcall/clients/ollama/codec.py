"""Ollama native codec (pure): NDJSON lines in; an ``{"error": ...}`` line is raised in order."""

from __future__ import annotations

from streamcall.clients._codec import JsonDecoderPair, JsonLinesCodec
from streamcall.clients.ollama.models import ChatResponse
from streamcall.errors import StreamError

__all__ = ["RESPONSES", "ChatStreamCodec", "decode_chat_response"]

RESPONSES = JsonDecoderPair(ChatResponse, "an Ollama chat line")
decode_chat_response = RESPONSES.decode  # a non-streamed body


class ChatStreamCodec(JsonLinesCodec[ChatResponse]):
    """NDJSON lines of ``/api/chat`` -> :class:`ChatResponse`."""

    __slots__ = ()
    payloads = RESPONSES
    interrupted = "The Ollama stream ended before its done line"

    def wrap(self, items: list[ChatResponse], raws: list[str]) -> list[ChatResponse]:
        for position, (item, raw) in enumerate(zip(items, raws, strict=True)):
            item.raw = raw
            if item.error is not None:
                self._failed(item, raw)
                return items[:position]
            if item.done:  # the protocol's end marker: what follows is drained, not read
                self.finished = self.done = True
        return items

    def wrap_one(self, item: ChatResponse, raw: str) -> list[ChatResponse]:
        item.raw = raw
        if item.error is not None:
            self._failed(item, raw)
            return []
        if item.done:
            self.finished = self.done = True
        return [item]

    def _failed(self, item: ChatResponse, raw: str) -> None:
        self.done = True
        self.error = StreamError(
            f"The provider reported an error in the stream: {item.error}", body=raw
        )
