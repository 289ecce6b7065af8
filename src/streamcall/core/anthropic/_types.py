"""Anthropic call layer (Messages): chunk, response, stream, params, tool, and the spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from streamcall.clients.anthropic.models import (
    ContentBlock,
    Message,
    MessageStreamEvent,
)
from streamcall.clients.anthropic.models import Usage as AnthropicUsage
from streamcall.core.base._accumulate import (
    TextPieces,
    ToolCallAssembler,
    ToolCallPart,
    UsageReport,
    merge_usage,
    parse_tool_arguments,
    tool_output_text,
)
from streamcall.core.base._call import ChatSpecBase, make_call_decorator, wire_message
from streamcall.core.base._views import ProviderMixin
from streamcall.core.base.call_response import BaseCallResponse, CallContext, ResponseFacts
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk, ChunkFacts
from streamcall.core.base.messages import text_of
from streamcall.core.base.params import ParamMap, as_list
from streamcall.core.base.stream import BaseStream
from streamcall.core.base.types import BaseCallParams, BaseDynamicConfig
from streamcall.errors import StreamDecodeError

if TYPE_CHECKING:
    from streamcall.core.anthropic.tool import AnthropicTool  # noqa: F401 - used in a string
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.base.tool import BaseTool

__all__ = [
    "AnthropicCallParams",
    "AnthropicCallResponse",
    "AnthropicCallResponseChunk",
    "AnthropicDynamicConfig",
    "AnthropicMessageParam",
    "AnthropicStream",
    "AsyncAnthropicDynamicConfig",
    "anthropic_call",
    "call",
]

FINISH_MAP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
}
DEFAULT_MAX_TOKENS = 1024


class AnthropicCallParams(BaseCallParams, total=False):
    """Parameters of an Anthropic Messages call (``max_tokens`` defaults to 1024)."""

    max_tokens: int
    system: str | list[Any]
    temperature: float
    top_p: float
    top_k: int
    stop_sequences: list[str]
    tool_choice: dict[str, Any]
    thinking: dict[str, Any]
    metadata: dict[str, Any]
    service_tier: str


class AnthropicDynamicConfig(BaseDynamicConfig, total=False):
    """What an Anthropic-decorated function may return instead of a prompt."""


class _Provider(ProviderMixin, provider="anthropic", finish_map=FINISH_MAP):
    """Anthropic's name and finish reasons, shared by its chunk, response and stream."""

    __slots__ = ()


def _usage_report(usage: AnthropicUsage, with_output: bool) -> UsageReport:
    return UsageReport(
        input_tokens=usage.input_tokens,
        # 0 when the input count comes without a cache figure; a message_delta with only
        # output tokens leaves message_start's figure alone.
        cached_tokens=usage.cache_read_input_tokens
        if usage.cache_read_input_tokens is not None or usage.input_tokens is None
        else 0,
        output_tokens=usage.output_tokens if with_output else None,
        cache_write_tokens=usage.cache_creation_input_tokens,
        input_includes_cached=False,
    )


_NO_FACTS = ChunkFacts()


class AnthropicCallResponseChunk(_Provider, BaseCallResponseChunk[MessageStreamEvent], gc=False):
    """One Anthropic stream event (``chunk`` is the :class:`MessageStreamEvent`)."""

    @classmethod
    def extract(cls, chunk: MessageStreamEvent) -> ChunkFacts:
        """Text, thinking, signature, tool-call pieces, usage and the stop reason of one event."""
        kind = chunk.type
        if kind == "content_block_delta":
            delta = chunk.delta
            if delta is None:
                return _NO_FACTS
            if delta.type == "text_delta":
                return ChunkFacts(delta.text or "")
            if delta.type == "input_json_delta":
                part = ToolCallPart(chunk.index, None, None, delta.partial_json or "")
                return ChunkFacts(tool_parts=(part,))
            if delta.type == "thinking_delta":
                return ChunkFacts(thinking=delta.thinking or "")
            if delta.type == "signature_delta":
                return ChunkFacts(signature=delta.signature)
            return _NO_FACTS
        if kind == "content_block_start":
            block = chunk.content_block
            if block is None:
                return _NO_FACTS
            if block.type == "tool_use":  # its "input": {} is a placeholder: args stream after
                part = ToolCallPart(chunk.index, block.id, block.name, None)
                return ChunkFacts(tool_parts=(part,))
            return ChunkFacts(block.text or "", block.thinking or "")
        if kind == "content_block_stop":
            return ChunkFacts(tool_parts=(ToolCallPart(chunk.index, None, None, None, True),))
        if kind == "message_start" and chunk.message is not None:
            message = chunk.message
            usage = message.usage
            return ChunkFacts(
                usage=None if usage is None else _usage_report(usage, with_output=False),
                id=message.id or None,
                model=message.model or None,
            )
        if kind == "message_delta":
            reason = chunk.delta.stop_reason if chunk.delta is not None else None
            usage = chunk.usage
            return ChunkFacts(
                usage=None if usage is None else _usage_report(usage, with_output=True),
                finish_reasons=[reason] if reason else None,
            )
        return _NO_FACTS

    @property
    def usage(self) -> AnthropicUsage | None:
        """Anthropic's usage object on this event (``message_start`` / ``message_delta``)."""
        if self.chunk.usage is not None:
            return self.chunk.usage
        return self.chunk.message.usage if self.chunk.message is not None else None


