"""Mistral call layer: chunk, response, stream, tool, params, and the provider spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from streamcall.clients.mistral.models import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    CompletionChunk,
    CompletionEvent,
    ContentChunk,
    FunctionCall,
    PromptTokensDetails,
    SystemMessage,
    TextChunk,
    ThinkChunk,
    ToolCall,
    ToolMessage,
    UsageInfo,
    UserMessage,
)
from streamcall.core.base._accumulate import (
    AssembledToolCall,
    ToolCallAssembler,
    ToolCallPart,
    UsageReport,
    merge_usage,
    tool_output_text,
)
from streamcall.core.base._call import ChatSpecBase, make_call_decorator
from streamcall.core.base._views import ProviderMixin
from streamcall.core.base.call_response import BaseCallResponse, ResponseFacts
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk, ChunkFacts
from streamcall.core.base.params import ParamMap
from streamcall.core.base.stream import BaseStream
from streamcall.core.base.types import BaseCallParams, BaseDynamicConfig

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.mistral.tool import MistralTool  # noqa: F401 - used in a string

__all__ = [
    "MistralCallParams",
    "MistralCallResponse",
    "MistralCallResponseChunk",
    "MistralDynamicConfig",
    "MistralMessageParam",
    "MistralStream",
    "call",
    "mistral_call",
]

FINISH_MAP = {
    "stop": "stop",
    "length": "length",
    "model_length": "length",
    "tool_calls": "tool_calls",
    "error": "error",
}


class MistralCallParams(BaseCallParams, total=False):
    """Parameters of a Mistral chat call."""

    temperature: float
    top_p: float
    max_tokens: int
    stop: str | list[str]
    random_seed: int
    response_format: Any
    tool_choice: Any
    presence_penalty: float
    frequency_penalty: float
    n: int
    parallel_tool_calls: bool
    safe_prompt: bool
    prompt_mode: str
    reasoning_effort: str
    prediction: Any


class MistralDynamicConfig(BaseDynamicConfig, total=False):
    """What a Mistral-decorated function may return instead of a prompt."""


class _Provider(ProviderMixin, provider="mistral", finish_map=FINISH_MAP):
    """Mistral's name and finish reasons, shared by its chunk, response and stream."""

    __slots__ = ()


def _split_content(content: str | list[ContentChunk] | None) -> tuple[str, str]:
    if content is None:
        return "", ""
    if isinstance(content, str):
        return content, ""
    text: list[str] = []
    thinking: list[str] = []
    for part in content:
        if isinstance(part, TextChunk):
            text.append(part.text)
        elif isinstance(part, ThinkChunk):
            thinking.extend(t.text for t in part.thinking if isinstance(t, TextChunk))
    return "".join(text), "".join(thinking)


