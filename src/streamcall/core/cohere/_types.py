"""Cohere call layer: chunk, response, stream, params, and the provider spec (v2 chat)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from streamcall.clients.cohere.models import (
    AssistantChatMessageV2,
    ChatResponse,
    Citation,
    ContentDelta,
    FunctionCall,
    ResponseMessage,
    StreamEvent,
    SystemChatMessageV2,
    ToolCallDelta,
    ToolCallV2,
    ToolChatMessageV2,
    UsageTokens,
    UserChatMessageV2,
)
from streamcall.clients.cohere.models import (
    BilledUnits as CohereBilledUnits,
)
from streamcall.clients.cohere.models import (
    Usage as CohereUsage,
)
from streamcall.core.base._accumulate import (
    AssembledToolCall,
    ToolCallAssembler,
    ToolCallPart,
    Usage,
    UsageReport,
    tool_output_text,
)
from streamcall.core.base._call import ChatSpecBase, make_call_decorator
from streamcall.core.base._views import ProviderMixin
from streamcall.core.base.call_response import BaseCallResponse, ResponseFacts
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk, ChunkFacts
from streamcall.core.base.params import ParamMap, as_list
from streamcall.core.base.stream import BaseStream
from streamcall.core.base.types import BaseCallParams, BaseDynamicConfig

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.cohere.tool import CohereTool  # noqa: F401 - used in a string

__all__ = [
    "AsyncCohereDynamicConfig",
    "CohereCallParams",
    "CohereCallResponse",
    "CohereCallResponseChunk",
    "CohereDynamicConfig",
    "CohereMessageParam",
    "CohereStream",
    "call",
    "cohere_call",
]

FINISH_MAP = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "TOOL_CALL": "tool_calls",
    "ERROR": "error",
    "ERROR_LIMIT": "error",
    "TIMEOUT": "error",
    "ERROR_TOXIC": "content_filter",
}


_NO_FACTS = ChunkFacts()


class CohereCallParams(BaseCallParams, total=False):
    """Parameters of a Cohere v2 chat call."""

    max_tokens: int
    temperature: float
    p: float
    k: int
    seed: int
    stop_sequences: list[str]
    frequency_penalty: float
    presence_penalty: float
    documents: list[Any]
    citation_options: dict[str, Any]
    response_format: dict[str, Any]
    safety_mode: str
    tool_choice: str
    thinking: dict[str, Any]
    strict_tools: bool


class CohereDynamicConfig(BaseDynamicConfig, total=False):
    """What a Cohere-decorated function may return instead of a prompt."""


class _Provider(ProviderMixin, provider="cohere", finish_map=FINISH_MAP):
    """Cohere's name and finish reasons, shared by its chunk, response and stream."""

    __slots__ = ()


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


@dataclass(slots=True, repr=False)
class CohereTokenUsage(Usage):
    """Cohere's usage in neutral form.

    ``input_tokens`` / ``output_tokens`` are the billed units (``billed_units``), as Mirascope
    v1 reports them and as Cohere charges them (also in ``billed_input_tokens`` /
    ``billed_output_tokens``); when Cohere sends no billed units they are the processed counts.
    ``processed_input_tokens`` / ``processed_output_tokens`` are the tokens the model processed
    (Cohere's ``tokens``: the prompt with its template and tool definitions, so usually more
    than what is billed). ``cached_tokens`` is Cohere's ``cached_tokens`` (``0`` when absent).
    """

    processed_input_tokens: int | None = None
    processed_output_tokens: int | None = None


def _counts(usage: CohereUsage) -> tuple[int | None, int | None, int | None, int | None]:
    """(billed in, billed out, processed in, processed out)."""
    tokens = usage.tokens or UsageTokens()
    billed = usage.billed_units or CohereBilledUnits()
    return (
        _int(billed.input_tokens),
        _int(billed.output_tokens),
        _int(tokens.input_tokens),
        _int(tokens.output_tokens),
    )


def _usage_report(usage: CohereUsage) -> UsageReport:
    billed_in, billed_out, processed_in, processed_out = _counts(usage)
    input_tokens = billed_in if billed_in is not None else processed_in
    output_tokens = billed_out if billed_out is not None else processed_out
    total = None if input_tokens is None or output_tokens is None else input_tokens + output_tokens
    cached = _int(usage.cached_tokens)
    return UsageReport(
        input_tokens=input_tokens,
        cached_tokens=0 if cached is None else cached,  # usage without a cache figure: 0
        output_tokens=output_tokens,
        total_tokens=total,
        billed_input_tokens=billed_in,
        billed_output_tokens=billed_out,
        # Billed units leave out cached (and template) tokens; processed tokens include them.
        input_includes_cached=billed_in is None,
    )


