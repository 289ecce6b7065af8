"""Gemini call layer: chunk, response, stream, params, tool, and the spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from streamcall.clients.gemini.models import (
    Candidate,
    Content,
    FunctionCall,
    GenerateContentResponse,
    Part,
    UsageMetadata,
)
from streamcall.core.base._accumulate import (
    TextPieces,
    ToolCallAssembler,
    ToolCallPart,
    UsageReport,
    merge_usage,
    stable_call_id,
)
from streamcall.core.base._call import ChatSpecBase, make_call_decorator, wire_message
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
    from streamcall.core.gemini.tool import GeminiTool  # noqa: F401 - used in a string

__all__ = [
    "GeminiCallParams",
    "GeminiCallResponse",
    "GeminiCallResponseChunk",
    "GeminiDynamicConfig",
    "GeminiMessageParam",
    "GeminiStream",
    "call",
    "gemini_call",
]

FINISH_MAP = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "MALFORMED_FUNCTION_CALL": "error",
    "UNEXPECTED_TOOL_CALL": "error",
    "TOO_MANY_TOOL_CALLS": "error",
    "OTHER": "stop",
    "LANGUAGE": "stop",
}


class GeminiCallParams(BaseCallParams, total=False):
    """``generationConfig`` keys for a Gemini call (camelCase, as the API takes them)."""

    temperature: float
    topP: float
    topK: int
    maxOutputTokens: int
    stopSequences: list[str]
    candidateCount: int
    seed: int
    thinkingConfig: dict[str, Any]
    responseMimeType: str
    responseSchema: dict[str, Any]
    safetySettings: list[Any]
    toolConfig: dict[str, Any]


class GeminiDynamicConfig(BaseDynamicConfig, total=False):
    """What a Gemini-decorated function may return instead of a prompt."""


class _Provider(ProviderMixin, provider="gemini", finish_map=FINISH_MAP):
    """Gemini's name and finish reasons, shared by its chunk, response and stream."""

    __slots__ = ()


def call_id(response_id: str | None, call: FunctionCall) -> str:
    """The call's id, or a stable one when the Developer API sent none."""
    return call.id or stable_call_id(response_id, call.name, call.args)


def _usage_report(usage: UsageMetadata) -> UsageReport:
    # Gemini writes proto3 JSON, which omits a count that is zero: inside usageMetadata an
    # absent count is 0, not unknown (an answer of only a function call has no candidates).
    return UsageReport(
        input_tokens=usage.prompt_token_count or 0,
        cached_tokens=usage.cached_content_token_count or 0,
        output_tokens=usage.candidates_token_count or 0,
        total_tokens=usage.total_token_count,
        reasoning_tokens=usage.thoughts_token_count,
        output_includes_reasoning=False,
    )


def _parts_facts(
    candidates: list[Candidate], response_id: str | None
) -> tuple[str, str, tuple[ToolCallPart, ...], list[str] | None]:
    if not candidates:
        return "", "", (), None
    candidate = candidates[0]
    text: list[str] = []
    thinking: list[str] = []
    calls: list[ToolCallPart] = []
    for part in candidate.content.parts if candidate.content is not None else ():
        if part.function_call is not None:
            call = part.function_call
            calls.append(ToolCallPart(None, call_id(response_id, call), call.name, call.args, True))
        elif part.text:
            (thinking if part.thought else text).append(part.text)
    reasons = [candidate.finish_reason] if candidate.finish_reason else None
    return "".join(text), "".join(thinking), tuple(calls), reasons


class GeminiCallResponseChunk(_Provider, BaseCallResponseChunk[GenerateContentResponse], gc=False):
    """One Gemini chunk (``chunk`` is the :class:`GenerateContentResponse`)."""

    _empty_finish_reasons: ClassVar[bool] = True

    @classmethod
    def extract(cls, chunk: GenerateContentResponse) -> ChunkFacts:
        """Text, thought text, whole function calls, cumulative usage, finish reason."""
        text, thinking, calls, reasons = _parts_facts(chunk.candidates, chunk.response_id)
        usage = chunk.usage_metadata
        return ChunkFacts(
            text,
            thinking,
            calls,
            usage=None if usage is None else _usage_report(usage),
            finish_reasons=reasons,
            id=chunk.response_id,
            model=chunk.model_version,
        )

    @property
    def usage(self) -> UsageMetadata | None:
        """Gemini's cumulative usage metadata."""
        return self.chunk.usage_metadata


