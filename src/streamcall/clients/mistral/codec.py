"""Mistral chat codec: request bodies out, typed events in (pure, no I/O).

Streamed responses are data-only SSE ending with ``data: [DONE]``. Each event decodes in one
msgspec pass into :class:`~.models.CompletionChunk`. Only when that strict pass fails does the
lenient path run: it turns an error payload into :class:`~streamcall.errors.StreamError`, wraps
content chunks of unknown type as :class:`~.models.UnknownChunk`, and reports anything else as
:class:`~streamcall.errors.StreamDecodeError` (never a bare validation error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import msgspec

from streamcall.clients._codec import (
    check_messages,
    decode_error,
    encode_json,
    payload_error,
    replace_unknown_chunks,
    without_none,
)
from streamcall.clients.mistral.models import (
    KNOWN_CHUNK_TYPES,
    ChatCompletionResponse,
    CompletionChunk,
    CompletionEvent,
)
from streamcall.errors import StreamError, StreamInterruptedError
from streamcall.transport.stream import EndOfStream, FrameCodec
from streamcall.wire.sse import ServerSentEvent

__all__ = ["ChatStreamCodec", "build_chat_body", "decode_chat_response"]

DONE: Final = "[DONE]"
_chunk_decoder = msgspec.json.Decoder(CompletionChunk)
_chunks_decoder = msgspec.json.Decoder(list[CompletionChunk])
_response_decoder = msgspec.json.Decoder(ChatCompletionResponse)


def build_chat_body(
    *, model: str, messages: object, stream: bool, params: Mapping[str, Any]
) -> bytes:
    """The JSON body of a chat request; ``None`` parameters are left out."""
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a non-empty string, got {model!r}")
    extra = params.get("extra_body") or {}
    body = {
        "model": model,
        "messages": check_messages(messages),
        "stream": stream,
        **without_none({k: v for k, v in params.items() if k != "extra_body"}),
        **extra,
    }
    return encode_json(body)


def _lenient(raw: str, target: type[Any], what: str) -> Any:
    try:
        payload = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise decode_error(what, raw, exc) from None
    error = payload_error(payload)
    if error is not None:
        raise error
    if isinstance(payload, dict):
        for choice in payload.get("choices") or ():
            if isinstance(choice, dict):
                for key in ("delta", "message"):
                    part = choice.get(key)
                    if isinstance(part, dict):
                        replace_unknown_chunks(part.get("content"), KNOWN_CHUNK_TYPES)
    try:
        return msgspec.convert(payload, target)
    except msgspec.ValidationError as exc:
        raise decode_error(what, raw, exc) from None


def decode_chunk(raw: str) -> CompletionChunk:
    """One streamed chunk from its JSON text."""
    try:
        return _chunk_decoder.decode(raw)
    except msgspec.ValidationError:
        chunk: CompletionChunk = _lenient(raw, CompletionChunk, "a Mistral stream chunk")
        return chunk
    except msgspec.DecodeError as exc:
        raise decode_error("a Mistral stream chunk", raw, exc) from None


def decode_chat_response(raw: bytes) -> ChatCompletionResponse:
    """A non-streamed chat completion from its JSON body."""
    try:
        return _response_decoder.decode(raw)
    except msgspec.ValidationError:
        text = raw.decode("utf-8", "replace")
        response: ChatCompletionResponse = _lenient(text, ChatCompletionResponse, "a response")
        return response
    except msgspec.DecodeError as exc:
        raise decode_error("a Mistral chat response", raw, exc) from None


class ChatStreamCodec(FrameCodec[ServerSentEvent, CompletionEvent]):
    """SSE events of a chat stream -> :class:`CompletionEvent`.

    A chunk with ``finish_reason == "error"`` is still delivered; the :class:`StreamError` is
    raised after it, when the stream ends, so no text is lost.
    """

    __slots__ = ("_error", "_finished", "stop")

    def __init__(self) -> None:
        self._error: StreamError | None = None
        self._finished = False
        self.stop: BaseException | None = None

    def decode_all(self, frames: list[ServerSentEvent]) -> list[CompletionEvent]:
        # Fast path: every event of this read is a chunk -> one msgspec call decodes them all.
        # Anything else (the end marker, an error payload, an unknown content type) takes the
        # exact per-event path.
        if len(frames) > 1:
            raws = [frame.data for frame in frames]
            try:
                chunks = _chunks_decoder.decode("[" + ",".join(raws) + "]")
            except msgspec.MsgspecError:
                pass
            else:
                if len(chunks) == len(raws):
                    for chunk in chunks:
                        for choice in chunk.choices:
                            if choice.finish_reason is not None:
                                self._on_finish(choice.finish_reason, chunk)
                    return [
                        CompletionEvent(data=c, raw=r) for c, r in zip(chunks, raws, strict=True)
                    ]
        return super().decode_all(frames)

    def decode(self, frame: ServerSentEvent) -> CompletionEvent | None:
        raw = frame.data
        if raw == DONE:
            raise EndOfStream
        chunk = decode_chunk(raw)
        for choice in chunk.choices:
            if choice.finish_reason is not None:
                self._on_finish(choice.finish_reason, chunk)
        return CompletionEvent(data=chunk, raw=raw)

    def _on_finish(self, finish_reason: str, chunk: CompletionChunk) -> None:
        self._finished = True
        if finish_reason == "error" and self._error is None:
            self._error = StreamError(
                "Mistral ended the stream with finish_reason='error'",
                type="finish_reason_error",
                body=chunk.model_dump(),
            )

    def finish(self, ended: bool) -> None:
        if self._error is not None:
            raise self._error
        if not ended and not self._finished:
            raise StreamInterruptedError(
                "The Mistral stream ended without a finish_reason or 'data: [DONE]'"
            )
