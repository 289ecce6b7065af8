"""Ollama call layer (native ``/api/chat``): chunk, response, stream, params, and the spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from streamcall.clients.ollama.models import ChatResponse, Message, ToolCall, ToolCallFunction
from streamcall.core.base._accumulate import (
    AssembledToolCall,
    ToolCallAssembler,
    ToolCallPart,
    UsageReport,
    merge_usage,
    stable_call_id,
    tool_output_text,
)
from streamcall.core.base._call import ChatSpecBase, make_call_decorator
from streamcall.core.base._views import ProviderMixin
from streamcall.core.base.call_response import BaseCallResponse, CallContext, ResponseFacts
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk, ChunkFacts
from streamcall.core.base.messages import text_of
from streamcall.core.base.params import ParamMap, as_list
from streamcall.core.base.stream import BaseStream
from streamcall.core.base.types import BaseCallParams, BaseDynamicConfig

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.ollama.tool import OllamaTool  # noqa: F401 - used in a string

__all__ = [
    "AsyncOllamaDynamicConfig",
    "OllamaCallParams",
    "OllamaCallResponse",
    "OllamaCallResponseChunk",
    "OllamaDynamicConfig",
    "OllamaMessageParam",
    "OllamaStream",
    "call",
    "ollama_call",
]

FINISH_MAP = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop"}


class OllamaCallParams(BaseCallParams, total=False):
    """Parameters of an Ollama chat call (``options`` holds temperature, num_predict, ...)."""

    options: dict[str, Any]
    think: bool | str
    format: str | dict[str, Any]
    keep_alive: str | float


class OllamaDynamicConfig(BaseDynamicConfig, total=False):
    """What an Ollama-decorated function may return instead of a prompt."""


class _Provider(ProviderMixin, provider="ollama", finish_map=FINISH_MAP):
    """Ollama's name and finish reasons, shared by its chunk, response and stream."""

    __slots__ = ()


def _calls(message: Message | None, model: str) -> tuple[ToolCallPart, ...]:
    if message is None or not message.tool_calls:
        return ()
    parts = []
    for call in message.tool_calls:
        function = call.function
        ident = call.id or stable_call_id(model, function.name, function.arguments)
        parts.append(ToolCallPart(function.index, ident, function.name, function.arguments, True))
    return tuple(parts)


def _usage_report(line: ChatResponse) -> UsageReport | None:
    if not line.done:
        return None
    total = None
    if line.prompt_eval_count is not None and line.eval_count is not None:
        total = line.prompt_eval_count + line.eval_count
    return UsageReport(
        input_tokens=line.prompt_eval_count,
        cached_tokens=0,  # Ollama reports no cache figure
        output_tokens=line.eval_count,
        total_tokens=total,
    )


class OllamaCallResponseChunk(_Provider, BaseCallResponseChunk[ChatResponse], gc=False):
    """One Ollama NDJSON line (``chunk`` is the :class:`ChatResponse`)."""

    _empty_finish_reasons: ClassVar[bool] = True

    @classmethod
    def extract(cls, chunk: ChatResponse) -> ChunkFacts:
        """Text, thinking, whole tool calls, and on the last line usage and done_reason."""
        message = chunk.message
        return ChunkFacts(
            message.content if message is not None else "",
            (message.thinking or "") if message is not None else "",
            _calls(message, chunk.model),
            _usage_report(chunk),
            [chunk.done_reason] if chunk.done and chunk.done_reason else None,
            None,
            chunk.model or None,
        )


