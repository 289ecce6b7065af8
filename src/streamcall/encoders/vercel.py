"""The Vercel AI SDK's UI message stream (protocol ``v1``, ``ai`` 5 and later): SSE
``data: {part}`` events, then ``data: [DONE]``. The part shapes are the ``UIMessageChunk``
type of the ``ai`` package (``src/ui-message-stream/ui-message-chunks.ts``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from streamcall.core.base._accumulate import AssembledToolCall
from streamcall.core.base.events import (
    ErrorEvent,
    Finish,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
)
from streamcall.encoders._base import EncodableStream, Encoder, aencode, encode, error_text, first
from streamcall.encoders._base import json_bytes as _json
from streamcall.encoders.openai import ToolSlots

__all__ = ["UI_MESSAGE_STREAM_HEADERS", "VercelEncoder", "aencode_vercel", "encode_vercel"]

UI_MESSAGE_STREAM_HEADERS = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "connection": "keep-alive",
    "x-vercel-ai-ui-message-stream": "v1",
    "x-accel-buffering": "no",
}
"""The headers of a UI message stream response, as the ``ai`` package sends them
(``UI_MESSAGE_STREAM_HEADERS``)."""

FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool-calls",
    "content_filter": "content-filter",
    "error": "error",
}
DONE = b"data: [DONE]\n\n"


def _part(part: dict[str, Any]) -> bytes:
    return b"data: " + _json(part) + b"\n\n"


class VercelEncoder(Encoder):
    """Neutral events -> UI message stream parts.

    ``start`` (the message id), ``start-step``; text and reasoning as ``*-start`` /
    ``*-delta`` / ``*-end`` with an id each; a tool call as ``tool-input-start``,
    ``tool-input-delta`` and ``tool-input-available`` (its parsed input), or
    ``tool-input-error`` when its arguments are not a JSON object or the stream stopped in its
    middle; ``finish-step``, ``finish`` (its ``finishReason``); an error as ``error``. Every
    stream ends with ``[DONE]``.

    With ``call_tools=True`` the edges (:func:`~streamcall.encoders.encode`,
    :func:`~streamcall.encoders.aencode`, ``streaming_response``) also call the tool of each
    call that became ``tool-input-available`` (``tool.call()``, awaited by the async edge) and
    send what it returned as ``tool-output-available`` (its ``output``: the value as JSON), or
    what it raised as ``tool-output-error`` (its message; the stream goes on). An output that
    is not JSON (a ``str``, number, bool, ``None``, list, dict, dataclass...) is a
    ``tool-output-error`` too.

    Args:
        id: The message id (default: the stream's, else generated); ``model`` is unused.
        call_tools: Call the tools and send their outputs (default: only the calls are sent,
            for the client to run, as ``useChat``'s ``onToolCall`` does).
    """

    headers: ClassVar[dict[str, str]] = {
        k: v for k, v in UI_MESSAGE_STREAM_HEADERS.items() if k != "content-type"
    }
    id_prefix: ClassVar[str] = "msg-"

    def __init__(
        self, *, id: str | None = None, model: str | None = None, call_tools: bool = False
    ) -> None:
        super().__init__(id=id, model=model)
        self.calls_tools = call_tools
        self._due: list[tuple[str, AssembledToolCall]] = []
        self.tools = ToolSlots()
        self._parts = 0  # text and reasoning parts opened so far
        self._open: tuple[str, str] | None = None  # the open text/reasoning part: kind, id
        self._tool_seen = False
        self._finished = False

    def _start(self, out: list[bytes]) -> None:
        out.append(_part({"type": "start", "messageId": self.id}))
        out.append(_part({"type": "start-step"}))

    def _close(self, out: list[bytes]) -> None:
        if self._open is not None:
            kind, id = self._open
            self._open = None
            out.append(_part({"type": f"{kind}-end", "id": id}))

    def _stream(self, kind: str, text: str, out: list[bytes]) -> None:
        if self._open is None or self._open[0] != kind:
            self._close(out)
            self._open = (kind, f"{kind}-{self._parts}")
            self._parts += 1
            out.append(_part({"type": f"{kind}-start", "id": self._open[1]}))
        out.append(_part({"type": f"{kind}-delta", "id": self._open[1], "delta": text}))

    def _event(self, event: StreamEvent, out: list[bytes]) -> None:
        if isinstance(event, TextDelta):
            self._stream("text", event.text, out)
        elif isinstance(event, ThinkingDelta):
            self._stream("reasoning", event.text, out)
        elif isinstance(event, ToolCallStart):
            self._close(out)
            self._tool_seen = True
            slot = self.tools.open(event.id, event.index, "call_")
            start = {"toolCallId": self.tools.calls[slot], "toolName": event.name}
            out.append(_part({"type": "tool-input-start", **start}))
        elif isinstance(event, ToolCallDelta):
            found = self.tools.find(event.id, event.index)
            if found is not None:
                delta = {"toolCallId": self.tools.calls[found], "inputTextDelta": event.arguments}
                out.append(_part({"type": "tool-input-delta", **delta}))
        elif isinstance(event, ToolCallEnd):
            self._tool_end(event, out)
        elif isinstance(event, Finish):
            self._finished = True
            self._close(out)
            reason = first(event.reasons)
            if self._tool_seen and reason in (None, "stop"):
                reason = "tool_calls"
            finish = FINISH_REASONS.get(reason or "stop", "other")
            out.append(_part({"type": "finish-step"}))
            out.append(_part({"type": "finish", "finishReason": finish}))
            out.append(DONE)
        elif isinstance(event, ErrorEvent) and not self._finished:
            self._close(out)
            out.append(_part({"type": "error", "errorText": error_text(event.error)}))
            out.append(DONE)

    def _tool_end(self, event: ToolCallEnd, out: list[bytes]) -> None:
        call = event.call
        slot = self.tools.find(call.id, call.index)
        if slot is None:  # a call whose start was never seen: all of it now
            slot = self.tools.open(call.id, call.index, "call_")
        tool = {"toolCallId": self.tools.calls[slot], "toolName": call.name}
        if call.error is None:
            out.append(_part({"type": "tool-input-available", **tool, "input": call.arguments}))
            if self.calls_tools:
                self._due.append((tool["toolCallId"], call))
        else:  # as the ai package marks a call it cannot use: the raw input kept
            error = {"input": call.arguments_json, "errorText": call.error}
            out.append(_part({"type": "tool-input-error", **tool, **error}))

    def due(self) -> list[tuple[str, AssembledToolCall]]:
        """The calls whose tools are to be called now (with ``call_tools``), taken."""
        due, self._due = self._due, []
        return due

    def tool_output(self, call_id: str, output: Any) -> bytes:
        """``tool-output-available`` with ``output`` (``tool-output-error`` if it is not
        JSON)."""
        try:
            return _part({"type": "tool-output-available", "toolCallId": call_id, "output": output})
        except TypeError as exc:  # msgspec: a type it cannot encode
            return self.tool_error(call_id, TypeError(f"the tool's output is not JSON: {exc}"))

    def tool_error(self, call_id: str, error: BaseException) -> bytes:
        """``tool-output-error`` with the error's message."""
        return _part(
            {"type": "tool-output-error", "toolCallId": call_id, "errorText": error_text(error)}
        )


def encode_vercel(stream: EncodableStream, *, call_tools: bool = False) -> Iterator[bytes]:
    """A sync stream as a Vercel AI SDK UI message stream (see :class:`VercelEncoder`;
    ``call_tools``: call the tools and send their outputs)."""
    return encode(stream, VercelEncoder(call_tools=call_tools))


def aencode_vercel(stream: EncodableStream, *, call_tools: bool = False) -> AsyncIterator[bytes]:
    """An async stream as a Vercel AI SDK UI message stream (async tools are awaited)."""
    return aencode(stream, VercelEncoder(call_tools=call_tools))