def _common_usage(usage: CohereUsage) -> CohereTokenUsage:
    """Cohere's usage object in neutral form (billed units first, processed tokens kept)."""
    report = _usage_report(usage)
    _, _, processed_in, processed_out = _counts(usage)
    return CohereTokenUsage(
        input_tokens=report.input_tokens,
        cached_tokens=report.cached_tokens,
        output_tokens=report.output_tokens,
        total_tokens=report.total_tokens,
        billed_input_tokens=report.billed_input_tokens,
        billed_output_tokens=report.billed_output_tokens,
        input_includes_cached=report.input_includes_cached,
        processed_input_tokens=processed_in,
        processed_output_tokens=processed_out,
    )


class CohereCallResponseChunk(_Provider, BaseCallResponseChunk[StreamEvent], gc=False):
    """One Cohere stream event (``chunk`` is the :class:`StreamEvent`)."""

    @classmethod
    def extract(cls, chunk: StreamEvent) -> ChunkFacts:
        """Text, thinking, tool-call pieces, usage and the finish reason of one event."""
        kind = chunk.type
        delta = chunk.delta
        message = delta.message if delta is not None else None
        if kind == "content-delta" and message is not None:
            content = message.content
            if isinstance(content, ContentDelta):
                return ChunkFacts(content.text or "", content.thinking or "")
            return _NO_FACTS
        if kind.startswith("tool-call-"):
            call = message.tool_calls if message is not None else None
            if not isinstance(call, ToolCallDelta):
                call = ToolCallDelta()
            function = call.function
            part = ToolCallPart(
                chunk.index,
                call.id,
                function.name if function is not None else None,
                function.arguments if function is not None else None,
                kind == "tool-call-end",
            )
            return ChunkFacts(tool_parts=(part,))
        if kind == "message-start":
            return ChunkFacts(id=chunk.id)
        if kind == "message-end" and delta is not None:
            return ChunkFacts(
                usage=None if delta.usage is None else _usage_report(delta.usage),
                finish_reasons=[delta.finish_reason] if delta.finish_reason else None,
                id=chunk.id,
            )
        return _NO_FACTS

    @property
    def usage(self) -> CohereUsage | None:
        """Cohere's usage object (on ``message-end``)."""
        delta = self.chunk.delta
        return None if delta is None else delta.usage

    @property
    def common_usage(self) -> CohereTokenUsage | None:
        """This event's usage in neutral form (billed units as input and output tokens,
        processed tokens kept alongside), or ``None``."""
        usage = self.usage
        if usage is None or self.facts.usage is None:  # tool_only() copies carry no usage
            return None
        return _common_usage(usage)


def _tool_calls_of(calls: list[ToolCallV2] | None) -> list[AssembledToolCall]:
    assembler = ToolCallAssembler(sequential=False)
    done: list[AssembledToolCall] = []
    for index, call in enumerate(calls or ()):
        function = call.function
        done.extend(
            assembler.add(
                ToolCallPart(
                    index,
                    call.id,
                    function.name if function else None,
                    function.arguments if function else None,
                    True,
                )
            )
        )
    return done


class CohereCallResponse(_Provider, BaseCallResponse[ChatResponse]):
    """A whole Cohere chat response (``response`` is the :class:`ChatResponse`)."""

    def _extract(self) -> ResponseFacts:
        response = self.response
        message = response.message or ResponseMessage()
        text = "".join(
            part.get("text", "")
            for part in message.content or ()
            if isinstance(part, dict) and part.get("type", "text") == "text"
        )
        thinking = "".join(
            part.get("thinking", "")
            for part in message.content or ()
            if isinstance(part, dict) and part.get("type") == "thinking"
        )
        usage = None if response.usage is None else _common_usage(response.usage)
        return ResponseFacts(
            content=text,
            thinking=thinking,
            tool_calls=_tool_calls_of(message.tool_calls),
            usage=usage,
            finish_reasons=[response.finish_reason] if response.finish_reason else None,
            id=response.id or None,
        )

    @property
    def tool_plan(self) -> str | None:
        """The model's plan before calling tools."""
        return self.response.message.tool_plan if self.response.message else None

    @property
    def citations(self) -> list[Any]:
        """The citations of the answer."""
        return list(self.response.message.citations or []) if self.response.message else []

    def _message_param(self) -> AssistantChatMessageV2:
        message = self.response.message or ResponseMessage()
        text = self.content
        return AssistantChatMessageV2(
            content=text or None,
            tool_plan=message.tool_plan or None,
            tool_calls=message.tool_calls or None,
        )

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """One :class:`ToolChatMessageV2` per tool result, answering its call by id."""
        return [
            ToolChatMessageV2(
                tool_call_id=tool.tool_call_id or "",
                content=tool_output_text(output),
            )
            for tool, output in tools_and_outputs
        ]


_KEPT = frozenset({"tool-plan-delta", "citation-start"})