def _merge_parts(parts: list[Part]) -> list[dict[str, Any]]:
    """Parts to send back: adjacent texts of one kind joined; signatures and calls kept.

    An empty text part that carries nothing else is dropped: Gemini streams them now and then
    (after a function call, say) and rejects a turn that sends one back.
    """
    out: list[dict[str, Any]] = []
    for part in parts:
        data = part.model_dump()
        data.pop("raw", None)
        if not part.text and data.keys() <= {"text", "thought"}:
            continue
        last = out[-1] if out else None
        mergeable = (
            part.text is not None
            and part.function_call is None
            and part.thought_signature is None
            and last is not None
            and "text" in last
            and "functionCall" not in last
            and "thoughtSignature" not in last
            and bool(last.get("thought")) == bool(part.thought)
        )
        if mergeable and last is not None:
            last["text"] += part.text or ""
        else:
            out.append(data)
    return out


class GeminiCallResponse(_Provider, BaseCallResponse[GenerateContentResponse]):
    """A whole Gemini response (``response`` is the :class:`GenerateContentResponse`)."""

    def _extract(self) -> ResponseFacts:
        response = self.response
        text, thinking, calls, reasons = _parts_facts(response.candidates, response.response_id)
        facts = ResponseFacts(
            content=text,
            thinking=thinking,
            finish_reasons=reasons,
            id=response.response_id,
            model=response.model_version,
        )
        assembler = ToolCallAssembler(sequential=False)
        for part in calls:
            facts.tool_calls.extend(assembler.add(part))
        if response.usage_metadata is not None:
            r = _usage_report(response.usage_metadata)
            facts.usage = merge_usage(None, r)
        return facts

    def _message_param(self) -> dict[str, Any]:
        candidates = self.response.candidates
        parts = candidates[0].content.parts if candidates and candidates[0].content else []
        return {"role": "model", "parts": _merge_parts(parts)}

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """One user turn with a ``functionResponse`` part per tool (matched by name)."""
        if not tools_and_outputs:
            return []
        return [
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": tool._name(), "response": {"result": output}}}
                    for tool, output in tools_and_outputs
                ],
            }
        ]


class _Parts:
    """The parts of a streamed answer, folded from its responses in order: adjacent plain
    texts of one kind (thought or not) joined, as a whole response has them; the last usage."""

    __slots__ = ("items", "usage")

    def __init__(self) -> None:
        self.items: list[Part | tuple[bool, TextPieces]] = []
        self.usage: UsageMetadata | None = None

    def add(self, response: GenerateContentResponse) -> None:
        """Fold one streamed response."""
        if response.candidates and response.candidates[0].content is not None:
            for part in response.candidates[0].content.parts:
                if not _plain_text(part):
                    self.items.append(part)
                    continue
                thought = bool(part.thought)
                last = self.items[-1] if self.items else None
                if not (isinstance(last, tuple) and last[0] == thought):
                    last = (thought, TextPieces())
                    self.items.append(last)
                last[1].add(part.text or "")
        self.usage = response.usage_metadata or self.usage

    def parts(self) -> list[Part]:
        """The parts so far."""
        return [
            Part(text=str(item[1]), thought=item[0] or None) if isinstance(item, tuple) else item
            for item in self.items
        ]


def _plain_text(part: Part) -> bool:
    return (
        part.text is not None
        and part.thought_signature is None
        and part.function_call is None
        and part.function_response is None
        and part.inline_data is None
    )


class GeminiStream(
    _Provider, BaseStream[GeminiCallResponseChunk, GeminiCallResponse, "GeminiTool"]
):
    """A streamed Gemini call: ``for chunk, tool in stream`` (function calls arrive whole)."""

    _chunk_type: ClassVar[type[BaseCallResponseChunk[Any]]] = GeminiCallResponseChunk
    _sequential_tool_calls: ClassVar[bool] = False
    call_response_type: ClassVar[type[BaseCallResponse[Any]]] = GeminiCallResponse

    _fold = _Parts

    def _build_response(self) -> GeminiCallResponse:
        folded: _Parts = self._events_folded()
        parts, last_usage = folded.parts(), folded.usage
        acc = self._acc
        whole = GenerateContentResponse(
            candidates=[
                Candidate(
                    content=Content(parts=parts, role="model"),
                    finish_reason=acc.finish_reasons[0] if acc.finish_reasons else None,
                    index=0,
                )
            ],
            usage_metadata=last_usage,
            model_version=acc.model or self._context.model,
            response_id=acc.id,
        )
        return GeminiCallResponse(whole, self._context)


