"""OpenAI Responses codec (pure): typed events in; errors raised after the terminal event.

The stream ends with ``response.completed``, ``response.incomplete`` or ``response.failed``
(no ``[DONE]``). An ``error`` event, or a failed response, becomes
:class:`~streamcall.errors.StreamError`, raised after every event up to the terminal one has
been delivered (so the response id, status and partial output are not lost).
"""

from __future__ import annotations

from streamcall.clients._codec import JsonDecoderPair, JsonSSECodec
from streamcall.clients.openai.responses_models import Response, ResponseStreamEvent
from streamcall.errors import StreamError

__all__ = ["EVENTS", "RESPONSES", "TERMINAL", "ResponsesStreamCodec", "decode_response"]

EVENTS = JsonDecoderPair(ResponseStreamEvent, "an OpenAI Responses event")
RESPONSES = JsonDecoderPair(Response, "an OpenAI response")
TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
decode_response = RESPONSES.decode  # a non-streamed body


def _error(event: ResponseStreamEvent, raw: str) -> StreamError:
    detail = event.error
    code = (detail.code if detail else None) or event.code
    message = (detail.message if detail else None) or event.message or "no message"
    kind = (detail.type if detail else None) or code
    return StreamError(
        f"The provider reported an error in the stream: {message}", type=kind, code=code, body=raw
    )


def _failed(event: ResponseStreamEvent, raw: str) -> StreamError:
    response = event.response
    failure = response.error if response is not None else None
    return StreamError(
        f"The response failed: {(failure.message if failure else None) or 'no message'}",
        type=failure.code if failure else None,
        code=failure.code if failure else None,
        body=raw,
    )


class ResponsesStreamCodec(JsonSSECodec[ResponseStreamEvent]):
    """SSE events of a streamed response -> :class:`ResponseStreamEvent`."""

    __slots__ = ()
    payloads = EVENTS
    done_sentinel = None
    interrupted = "The response stream ended before a terminal event"

    def wrap(self, items: list[ResponseStreamEvent], raws: list[str]) -> list[ResponseStreamEvent]:
        for position, (event, raw) in enumerate(zip(items, raws, strict=True)):
            event.raw = raw
            kind = event.type
            if kind == "error" and self.error is None:
                self.error = _error(event, raw)
            elif kind in TERMINAL:
                self.done = True
                if kind == "response.failed" and self.error is None:
                    self.error = _failed(event, raw)
                return items[: position + 1]
        return items

    def wrap_one(self, item: ResponseStreamEvent, raw: str) -> list[ResponseStreamEvent]:
        item.raw = raw
        kind = item.type
        if kind == "error":
            if self.error is None:
                self.error = _error(item, raw)
        elif kind in TERMINAL:
            self.done = True
            if kind == "response.failed" and self.error is None:
                self.error = _failed(item, raw)
        return [item]
