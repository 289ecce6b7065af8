"""OpenAI Chat Completions codec (pure): typed chunks in, errors recognised.

Data-only SSE ending with ``data: [DONE]``; ``: keep-alive`` comments (DeepSeek) are ignored by
the SSE decoder. An ``{"error": ...}`` payload after HTTP 200 (OpenAI, vLLM) becomes
:class:`~streamcall.errors.StreamError` after the chunks before it are delivered.
"""

from __future__ import annotations

from streamcall.clients._codec import JsonDecoderPair, JsonSSECodec
from streamcall.clients.openai.models import ChatCompletion, ChatCompletionChunk

__all__ = ["CHUNKS", "COMPLETIONS", "ChatStreamCodec", "decode_chat_completion"]

CHUNKS = JsonDecoderPair(ChatCompletionChunk, "an OpenAI stream chunk")
COMPLETIONS = JsonDecoderPair(ChatCompletion, "an OpenAI chat completion")
decode_chat_completion = COMPLETIONS.decode  # a non-streamed body


class ChatStreamCodec(JsonSSECodec[ChatCompletionChunk]):
    """SSE events of a chat stream -> :class:`ChatCompletionChunk` (with ``raw`` set)."""

    __slots__ = ()
    payloads = CHUNKS
    interrupted = "The chat stream ended without a finish_reason or 'data: [DONE]'"

    def wrap(self, items: list[ChatCompletionChunk], raws: list[str]) -> list[ChatCompletionChunk]:
        for chunk, raw in zip(items, raws, strict=True):
            chunk.raw = raw
            if not self.finished:
                for choice in chunk.choices:
                    if choice.finish_reason is not None:
                        self.finished = True
        return items

    def wrap_one(self, item: ChatCompletionChunk, raw: str) -> list[ChatCompletionChunk]:
        item.raw = raw
        if not self.finished:
            for choice in item.choices:
                if choice.finish_reason is not None:
                    self.finished = True
        return [item]
