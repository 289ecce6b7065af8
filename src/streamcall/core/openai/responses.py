"""OpenAI Responses API call layer: ``@openai_responses_call("gpt-5-mini", stream=True)``.

A second OpenAI mode beside Chat Completions (a separate decorator, so each mode keeps its own
typed chunks). Because the Responses API takes a list of input items, ``message_param`` here is
a *list* (the assistant message and its function calls): continue a conversation with
``[*history, *stream.message_param, *stream.tool_message_params(results)]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from streamcall.clients.openai.responses_codec import TERMINAL
from streamcall.clients.openai.responses_models import (
    OutputItem,
    Response,
    ResponseStreamEvent,
    ResponseUsage,
)
from streamcall.core.base._accumulate import (
    ToolCallAssembler,
    ToolCallPart,
    UsageReport,
    merge_usage,
)
from streamcall.core.base._call import ChatSpecBase, make_call_decorator, wire_message
from streamcall.core.base._views import ProviderMixin
from streamcall.core.base.call_response import BaseCallResponse, CallContext, ResponseFacts
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk, ChunkFacts
from streamcall.core.base.params import ParamMap
from streamcall.core.base.stream import BaseStream

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.openai.tool import OpenAITool  # noqa: F401 - used in a string

__all__ = [
    "OpenAIResponsesCallResponse",
    "OpenAIResponsesCallResponseChunk",
    "OpenAIResponsesStream",
    "openai_responses_call",
]

FINISH_MAP = {"completed": "stop", "incomplete": "length", "failed": "error", "cancelled": "error"}
_THINKING = frozenset({"response.reasoning_summary_text.delta", "response.reasoning_text.delta"})
_ITEM_EVENTS = frozenset({"response.output_item.added", "response.output_item.done"})
_DELIVERS_OUTPUT = frozenset({"response.completed", "response.incomplete"})
_NO_FACTS = ChunkFacts()


def _message_text(item: OutputItem) -> str:
    """The ``output_text`` of a ``message`` output item."""
    return "".join(
        part.get("text") or ""
        for part in item.content or ()
        if isinstance(part, dict) and part.get("type") == "output_text"
    )


def _summary_text(item: OutputItem) -> str:
    """The summary text of a ``reasoning`` output item."""
    return "".join(part.get("text") or "" for part in item.summary or () if isinstance(part, dict))


def _usage_report(usage: ResponseUsage) -> UsageReport:
    cached = usage.input_tokens_details.cached_tokens if usage.input_tokens_details else None
    reasoning = (
        usage.output_tokens_details.reasoning_tokens if usage.output_tokens_details else None
    )
    return UsageReport(
        input_tokens=usage.input_tokens,
        cached_tokens=0 if cached is None else cached,  # usage without a cache figure: 0
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        reasoning_tokens=reasoning,
    )


class _Provider(ProviderMixin, provider="openai", finish_map=FINISH_MAP):
    """OpenAI Responses's name and finish reasons, shared by its chunk, response and stream."""

    __slots__ = ()


class OpenAIResponsesCallResponseChunk(
    _Provider, BaseCallResponseChunk[ResponseStreamEvent], gc=False
):
    """One Responses event (``chunk`` is the :class:`ResponseStreamEvent`)."""

    @classmethod
    def extract(cls, chunk: ResponseStreamEvent) -> ChunkFacts:
        """Text and reasoning-summary deltas, function-call pieces, and the terminal usage."""
        kind = chunk.type
        if kind == "response.output_text.delta":
            return ChunkFacts(chunk.delta or "")
        if kind in _THINKING:
            return ChunkFacts(thinking=chunk.delta or "")
        if kind == "response.function_call_arguments.delta":
            return ChunkFacts(
                tool_parts=(ToolCallPart(chunk.output_index, None, None, chunk.delta),)
            )
        item = chunk.item
        if item is not None and item.type == "function_call":
            if kind == "response.output_item.added":
                part = ToolCallPart(chunk.output_index, item.call_id, item.name, None)
                return ChunkFacts(tool_parts=(part,))
            if kind == "response.output_item.done":
                part = ToolCallPart(chunk.output_index, None, None, None, True)
                return ChunkFacts(tool_parts=(part,))
        response = chunk.response
        if response is not None and (kind == "response.created" or kind in TERMINAL):
            return ChunkFacts(
                usage=None if response.usage is None else _usage_report(response.usage),
                finish_reasons=[response.status] if kind in TERMINAL and response.status else None,
                id=response.id or None,
                model=response.model or None,
            )
        return _NO_FACTS