def _block_dict(block: ContentBlock) -> dict[str, Any]:
    """A content block as it is sent back (thinking keeps its signature)."""
    if block.type == "text":
        return {"type": "text", "text": block.text or ""}
    if block.type == "thinking":
        return {
            "type": "thinking",
            "thinking": block.thinking or "",
            "signature": block.signature or "",
        }
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input or {}}
    return block.model_dump()


class AnthropicCallResponse(_Provider, BaseCallResponse[Message]):
    """A whole Anthropic message (``response`` is the :class:`Message`)."""

    def _extract(self) -> ResponseFacts:
        message = self.response
        blocks = message.content
        facts = ResponseFacts(
            content="".join(b.text or "" for b in blocks if b.type == "text"),
            thinking="".join(b.thinking or "" for b in blocks if b.type == "thinking"),
            finish_reasons=[message.stop_reason] if message.stop_reason else None,
            id=message.id or None,
            model=message.model or None,
        )
        assembler = ToolCallAssembler(sequential=False)
        for index, block in enumerate(blocks):
            if block.type == "tool_use":
                args = block.input if isinstance(block.input, dict) else {}
                part = ToolCallPart(index, block.id, block.name, args, True)
                facts.tool_calls.extend(assembler.add(part))
        if message.usage is not None:
            facts.usage = merge_usage(None, _usage_report(message.usage, with_output=True))
        return facts

    @property
    def thinking_signatures(self) -> list[str]:
        """The signatures of the thinking blocks, in order (needed to send thinking back)."""
        return [b.signature or "" for b in self.response.content if b.type == "thinking"]

    def _message_param(self) -> dict[str, Any]:
        return {"role": "assistant", "content": [_block_dict(b) for b in self.response.content]}

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """One user message carrying a ``tool_result`` block per tool."""
        blocks = cls._tool_results(tools_and_outputs, "tool_use_id", "content", type="tool_result")
        return [{"role": "user", "content": blocks}] if blocks else []


_DELTA_FIELDS = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "signature_delta": "signature",
    "input_json_delta": "partial_json",
}


class _Blocks:
    """The content blocks of a message, folded from its stream events in order (each delta's
    text kept in pieces, joined when the blocks are asked for)."""

    __slots__ = ("blocks", "texts")

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, Any]] = {}
        self.texts: dict[tuple[int, str], TextPieces] = {}

    def add(self, event: MessageStreamEvent) -> None:
        """Fold one event."""
        index = event.index if event.index is not None else -1
        if event.type == "content_block_start" and event.content_block is not None:
            self.blocks[index] = event.content_block.model_dump()
        elif event.type == "content_block_delta" and event.delta is not None:
            self.blocks.setdefault(index, {"type": "text"})
            delta = event.delta
            field = _DELTA_FIELDS.get(delta.type or "")
            if field is not None:
                pieces = self.texts.get((index, field))
                if pieces is None:
                    pieces = self.texts[index, field] = TextPieces()
                pieces.add(getattr(delta, field) or "")

    def result(self) -> list[ContentBlock]:
        """The blocks so far, in index order."""
        blocks = {i: dict(block) for i, block in self.blocks.items()}
        for (index, field), pieces in self.texts.items():
            block = blocks[index]
            if field == "partial_json":
                try:
                    block["input"] = parse_tool_arguments(str(pieces))
                except StreamDecodeError:  # kept as a call (stream.tool_errors says why)
                    block["input"] = {}
            else:
                block[field] = block.get(field, "") + str(pieces)
        import msgspec

        return [msgspec.convert(blocks[i], ContentBlock) for i in sorted(blocks)]


