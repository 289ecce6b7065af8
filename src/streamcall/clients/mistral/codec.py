"""Mistral chat codec: request bodies out, typed events in (pure, no I/O).

Streamed responses are data-only SSE ending with ``data: [DONE]``. Each event decodes in one
msgspec pass into :class:`~.models.CompletionChunk`. Only when that strict pass fails does the
lenient path run: it turns an error payload into :class:`~streamcall.errors.StreamError`, wraps
content chunks of unknown type as :class:`~.models.UnknownChunk`, and reports anything else as
:class:`~streamcall.errors.StreamDecodeError` (never a bare validation error).
"""

from __future__ import annotations

from typing import Any

from streamcall.clients._codec import (
    JsonDecoderPair,
    JsonSSECodec,
    build_chat_body,
    replace_unknown_chunks,
)
from streamcall.clients.mistral.models import (
    KNOWN_CHUNK_TYPES,
    ChatCompletionResponse,
    CompletionChunk,
    CompletionEvent,
)
from streamcall.errors import StreamError

__all__ = ["CHUNKS", "RESPONSES", "ChatStreamCodec", "build_chat_body", "decode_chat_response"]


def _wrap_unknown_content(payload: Any) -> None:
    if isinstance(payload, dict):
        for choice in payload.get("choices") or ():
            if isinstance(choice, dict):
                for key in ("delta", "message"):
                    part = choice.get(key)
                    if isinstance(part, dict):
                        replace_unknown_chunks(part.get("content"), KNOWN_CHUNK_TYPES)


CHUNKS = JsonDecoderPair(CompletionChunk, "a Mistral stream chunk", _wrap_unknown_content)
RESPONSES = JsonDecoderPair(
    ChatCompletionResponse, "a Mistral chat response", _wrap_unknown_content
)
decode_chat_response = RESPONSES.decode  # a non-streamed body


class ChatStreamCodec(JsonSSECodec[CompletionEvent]):
    """SSE events of a chat stream -> :class:`CompletionEvent`.

    A chunk with ``finish_reason == "error"`` is still delivered; the :class:`StreamError` is
    raised after it, when the stream ends (``error`` without ``done``), so no text is lost.
    """

    __slots__ = ()
    payloads = CHUNKS
    interrupted = "The Mistral stream ended without a finish_reason or 'data: [DONE]'"

    def wrap(self, items: list[CompletionChunk], raws: list[str]) -> list[CompletionEvent]:
        for chunk in items:
            for choice in chunk.choices:
                if choice.finish_reason is not None:
                    self._on_finish(choice.finish_reason, chunk)
        return [CompletionEvent(data=c, raw=r) for c, r in zip(items, raws, strict=True)]

    def wrap_one(self, item: CompletionChunk, raw: str) -> list[CompletionEvent]:
        for choice in item.choices:
            if choice.finish_reason is not None:
                self._on_finish(choice.finish_reason, item)
        return [CompletionEvent(data=item, raw=raw)]

    def _on_finish(self, finish_reason: str, chunk: CompletionChunk) -> None:
        self.finished = True
        if finish_reason == "error" and self.error is None:
            self.error = StreamError(
                "Mistral ended the stream with finish_reason='error'",
                type="finish_reason_error",
                body=chunk.model_dump(),
            )
