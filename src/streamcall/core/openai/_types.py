"""OpenAI call layer (Chat Completions): chunk, response, stream, params, and the spec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from streamcall.clients.openai.models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    Choice,
    CompletionTokensDetails,
    CompletionUsage,
    Function,
    PromptTokensDetails,
)
from streamcall.core.base._accumulate import (
    AssembledToolCall,
    ToolCallAssembler,
    ToolCallPart,
    UsageReport,
    merge_usage,
)
from streamcall.core.base._call import ChatSpecBase, make_call_decorator
from streamcall.core.base._views import ProviderMixin
from streamcall.core.base.call_response import BaseCallResponse, ResponseFacts
from streamcall.core.base.call_response_chunk import BaseCallResponseChunk, ChunkFacts
from streamcall.core.base.stream import BaseStream
from streamcall.core.base.types import BaseCallParams, BaseDynamicConfig

if TYPE_CHECKING:
    from streamcall.core.base._typing import CallDecorator
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.openai.tool import OpenAITool  # noqa: F401 - used in a string

__all__ = [
    "AsyncOpenAIDynamicConfig",
    "OpenAICallParams",
    "OpenAICallResponse",
    "OpenAICallResponseChunk",
    "OpenAIDynamicConfig",
    "OpenAIMessageParam",
    "OpenAIStream",
    "call",
    "openai_call",
]

FINISH_MAP = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


class OpenAICallParams(BaseCallParams, total=False):
    """Parameters of an OpenAI chat call."""

    temperature: float
    top_p: float
    max_tokens: int
    max_completion_tokens: int
    n: int
    stop: str | list[str]
    seed: int
    tool_choice: Any
    parallel_tool_calls: bool
    response_format: Any
    presence_penalty: float
    frequency_penalty: float
    logit_bias: dict[str, int]
    logprobs: bool
    top_logprobs: int
    reasoning_effort: str
    service_tier: str
    user: str
    stream_options: dict[str, Any]
    extra_body: dict[str, Any]


class OpenAIDynamicConfig(BaseDynamicConfig, total=False):
    """What an OpenAI-decorated function may return instead of a prompt."""


class _Provider(ProviderMixin, provider="openai", finish_map=FINISH_MAP):
    """OpenAI's name and finish reasons, shared by its chunk, response and stream."""

    __slots__ = ()


def usage_report(usage: CompletionUsage) -> UsageReport:
    """OpenAI usage in the shared accumulator's terms."""
    cached = usage.cached_tokens
    return UsageReport(
        input_tokens=usage.prompt_tokens,
        cached_tokens=0 if cached is None else cached,  # usage without a cache figure: 0
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
        reasoning_tokens=usage.reasoning_tokens,
    )


class OpenAICallResponseChunk(_Provider, BaseCallResponseChunk[ChatCompletionChunk], gc=False):
    """One OpenAI chat chunk (``chunk`` is the :class:`ChatCompletionChunk`)."""

    _empty_finish_reasons: ClassVar[bool] = True

    @classmethod
    def extract(cls, chunk: ChatCompletionChunk) -> ChunkFacts:
        """Text, reasoning text, tool-call fragments, usage and finish reasons of one chunk."""
        choices = chunk.choices
        text = thinking = ""
        parts: tuple[ToolCallPart, ...] = ()
        reasons: list[str] | None = None
        if choices:
            first = choices[0]
            delta = first.delta
            text = delta.content or ""
            reasoning = delta.reasoning_content or delta.reasoning
            if reasoning:
                thinking = reasoning
            calls = delta.tool_calls
            if calls:
                parts = tuple(
                    ToolCallPart(
                        c.index,
                        c.id,
                        c.function.name if c.function else None,
                        c.function.arguments if c.function else None,
                    )
                    for c in calls
                )
            if first.finish_reason is not None:
                reasons = [first.finish_reason]
        usage = chunk.usage
        return ChunkFacts(
            text,
            thinking,
            parts,
            None if usage is None else usage_report(usage),
            reasons,
            chunk.id or None,
            chunk.model or None,
        )

    @property
    def usage(self) -> CompletionUsage | None:
        """OpenAI's usage object (on the final chunk when usage was asked for)."""
        return self.chunk.usage


