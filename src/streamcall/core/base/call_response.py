"""``BaseCallResponse``: a whole response (non-streamed, or rebuilt from a finished stream)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from streamcall.core.base._accumulate import AssembledToolCall, Usage, tool_output_text
from streamcall.core.base._views import ContextViews, CostViews
from streamcall.core.base.types import Metadata

if TYPE_CHECKING:
    from streamcall.core.base.tool import BaseTool

__all__ = ["BaseCallResponse", "CallContext", "ResponseFacts"]

ResponseT = TypeVar("ResponseT")


@dataclass(slots=True)
class ResponseFacts:
    """What a whole response says, in neutral terms."""

    content: str = ""
    thinking: str = ""
    tool_calls: list[AssembledToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish_reasons: list[str] | None = None
    id: str | None = None
    model: str | None = None


@dataclass
class CallContext:
    """How a call was made: shared by its stream and its response."""

    model: str
    messages: list[Any] = field(default_factory=list)
    call_params: dict[str, Any] = field(default_factory=dict)
    """The call params sent (the decorator's, a dynamic config's over them)."""
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    tool_types: list[type[BaseTool]] | None = None
    metadata: Metadata = field(default_factory=lambda: Metadata())
    prompt_template: str | None = None
    fn_args: dict[str, Any] = field(default_factory=dict)
    dynamic_config: dict[str, Any] | None = None
    user_message_param: Any = None
    decorator_call_params: dict[str, Any] | None = None
    """The decorator's call params, which ``call_params`` reports (``None``: ``call_params``)."""
    provider: str = ""
    """The provider that served the call (a registry name such as ``groq`` where one call
    layer serves several providers; empty: the class's own)."""


class BaseCallResponse(CostViews, ContextViews, Generic[ResponseT]):
    """A provider response (``response``) with neutral views and the call's context.

    Providers implement :meth:`_extract`, :meth:`_message_param` and
    :meth:`tool_message_params`; everything else derives from them.
    """

    def __init__(
        self,
        response: ResponseT,
        context: CallContext,
        *,
        start_time: float = 0.0,
        end_time: float = 0.0,
    ) -> None:
        self.response = response
        self._context = context
        self.start_time = start_time
        self.end_time = end_time
        self._facts: ResponseFacts | None = None

    def _extract(self) -> ResponseFacts:
        raise NotImplementedError

    def _message_param(self) -> Any:
        raise NotImplementedError

    @classmethod
    def tool_message_params(cls, tools_and_outputs: Sequence[tuple[BaseTool, Any]]) -> list[Any]:
        """The messages that return tool results to the model."""
        raise NotImplementedError

    @staticmethod
    def _tool_results(
        tools_and_outputs: Sequence[tuple[BaseTool, Any]],
        id_key: str,
        output_key: str,
        **fixed: str,
    ) -> list[dict[str, Any]]:
        """One dict per tool result: the ``fixed`` keys, the tool call's id under ``id_key`` and
        the output as text under ``output_key`` (OpenAI's tool messages, the Responses API's
        ``function_call_output`` items, Anthropic's ``tool_result`` blocks)."""
        return [
            {**fixed, id_key: tool.tool_call_id, output_key: tool_output_text(output)}
            for tool, output in tools_and_outputs
        ]

    @property
    def facts(self) -> ResponseFacts:
        """The neutral facts of this response (computed once)."""
        if self._facts is None:
            self._facts = self._extract()
        return self._facts

    # -- the answer ---------------------------------------------------------------------------

    @property
    def content(self) -> str:
        """The answer's text."""
        return self.facts.content

    @property
    def finish_reasons(self) -> list[str] | None:
        """The provider's own finish reasons."""
        return self.facts.finish_reasons

    @property
    def thinking(self) -> str:
        """The thinking / reasoning text, kept apart from ``content``."""
        return self.facts.thinking

    @property
    def model(self) -> str:
        """The model the provider reports (else the one asked for)."""
        return self.facts.model or self._context.model

    @property
    def id(self) -> str | None:
        """The response id."""
        return self.facts.id

    @property
    def usage(self) -> Any:
        """The provider's own usage object."""
        return getattr(self.response, "usage", None)

    @property
    def common_usage(self) -> Usage | None:
        """Usage in neutral form."""
        return self.facts.usage

    @property
    def message_param(self) -> Any:
        """The assistant message to append to the conversation (tool calls included)."""
        return self._message_param()

    def _has_tool_calls(self) -> bool:
        return bool(self.facts.tool_calls)

    @property
    def tools(self) -> list[BaseTool] | None:
        """The tools the model called, as instances (``None`` when it called none).

        Raises :class:`~streamcall.errors.ToolCallError` (``UnknownToolError`` or
        ``ToolArgumentsError``) for a call that fits none of the call's tools: a call is never
        silently dropped, since the next turn must answer every one.
        """
        calls = self.facts.tool_calls
        if not calls:
            return None
        return [self._tool_for(call) for call in calls]

    @property
    def tool(self) -> BaseTool | None:
        """The first tool the model called, or ``None``."""
        tools = self.tools
        return tools[0] if tools else None
