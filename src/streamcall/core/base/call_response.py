"""``BaseCallResponse``: a whole response (non-streamed, or rebuilt from a finished stream)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from streamcall.core.base._accumulate import AssembledToolCall, Usage
from streamcall.core.base.cost import CostMetadata, calculate_cost
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
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    tool_types: list[type[BaseTool]] | None = None
    metadata: Metadata = field(default_factory=lambda: Metadata())
    prompt_template: str | None = None
    fn_args: dict[str, Any] = field(default_factory=dict)
    dynamic_config: dict[str, Any] | None = None
    user_message_param: Any = None


class BaseCallResponse(Generic[ResponseT]):
    """A provider response (``response``) with neutral views and the call's context.

    Providers implement :meth:`_extract`, :meth:`_message_param` and
    :meth:`tool_message_params`; everything else derives from them.
    """

    _provider: ClassVar[str] = ""
    _finish_map: ClassVar[dict[str, str]] = {}

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
    def tool_message_params(cls, tools_and_outputs: list[tuple[BaseTool, Any]]) -> list[Any]:
        """The messages that return tool results to the model."""
        raise NotImplementedError

    @property
    def facts(self) -> ResponseFacts:
        """The neutral facts of this response (computed once)."""
        if self._facts is None:
            self._facts = self._extract()
        return self._facts

    # -- the call's context -------------------------------------------------------------------

    @property
    def metadata(self) -> Metadata:
        """The call's metadata."""
        return self._context.metadata

    @property
    def messages(self) -> list[Any]:
        """The messages that were sent."""
        return self._context.messages

    @property
    def call_params(self) -> dict[str, Any]:
        """The call parameters that were used."""
        return self._context.call_params

    @property
    def call_kwargs(self) -> dict[str, Any]:
        """Everything passed to the provider client."""
        return self._context.call_kwargs

    @property
    def tool_types(self) -> list[type[BaseTool]] | None:
        """The tools offered to the model."""
        return self._context.tool_types

    @property
    def prompt_template(self) -> str | None:
        """The prompt template, when the function had one."""
        return self._context.prompt_template

    @property
    def fn_args(self) -> dict[str, Any]:
        """The decorated function's arguments."""
        return self._context.fn_args

    @property
    def dynamic_config(self) -> dict[str, Any] | None:
        """What the decorated function returned, when it was a config."""
        return self._context.dynamic_config

    @property
    def user_message_param(self) -> Any:
        """The last user message sent, if any."""
        return self._context.user_message_param

    # -- the answer ---------------------------------------------------------------------------

    @property
    def content(self) -> str:
        """The answer's text."""
        return self.facts.content

    @property
    def thinking(self) -> str:
        """The thinking / reasoning text, kept apart from ``content``."""
        return self.facts.thinking

    @property
    def finish_reasons(self) -> list[str] | None:
        """The provider's own finish reasons."""
        return self.facts.finish_reasons

    @property
    def common_finish_reasons(self) -> list[str] | None:
        """Finish reasons in the common set."""
        reasons = self.facts.finish_reasons
        return None if reasons is None else [self._finish_map.get(r, r) for r in reasons]

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
    def input_tokens(self) -> int | None:
        """Input tokens (cached ones included)."""
        usage = self.facts.usage
        return None if usage is None else usage.input_tokens

    @property
    def cached_tokens(self) -> int | None:
        """Input tokens served from the provider's cache."""
        usage = self.facts.usage
        return None if usage is None else usage.cached_tokens

    @property
    def output_tokens(self) -> int | None:
        """Output tokens."""
        usage = self.facts.usage
        return None if usage is None else usage.output_tokens

    @property
    def cost_metadata(self) -> CostMetadata:
        """What :attr:`cost` is computed from."""
        return CostMetadata.of(self._provider, self.model, self.common_usage)

    @property
    def cost(self) -> float | None:
        """USD for this call, or ``None`` when the model's price or the usage is unknown."""
        return calculate_cost(self.cost_metadata)

    @property
    def message_param(self) -> Any:
        """The assistant message to append to the conversation (tool calls included)."""
        return self._message_param()

    @property
    def tools(self) -> list[BaseTool] | None:
        """The tools the model called, as instances (``None`` when it called none)."""
        calls = self.facts.tool_calls
        if not calls:
            return None
        return [tool for call in calls if (tool := self._make_tool(call)) is not None]

    @property
    def tool(self) -> BaseTool | None:
        """The first tool the model called, or ``None``."""
        tools = self.tools
        return tools[0] if tools else None

    def _make_tool(self, call: AssembledToolCall) -> BaseTool | None:
        for tool_type in self._context.tool_types or ():
            if tool_type._name() == call.name:
                return tool_type.from_tool_call(call.arguments, call, call.id)
        return None