class AnthropicStream(
    _Provider, BaseStream[AnthropicCallResponseChunk, AnthropicCallResponse, "AnthropicTool"]
):
    """A streamed Anthropic call: ``for chunk, tool in stream``.

    Thinking is kept apart from ``content``; its blocks and signatures stay in order in
    ``message_param`` so that they can be sent back.
    """

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = AnthropicCallResponseChunk
    _sequential_tool_calls: ClassVar[bool] = False  # content_block_stop ends each call
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = AnthropicCallResponse

    _fold = _Blocks

    def _blocks(self) -> list[ContentBlock]:
        """The message's content blocks, rebuilt in order from the events received."""
        blocks: list[ContentBlock] = self._events_folded().result()
        return blocks

    def _build_response(self) -> AnthropicCallResponse:
        acc = self._acc
        usage = None
        if acc.usage is not None:
            counts = acc.usage
            usage = AnthropicUsage(
                input_tokens=counts.input_tokens,
                output_tokens=counts.output_tokens,
                cache_read_input_tokens=counts.cached_tokens,
                cache_creation_input_tokens=counts.cache_write_tokens,
            )
        message = Message(
            id=acc.id or "",
            model=acc.model or self._context.model,
            content=self._blocks(),
            stop_reason=acc.finish_reasons[0] if acc.finish_reasons else None,
            usage=usage,
        )
        return AnthropicCallResponse(message, self._context)


_TOOL_CHOICE = {"auto": "auto", "none": "none", "required": "any"}


def _tool_choice(value: Any) -> dict[str, Any]:
    """``{"type": "auto" | "none" | "any"}``; Anthropic's own form passes through."""
    if isinstance(value, str):
        return {"tool_choice": {"type": _TOOL_CHOICE.get(value, value)}}
    return {"tool_choice": value}


def _parallel_tool_calls(value: Any) -> dict[str, Any]:
    """Anthropic says it the other way round, inside ``tool_choice``."""
    return {"tool_choice": {"type": "auto", "disable_parallel_tool_use": not value}}


class AnthropicSpec(ChatSpecBase):
    """How the call layer talks to Anthropic Messages."""

    stream_type = AnthropicStream
    tool_type = "streamcall.core.anthropic.tool:AnthropicTool"
    client_method = "messages.create"

    def force_tool(self, call_kwargs: dict[str, Any], name: str) -> None:
        """Make the model call the tool ``name``."""
        call_kwargs["tool_choice"] = {"type": "tool", "name": name}

    def call_kwargs(self, context: CallContext, json_mode: bool) -> dict[str, Any]:
        """System messages move to ``system``; ``max_tokens`` gets a default; JSON mode is an
        instruction (Anthropic has no response format)."""
        system: list[str] = []
        messages: list[Any] = []
        for message in context.messages:
            wire = wire_message(message)
            role = wire.get("role") if isinstance(wire, Mapping) else getattr(wire, "role", None)
            if role == "system":
                content = wire["content"] if isinstance(wire, Mapping) else wire.content
                text = text_of(content)
                system.append(text if text is not None else tool_output_text(content))
            else:
                messages.append(wire)
        if json_mode:
            messages.append({"role": "user", "content": "Respond with a single JSON object."})
        kwargs: dict[str, Any] = {"model": context.model, "messages": messages}
        kwargs["max_tokens"] = DEFAULT_MAX_TOKENS
        if system:
            kwargs["system"] = "\n\n".join(system)
        kwargs.update(context.call_params)
        if context.tool_types:
            kwargs["tools"] = [t.tool_schema() for t in context.tool_types]  # type: ignore[attr-defined]
        return kwargs

    common_params: ClassVar[ParamMap] = {
        "max_tokens": "max_tokens",
        "temperature": "temperature",
        "top_p": "top_p",
        "stop": lambda v: {"stop_sequences": as_list(v)},
        "tool_choice": _tool_choice,
        "parallel_tool_calls": _parallel_tool_calls,
    }
    """Where each neutral call parameter goes (see ``core/base/params.py``)."""


anthropic_call: CallDecorator[AnthropicStream, AnthropicCallResponse, AnthropicCallParams] = (
    make_call_decorator(AnthropicSpec())
)
call: CallDecorator[AnthropicStream, AnthropicCallResponse, AnthropicCallParams] = anthropic_call
"""``anthropic.call``, as in ``from streamcall.core import anthropic``."""

AnthropicMessageParam: TypeAlias = dict[str, Any]
"""A message as the Anthropic client accepts: ``{"role": ..., "content": ...}`` dicts."""
AsyncAnthropicDynamicConfig: TypeAlias = AnthropicDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""