class OllamaCallResponse(_Provider, BaseCallResponse[ChatResponse]):
    """A whole Ollama chat response (``response`` is the :class:`ChatResponse`)."""

    def _extract(self) -> ResponseFacts:
        line = self.response
        message = line.message
        facts = ResponseFacts(
            content=message.content if message else "",
            thinking=(message.thinking or "") if message else "",
            finish_reasons=[line.done_reason] if line.done_reason else None,
            model=line.model or None,
        )
        assembler = ToolCallAssembler(sequential=False)
        for part in _calls(message, line.model):
            facts.tool_calls.extend(assembler.add(part))
        report = _usage_report(line)
        if report is not None:
            facts.usage = merge_usage(None, report)
        return facts

    def _message_param(self) -> dict[str, Any]:
        message = self.response.message or Message()
        param: dict[str, Any] = {"role": "assistant", "content": message.content}
        if message.thinking:
            param["thinking"] = message.thinking
        if message.tool_calls:
            param["tool_calls"] = [
                {"function": {"name": c.function.name, "arguments": c.function.arguments}}
                for c in message.tool_calls
            ]
        return param

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """One ``{"role": "tool", "content", "tool_name"}`` message per result."""
        return [
            {
                "role": "tool",
                "content": tool_output_text(output),
                "tool_name": tool._name(),
            }
            for tool, output in tools_and_outputs
        ]


class OllamaStream(
    _Provider, BaseStream[OllamaCallResponseChunk, OllamaCallResponse, "OllamaTool"]
):
    """A streamed Ollama call: ``for chunk, tool in stream``.

    ``cost`` is ``None``: a model served by Ollama has no price in the table.
    """

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = OllamaCallResponseChunk
    _sequential_tool_calls: ClassVar[bool] = False
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = OllamaCallResponse

    def _build_response(self) -> OllamaCallResponse:
        acc = self._acc
        usage = acc.usage
        line = ChatResponse(
            model=acc.model or self._context.model,
            message=Message(
                content=acc.text,
                thinking=acc.thinking or None,
                tool_calls=[_tool_call(c) for c in acc.tool_calls] or None,
            ),
            done=True,
            done_reason=acc.finish_reasons[0] if acc.finish_reasons else None,
            prompt_eval_count=usage.input_tokens if usage else None,
            eval_count=usage.output_tokens if usage else None,
        )
        return OllamaCallResponse(line, self._context)


def _tool_call(call: AssembledToolCall) -> ToolCall:
    return ToolCall(
        id=call.id,
        function=ToolCallFunction(name=call.name, arguments=call.arguments, index=call.index),
    )


def _text_content(message: Any) -> Any:
    if isinstance(message, Mapping) and isinstance(message.get("content"), list):
        text = text_of(message["content"])
        if text is not None:
            return {**message, "content": text}
    return message


class OllamaSpec(ChatSpecBase):
    """How the call layer talks to Ollama's native API."""

    stream_type = OllamaStream
    tool_type = "streamcall.core.ollama.tool:OllamaTool"
    client_method = "chat"

    def call_kwargs(self, context: CallContext, json_mode: bool) -> dict[str, Any]:
        """As for other chat APIs, with JSON mode as ``format: "json"``; content given as text
        parts is sent as one string (Ollama's message content is a string)."""
        kwargs = super().call_kwargs(context, json_mode=False)
        kwargs["messages"] = [_text_content(m) for m in kwargs["messages"]]
        if json_mode:
            kwargs.setdefault("format", "json")
        return kwargs

    def force_tool(self, call_kwargs: dict[str, Any], name: str) -> None:
        """Ollama cannot force a tool: offer only that tool (it is the only one given)."""

    common_params: ClassVar[ParamMap] = {
        "max_tokens": "options.num_predict",
        "temperature": "options.temperature",
        "top_p": "options.top_p",
        "stop": lambda v: {"options": {"stop": as_list(v)}},
        "seed": "options.seed",
        "presence_penalty": "options.presence_penalty",
        "frequency_penalty": "options.frequency_penalty",
    }
    """Where each neutral call parameter goes (see ``core/base/params.py``)."""


ollama_call: CallDecorator[OllamaStream, OllamaCallResponse, OllamaCallParams] = (
    make_call_decorator(OllamaSpec())
)
call: CallDecorator[OllamaStream, OllamaCallResponse, OllamaCallParams] = ollama_call
"""``ollama.call``, as in ``from streamcall.core import ollama``."""

OllamaMessageParam: TypeAlias = dict[str, Any]
"""A message as the Ollama client accepts: ``{"role": ..., "content": ...}`` dicts."""
AsyncOllamaDynamicConfig: TypeAlias = OllamaDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""