class OpenAIResponsesCallResponse(_Provider, BaseCallResponse[Response]):
    """A whole response (``response`` is the Responses API :class:`Response`)."""

    def _extract(self) -> ResponseFacts:
        response = self.response
        text: list[str] = []
        thinking: list[str] = []
        facts = ResponseFacts(
            finish_reasons=[response.status] if response.status else None,
            id=response.id or None,
            model=response.model or None,
        )
        assembler = ToolCallAssembler(sequential=False)
        for index, item in enumerate(response.output):
            if item.type == "message":
                text.append(_message_text(item))
            elif item.type == "reasoning":
                thinking.append(_summary_text(item))
            elif item.type == "function_call":
                part_ = ToolCallPart(index, item.call_id, item.name, item.arguments or "", True)
                facts.tool_calls.extend(assembler.add(part_))
        facts.content, facts.thinking = "".join(text), "".join(thinking)
        if response.usage is not None:
            r = _usage_report(response.usage)
            facts.usage = merge_usage(None, r)
        return facts

    def _message_param(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if self.content:
            items.append({"role": "assistant", "content": self.content})
        for call in self.facts.tool_calls:
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": call.arguments_json,
                }
            )
        return items

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """One ``function_call_output`` input item per tool result."""
        return cls._tool_results(
            tools_and_outputs, "call_id", "output", type="function_call_output"
        )


class OpenAIResponsesStream(
    _Provider,
    BaseStream[OpenAIResponsesCallResponseChunk, OpenAIResponsesCallResponse, "OpenAITool"],
):
    """A streamed Responses call: ``for chunk, tool in stream``."""

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = OpenAIResponsesCallResponseChunk
    _sequential_tool_calls: ClassVar[bool] = False
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = OpenAIResponsesCallResponse

    def _wrap(self, raw: ResponseStreamEvent) -> OpenAIResponsesCallResponseChunk:  # type: ignore[override]
        """The chunk of one event; the terminal one also delivers the output items that no
        earlier event did (some bridges send function calls, even text, only there)."""
        chunk = OpenAIResponsesCallResponseChunk.of(raw)
        response = raw.response
        if response is not None and response.output and raw.type in _DELIVERS_OUTPUT:
            facts = chunk.facts
            text, thinking, parts = self._undelivered(response.output)
            if text or thinking or parts:
                facts = ChunkFacts(
                    text,
                    thinking,
                    parts,
                    facts.usage,
                    facts.finish_reasons,
                    facts.id,
                    facts.model,
                )
                chunk = OpenAIResponsesCallResponseChunk(raw, facts)
        return chunk

    def _undelivered(self, output: list[OutputItem]) -> tuple[str, str, tuple[ToolCallPart, ...]]:
        """The text, reasoning summary and whole function calls of the terminal ``output``
        that the stream has not delivered yet (matched by item id and ``call_id``).

        The common stream (every item streamed) is settled from the accumulated state; the
        events so far are read only when an item may be missing."""
        acc = self._acc
        cache: list[_Delivered] = []

        def delivered() -> _Delivered:
            if not cache:
                cache.append(_Delivered.of(self))
            return cache[0]

        messages = [(item, _message_text(item)) for item in output if item.type == "message"]
        text = _unstreamed(messages, acc.text, lambda: delivered().text)
        summaries = [(item, _summary_text(item)) for item in output if item.type == "reasoning"]
        thinking = _unstreamed(summaries, acc.thinking, lambda: delivered().thinking)
        finished = {call.id for call in acc.tool_calls}
        parts: list[ToolCallPart] = []
        for index, item in enumerate(output):
            if item.type != "function_call":
                continue
            call_id = item.call_id or item.id
            if call_id is not None and call_id in finished:
                continue
            seen = delivered().calls
            if item.id in seen or item.call_id in seen:
                continue
            parts.append(ToolCallPart(index, call_id, item.name, item.arguments or "", True))
        return text, thinking, tuple(parts)

    _delivered: set[tuple[str, str | None]] | None = None  # (kind, item id) of deltas kept

    def _keep(self, chunk: Any) -> bool:
        """Without a replay: what the response and :class:`_Delivered` read, the terminal
        event, function-call item events and the first text or reasoning delta of each item
        (not the others, nor the ``done`` events that repeat the whole text)."""
        event = chunk.chunk
        kind = event.type
        if kind in TERMINAL:
            return True
        if kind in _ITEM_EVENTS:
            return event.item is not None and event.item.type == "function_call"
        if kind != "response.output_text.delta" and kind not in _THINKING:
            return False
        if self._delivered is None:
            self._delivered = set()
        key = (kind, event.item_id)
        if key in self._delivered:
            return False
        self._delivered.add(key)
        return True

    def _build_response(self) -> OpenAIResponsesCallResponse:
        # The terminal event carries the whole response; before it, rebuild what is known. A
        # terminal response whose output is empty although the stream delivered content
        # (``response.failed`` after text deltas) keeps its status, usage and error, and gets
        # the output rebuilt from what streamed: nothing received is lost.
        event: ResponseStreamEvent
        acc = self._acc
        delivered = bool(acc.text or acc.thinking or acc.tool_calls)
        for event in reversed(self._raw_events()):
            if event.type in TERMINAL and event.response is not None:
                if event.response.output or not delivered:
                    return OpenAIResponsesCallResponse(event.response, self._context)
                rebuilt = msgspec.structs.replace(event.response, output=self._streamed_output())
                return OpenAIResponsesCallResponse(rebuilt, self._context)
        partial = Response(
            id=acc.id or "", model=acc.model or self._context.model, output=self._streamed_output()
        )
        return OpenAIResponsesCallResponse(partial, self._context)

    def _streamed_output(self) -> list[OutputItem]:
        acc = self._acc
        output: list[OutputItem] = []
        if acc.thinking:
            summary = [{"type": "summary_text", "text": acc.thinking}]
            output.append(OutputItem(type="reasoning", summary=summary))
        if acc.text:
            content = [{"type": "output_text", "text": acc.text}]
            output.append(OutputItem(type="message", role="assistant", content=content))
        output += [
            OutputItem(type="function_call", call_id=c.id, name=c.name, arguments=c.arguments_json)
            for c in acc.tool_calls
        ]
        return output


