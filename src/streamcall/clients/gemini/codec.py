"""Gemini codec (pure): ``alt=sse`` chunks in (CRLF framing, no terminator), errors raised.

An ``{"error": {...}}`` payload in the stream becomes :class:`~streamcall.errors.StreamError`
after the chunks before it are delivered.
"""

from __future__ import annotations

from streamcall.clients._codec import JsonDecoderPair, JsonSSECodec, payload_error
from streamcall.clients.gemini.models import GenerateContentResponse

__all__ = ["RESPONSES", "StreamCodec", "decode_response"]

RESPONSES = JsonDecoderPair(GenerateContentResponse, "a Gemini response")
decode_response = RESPONSES.decode  # a non-streamed body


class StreamCodec(JsonSSECodec[GenerateContentResponse]):
    """SSE events of ``streamGenerateContent?alt=sse`` -> :class:`GenerateContentResponse`."""

    __slots__ = ()
    payloads = RESPONSES
    done_sentinel = None
    interrupted = "The Gemini stream ended without a finishReason"
    unmarked_end = True  # the chunk with the finish reason is the last; no marker follows

    def wrap(
        self, items: list[GenerateContentResponse], raws: list[str]
    ) -> list[GenerateContentResponse]:
        for position, (item, raw) in enumerate(zip(items, raws, strict=True)):
            item.raw = raw
            if item.error is not None:
                self.done, self.error = True, payload_error({"error": item.error})
                return items[:position]
            for candidate in item.candidates:
                if candidate.finish_reason is not None:
                    self.finished = True
        return items

    def wrap_one(self, item: GenerateContentResponse, raw: str) -> list[GenerateContentResponse]:
        item.raw = raw
        if item.error is not None:
            self.done, self.error = True, payload_error({"error": item.error})
            return []
        for candidate in item.candidates:
            if candidate.finish_reason is not None:
                self.finished = True
        return [item]