class OpenAICallResponse(_Provider, BaseCallResponse[ChatCompletion]):
    """A whole OpenAI chat completion (``response`` is the :class:`ChatCompletion`)."""

    def _extract(self) -> ResponseFacts:
        response = self.response
        facts = ResponseFacts(id=response.id or None, model=response.model or None)
        if response.choices:
            message = response.choices[0].message
            facts.content = message.content or ""
            facts.thinking = message.reasoning_content or message.reasoning or ""
            assembler = ToolCallAssembler()
            for index, call in enumerate(message.tool_calls or ()):
                part = ToolCallPart(
                    index, call.id, call.function.name, call.function.arguments, True
                )
                facts.tool_calls.extend(assembler.add(part))
            reasons = [c.finish_reason for c in response.choices if c.finish_reason]
            facts.finish_reasons = reasons or None
        if response.usage is not None:
            report = usage_report(response.usage)
            facts.usage = merge_usage(None, report)
        return facts

    def _message_param(self) -> dict[str, Any]:
        message = self.response.choices[0].message if self.response.choices else None
        param: dict[str, Any] = {"role": "assistant", "content": self.content or None}
        if message is not None and message.tool_calls:
            param["tool_calls"] = calls = [call.model_dump() for call in message.tool_calls]
            for call in calls:  # required when sent back, even empty (a call cut before it)
                call["function"].setdefault("arguments", "")
        return param

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """One ``{"role": "tool", "tool_call_id": ..., "content": ...}`` per tool result."""
        return cls._tool_results(tools_and_outputs, "tool_call_id", "content", role="tool")


class OpenAIStream(
    _Provider, BaseStream[OpenAICallResponseChunk, OpenAICallResponse, "OpenAITool"]
):
    """A streamed OpenAI (or OpenAI-compatible) call: ``for chunk, tool in stream``.

    Tool calls stream as argument fragments; a call is yielded once the next one starts and
    its own arguments are whole (compatible servers interleave fragments), or the stream ends.
    Servers that send no usage (llama.cpp's server) leave the token counts
    and ``cost`` at ``None``.
    """

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = OpenAICallResponseChunk
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = OpenAICallResponse

    def _build_response(self) -> OpenAICallResponse:
        acc = self._acc
        usage = acc.usage
        tool_calls = [_tool_call(c) for c in acc.tool_calls] or None
        response = ChatCompletion(
            id=acc.id or "",
            model=acc.model or self._context.model,
            object="chat.completion",
            choices=[
                Choice(
                    message=ChatCompletionMessage(
                        content=acc.text or None,
                        tool_calls=tool_calls,
                        reasoning_content=acc.thinking or None,
                    ),
                    finish_reason=acc.finish_reasons[0] if acc.finish_reasons else None,
                )
            ],
            usage=None
            if usage is None
            else CompletionUsage(
                prompt_tokens=usage.input_tokens,
                completion_tokens=usage.output_tokens,
                total_tokens=usage.total_tokens,
                prompt_tokens_details=PromptTokensDetails(cached_tokens=usage.cached_tokens),
                completion_tokens_details=CompletionTokensDetails(
                    reasoning_tokens=usage.reasoning_tokens
                ),
            ),
        )
        response_type: Any = self.call_response_type
        built: OpenAICallResponse = response_type(response, self._context)
        return built


def _tool_call(call: AssembledToolCall) -> ChatCompletionMessageToolCall:
    return ChatCompletionMessageToolCall(
        id=call.id or "", function=Function(name=call.name, arguments=call.arguments_json)
    )


class OpenAISpec(ChatSpecBase):
    """How the call layer talks to OpenAI Chat Completions."""

    stream_type = OpenAIStream
    tool_type = "streamcall.core.openai.tool:OpenAITool"
    client_method = "chat.completions.create"


openai_call: CallDecorator[OpenAIStream, OpenAICallResponse, OpenAICallParams] = (
    make_call_decorator(OpenAISpec())
)
call: CallDecorator[OpenAIStream, OpenAICallResponse, OpenAICallParams] = openai_call
"""``openai.call``, as in ``from streamcall.core import openai``."""

OpenAIMessageParam: TypeAlias = dict[str, Any]
"""A message as the OpenAI client accepts: ``{"role": ..., "content": ...}`` dicts."""
AsyncOpenAIDynamicConfig: TypeAlias = OpenAIDynamicConfig
"""The dynamic config of an ``async def`` function (the same keys)."""