class _Delivered:
    """The output item ids that a stream's events delivered: text and reasoning deltas, and
    function calls announced by item events (item ``id`` and ``call_id``)."""

    __slots__ = ("calls", "text", "thinking")

    def __init__(self) -> None:
        self.text: set[str | None] = set()
        self.thinking: set[str | None] = set()
        self.calls: set[str] = set()

    @classmethod
    def of(cls, stream: OpenAIResponsesStream) -> _Delivered:
        seen = cls()
        event: ResponseStreamEvent
        for event in stream._raw_events():
            kind = event.type
            if kind == "response.output_text.delta":
                seen.text.add(event.item_id)
            elif kind in _THINKING:
                seen.thinking.add(event.item_id)
            elif kind in _ITEM_EVENTS and event.item is not None:
                item = event.item
                if item.type == "function_call":
                    seen.calls.update(i for i in (item.id, item.call_id) if i is not None)
        return seen


def _unstreamed(
    items: list[tuple[OutputItem, str]], streamed: str, delivered: Callable[[], set[str | None]]
) -> str:
    """The text of the output ``items`` that did not stream as deltas.

    All of it when nothing streamed, none when the streamed text is all of it; otherwise the
    items whose id no delta named. Deltas that name none of the items (a bridge with ids of
    its own) are taken to have carried them all: text is never delivered twice."""
    whole = "".join(text for _, text in items)
    if not whole or whole == streamed:
        return ""
    if not streamed:
        return whole
    ids = delivered()
    if not any(item.id in ids for item, _ in items):
        return ""
    return "".join(text for item, text in items if item.id not in ids)


def _input_item(item: Any) -> Any:
    """A message as a Responses input item: neutral text parts become ``input_text`` (or
    ``output_text`` in an assistant message)."""
    if not (isinstance(item, Mapping) and isinstance(item.get("content"), list)):
        return item
    kind = "output_text" if item.get("role") == "assistant" else "input_text"
    content = [
        {"type": kind, "text": p["text"]}
        if isinstance(p, Mapping) and p.get("type") == "text" and "text" in p
        else p
        for p in item["content"]
    ]
    return {**item, "content": content}


class OpenAIResponsesSpec(ChatSpecBase):
    """How the call layer talks to the Responses API."""

    stream_type = OpenAIResponsesStream
    tool_type = "streamcall.core.openai.tool:OpenAITool"
    client_method = "responses.create"

    def call_kwargs(self, context: CallContext, json_mode: bool) -> dict[str, Any]:
        """Input items from the messages (lists from ``message_param`` are spread), flat
        function tools, and JSON mode as ``text.format``."""
        items: list[Any] = []
        for message in context.messages:
            if isinstance(message, list):
                items.extend(message)
            else:
                items.append(_input_item(wire_message(message)))
        kwargs: dict[str, Any] = {"model": context.model, "input": items, **context.call_params}
        if context.tool_types:
            kwargs["tools"] = [
                {"type": "function", **t.tool_schema()["function"]}  # type: ignore[attr-defined]
                for t in context.tool_types
            ]
        if json_mode:
            kwargs.setdefault("text", {"format": {"type": "json_object"}})
        return kwargs

    def force_tool(self, call_kwargs: dict[str, Any], name: str) -> None:
        """Make the model call the function ``name``."""
        call_kwargs["tool_choice"] = {"type": "function", "name": name}

    common_params: ClassVar[ParamMap] = {
        "max_tokens": "max_output_tokens",
        "temperature": "temperature",
        "top_p": "top_p",
        "tool_choice": "tool_choice",
        "parallel_tool_calls": "parallel_tool_calls",
    }
    """Where each neutral call parameter goes (see ``core/base/params.py``)."""


openai_responses_call: CallDecorator[
    OpenAIResponsesStream, OpenAIResponsesCallResponse, Mapping[str, Any]
] = make_call_decorator(OpenAIResponsesSpec())