def _to_content(message: Any) -> dict[str, Any] | None:
    wire = wire_message(message)
    if isinstance(wire, Mapping) and "parts" in wire:
        return dict(wire)
    role = wire.get("role") if isinstance(wire, Mapping) else getattr(wire, "role", None)
    content = wire.get("content") if isinstance(wire, Mapping) else getattr(wire, "content", None)
    if role == "system":
        return None
    parts = [{"text": content}] if isinstance(content, str) else [_part(p) for p in content or []]
    return {"role": "model" if role == "assistant" else "user", "parts": parts}


def _part(part: Any) -> Any:
    """A content part as Gemini takes it (a neutral text part becomes ``{"text": ...}``)."""
    if isinstance(part, Mapping) and part.get("type") == "text" and "text" in part:
        return {"text": part["text"]}
    return part


_TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def _tool_choice(value: Any) -> dict[str, Any]:
    """Gemini's ``toolConfig.functionCallingConfig.mode``; its own form passes through."""
    if isinstance(value, str):
        mode = _TOOL_MODES.get(value, value)
        return {"toolConfig": {"functionCallingConfig": {"mode": mode}}}
    return {"toolConfig": value}


class GeminiSpec(ChatSpecBase):
    """How the call layer talks to Gemini."""

    stream_type = GeminiStream
    tool_type = "streamcall.core.gemini.tool:GeminiTool"
    client_method = "models.generate_content"
    stream_method = "models.generate_content_stream"

    def user_message_param(self, message: Any) -> Any:
        """The user content as Gemini takes it (``{"role": "user", "parts": [...]}``)."""
        return _to_content(message)

    def call_kwargs(self, context: CallContext, json_mode: bool) -> dict[str, Any]:
        """Contents (system messages -> ``systemInstruction``), and a config of the call
        params, tools and JSON mode."""
        system = [
            m.content if not isinstance(m, Mapping) else m.get("content")
            for m in context.messages
            if (m.get("role") if isinstance(m, Mapping) else getattr(m, "role", None)) == "system"
        ]
        contents = [c for m in context.messages if (c := _to_content(m)) is not None]
        config: dict[str, Any] = dict(context.call_params)
        if system:
            text = "\n\n".join(t if (t := text_of(c)) is not None else str(c) for c in system)
            config["systemInstruction"] = {"parts": [{"text": text}]}
        if context.tool_types:
            declarations = [t.tool_schema() for t in context.tool_types]  # type: ignore[attr-defined]
            config["tools"] = [{"functionDeclarations": declarations}]
        if json_mode:
            config.setdefault("responseMimeType", "application/json")
        return {"model": context.model, "contents": contents, "config": config}

    def force_tool(self, call_kwargs: dict[str, Any], name: str) -> None:
        """Make the model call the function ``name``."""
        call_kwargs["config"]["toolConfig"] = {
            "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}
        }

    common_params: ClassVar[ParamMap] = {
        "max_tokens": "maxOutputTokens",
        "temperature": "temperature",
        "top_p": "topP",
        "stop": lambda v: {"stopSequences": as_list(v)},
        "seed": "seed",
        "presence_penalty": "presencePenalty",
        "frequency_penalty": "frequencyPenalty",
        "tool_choice": _tool_choice,
    }
    """Where each neutral call parameter goes (see ``core/base/params.py``)."""


gemini_call: CallDecorator[GeminiStream, GeminiCallResponse, GeminiCallParams] = (
    make_call_decorator(GeminiSpec())
)
call: CallDecorator[GeminiStream, GeminiCallResponse, GeminiCallParams] = gemini_call
"""``gemini.call``, as in ``from streamcall.core import gemini``."""

GeminiMessageParam: TypeAlias = dict[str, Any]
"""A message as the Gemini client accepts: ``{"role": ..., "parts": [...]}`` dicts."""