class CohereStream(
    _Provider, BaseStream[CohereCallResponseChunk, CohereCallResponse, "CohereTool"]
):
    """A streamed Cohere call: ``for chunk, tool in stream`` (tool calls stream too)."""

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = CohereCallResponseChunk
    _sequential_tool_calls: ClassVar[bool] = False  # tool-call-end marks each call's end
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = CohereCallResponse

    def _keep(self, chunk: Any) -> bool:
        """Without a replay: the events :attr:`tool_plan`, :attr:`citations` and the usage
        are read from."""
        return chunk.chunk.type in _KEPT or chunk.facts.usage is not None

    @property
    def tool_plan(self) -> str:
        """The model's plan before its tool calls (``tool-plan-delta`` events)."""
        parts = []
        for event in self._raw_events():
            if event.type == "tool-plan-delta" and event.delta and event.delta.message:
                parts.append(event.delta.message.tool_plan or "")
        return "".join(parts)

    @property
    def citations(self) -> list[Citation]:
        """The citations received (``citation-start`` events)."""
        found = []
        for event in self._raw_events():
            if event.type == "citation-start" and event.delta and event.delta.message:
                citation = event.delta.message.citations
                if isinstance(citation, Citation):
                    found.append(citation)
        return found

    @property
    def common_usage(self) -> CohereTokenUsage | None:
        """Usage in neutral form (on ``message-end``): billed units as input and output tokens,
        processed tokens kept alongside (see :class:`CohereTokenUsage`)."""
        usage = self._wire_usage()
        return None if usage is None else _common_usage(usage)

    def _wire_usage(self) -> CohereUsage | None:
        """Cohere's usage object from the last event that carried one (``message-end``)."""
        for entry in reversed(self._history):
            chunks = [pair[0] for pair in entry] if entry.__class__ is list else [entry]
            for chunk in reversed(chunks):
                if chunk is not None and chunk.facts.usage is not None:
                    return chunk.usage  # type: ignore[no-any-return]
        return None

    def _build_response(self) -> CohereCallResponse:
        acc = self._acc
        content: list[Any] = []
        if acc.thinking:
            content.append({"type": "thinking", "thinking": acc.thinking})
        if acc.text:
            content.append({"type": "text", "text": acc.text})
        response = ChatResponse(
            id=acc.id or "",
            finish_reason=acc.finish_reasons[0] if acc.finish_reasons else None,
            message=ResponseMessage(
                content=content,
                tool_plan=self.tool_plan or None,
                tool_calls=[_tool_call(c) for c in acc.tool_calls] or None,
                citations=[c.model_dump() for c in self.citations] or None,
            ),
            usage=self._wire_usage(),  # as Cohere sent it
        )
        return CohereCallResponse(response, self._context)


def _tool_call(call: AssembledToolCall) -> ToolCallV2:
    return ToolCallV2(
        type="function",
        id=call.id,
        function=FunctionCall(name=call.name, arguments=call.arguments_json),
    )


def _tool_choice(value: Any) -> dict[str, Any]:
    """Cohere v2 takes ``REQUIRED`` / ``NONE``; ``auto`` is its default (sent as nothing)."""
    if isinstance(value, str) and value.lower() == "auto":
        return {}
    return {"tool_choice": value.upper() if isinstance(value, str) else value}


class CohereSpec(ChatSpecBase):
    """How the call layer talks to Cohere."""

    stream_type = CohereStream
    tool_type = "streamcall.core.cohere.tool:CohereTool"
    client_method = "chat"
    stream_method = "chat_stream"

    def force_tool(self, call_kwargs: dict[str, Any], name: str) -> None:
        """Make the model call a tool (only one is offered for a response model)."""
        call_kwargs["tool_choice"] = "REQUIRED"

    common_params: ClassVar[ParamMap] = {
        **ChatSpecBase.common_params,
        "top_p": "p",
        "stop": lambda v: {"stop_sequences": as_list(v)},
        "tool_choice": _tool_choice,
        "parallel_tool_calls": None,
    }
    """Where each neutral call parameter goes (see ``core/base/params.py``): under its own
    name but for these; ``parallel_tool_calls`` is not supported."""


cohere_call: CallDecorator[CohereStream, CohereCallResponse, CohereCallParams] = (
    make_call_decorator(CohereSpec())
)
call: CallDecorator[CohereStream, CohereCallResponse, CohereCallParams] = cohere_call
"""``cohere.call``, as in ``from streamcall.core import cohere``."""

CohereMessageParam: TypeAlias = (
    AssistantChatMessageV2 | SystemChatMessageV2 | ToolChatMessageV2 | UserChatMessageV2
)
"""A message as the Cohere v2 client accepts (message models; dicts work too)."""
AsyncCohereDynamicConfig: TypeAlias = CohereDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""