def _usage_report(usage: UsageInfo | None) -> UsageReport | None:
    if usage is None:
        return None
    cached = usage.cached_tokens
    return UsageReport(
        input_tokens=usage.prompt_tokens,
        cached_tokens=0 if cached is None else cached,  # usage without a cache figure: 0
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


class MistralCallResponseChunk(_Provider, BaseCallResponseChunk[CompletionChunk], gc=False):
    """One Mistral stream chunk (``chunk`` is the :class:`CompletionChunk`)."""

    _empty_finish_reasons: ClassVar[bool] = True

    @classmethod
    def extract(cls, chunk: CompletionChunk) -> ChunkFacts:
        """Text, thinking, whole tool calls, usage and finish reasons of one chunk."""
        choices = chunk.choices
        text = thinking = ""
        parts: tuple[ToolCallPart, ...] = ()
        reasons: list[str] | None = None
        if choices:
            first = choices[0]
            delta = first.delta
            content = delta.content
            if isinstance(content, str):
                text = content
            elif content is not None:
                text, thinking = _split_content(content)
            calls = delta.tool_calls
            if calls:
                parts = tuple(
                    ToolCallPart(c.index, c.id, c.function.name, c.function.arguments, True)
                    for c in calls
                )
            if len(choices) == 1:
                if first.finish_reason is not None:
                    reasons = [first.finish_reason]
            else:
                reasons = [c.finish_reason for c in choices if c.finish_reason is not None] or None
        usage = chunk.usage
        return ChunkFacts(
            text,
            thinking,
            parts,
            None if usage is None else _usage_report(usage),
            reasons,
            chunk.id or None,
            chunk.model or None,
        )

    @property
    def usage(self) -> UsageInfo | None:
        """Mistral's usage object (on the chunk that carries the finish reason)."""
        return self.chunk.usage


_extract = MistralCallResponseChunk.extract  # bound once: it runs for every chunk


class MistralCallResponse(_Provider, BaseCallResponse[ChatCompletionResponse]):
    """A whole Mistral chat response (``response`` is the :class:`ChatCompletionResponse`)."""

    def _extract(self) -> ResponseFacts:
        response = self.response
        facts = ResponseFacts(id=response.id or None, model=response.model or None)
        if response.choices:
            message = response.choices[0].message
            facts.content, facts.thinking = _split_content(message.content)
            assembler = ToolCallAssembler()
            for call in message.tool_calls or ():
                part = ToolCallPart(
                    call.index, call.id, call.function.name, call.function.arguments, True
                )
                facts.tool_calls.extend(assembler.add(part))
            reasons = [c.finish_reason for c in response.choices if c.finish_reason]
            facts.finish_reasons = reasons or None
        report = _usage_report(response.usage)
        if report is not None:
            facts.usage = merge_usage(None, report)
        return facts

    def _message_param(self) -> AssistantMessage:
        if self.response.choices:
            message = self.response.choices[0].message
            return AssistantMessage(content=message.content, tool_calls=message.tool_calls)
        return AssistantMessage(content="")

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """One :class:`ToolMessage` per tool result, answering its tool call by id."""
        return [
            ToolMessage(
                content=tool_output_text(output),
                tool_call_id=tool.tool_call_id,
                name=tool._name(),
            )
            for tool, output in tools_and_outputs
        ]


class MistralStream(
    _Provider, BaseStream[MistralCallResponseChunk, MistralCallResponse, "MistralTool"]
):
    """A streamed Mistral call: ``for chunk, tool in stream``."""

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = MistralCallResponseChunk
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = MistralCallResponse

    @classmethod
    def _wrap(cls, raw: CompletionEvent) -> MistralCallResponseChunk:
        chunk = raw.data
        return MistralCallResponseChunk(chunk, _extract(chunk))

    def _build_response(self) -> MistralCallResponse:
        acc = self._acc
        tool_calls = [_tool_call(c) for c in acc.tool_calls] or None
        text = acc.text
        content: str | list[ContentChunk] | None = text
        if acc.thinking:  # keep the thinking so that it can be sent back
            content = [ThinkChunk(thinking=[TextChunk(text=acc.thinking)]), TextChunk(text=text)]
        usage = acc.usage
        response = ChatCompletionResponse(
            id=acc.id or "",
            model=acc.model or self._context.model,
            object="chat.completion",
            choices=[
                ChatCompletionChoice(
                    message=AssistantMessage(content=content, tool_calls=tool_calls),
                    finish_reason=acc.finish_reasons[0] if acc.finish_reasons else None,
                )
            ],
            usage=None
            if usage is None
            else UsageInfo(
                prompt_tokens=usage.input_tokens,
                completion_tokens=usage.output_tokens,
                total_tokens=usage.total_tokens,
                prompt_tokens_details=None
                if usage.cached_tokens is None
                else PromptTokensDetails(cached_tokens=usage.cached_tokens),
            ),
        )
        return MistralCallResponse(response, self._context)


def _tool_call(call: AssembledToolCall) -> ToolCall:
    return ToolCall(
        id=call.id,
        function=FunctionCall(name=call.name, arguments=call.arguments_json),
        index=call.index,
    )


class MistralSpec(ChatSpecBase):
    """How the call layer talks to Mistral."""

    common_params: ClassVar[ParamMap] = {**ChatSpecBase.common_params, "seed": "random_seed"}
    stream_type = MistralStream
    tool_type = "streamcall.core.mistral.tool:MistralTool"
    client_method = "chat.complete"
    stream_method = "chat.stream"

    def user_message_param(self, message: Any) -> Any:
        """A ``UserMessage``, as Mirascope v1 gives the Mistral SDK's."""
        import msgspec

        from streamcall.clients.mistral.models import UserMessage

        wire = super().user_message_param(message)
        if not isinstance(wire, Mapping):
            return wire
        try:
            return msgspec.convert(wire, UserMessage)
        except msgspec.ValidationError:
            return wire


mistral_call: CallDecorator[MistralStream, MistralCallResponse, MistralCallParams] = (
    make_call_decorator(MistralSpec())
)
call: CallDecorator[MistralStream, MistralCallResponse, MistralCallParams] = mistral_call
"""``mistral.call``, as in ``from streamcall.core import mistral``."""

MistralMessageParam: TypeAlias = AssistantMessage | SystemMessage | ToolMessage | UserMessage
"""A message as the Mistral client accepts (message models; dicts work too)."""
