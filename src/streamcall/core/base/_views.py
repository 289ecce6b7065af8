"""Properties derived once for chunks, responses and streams (mixins, no state of their own)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from streamcall.core.base.cost import CostMetadata, calculate_cost
from streamcall.errors import ToolArgumentsError, UnknownToolError

if TYPE_CHECKING:
    from streamcall.core.base._accumulate import Usage
    from streamcall.core.base.call_response import CallContext
    from streamcall.core.base.tool import BaseTool
    from streamcall.core.base.types import Metadata

__all__ = ["ContextViews", "CostViews", "ProviderMixin", "UsageViews", "tool_instance"]


class ProviderMixin:
    """A provider's name and finish-reason map, declared once for its chunk, response and
    stream classes: ``class _Provider(ProviderMixin, provider="mistral", finish_map=...)``,
    then ``class MistralStream(_Provider, BaseStream[...])``."""

    __slots__ = ()
    _provider: ClassVar[str] = ""
    _finish_map: ClassVar[dict[str, str]] = {}

    def __init_subclass__(
        cls, provider: str | None = None, finish_map: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if provider is not None:
            cls._provider = provider
        if finish_map is not None:
            cls._finish_map = finish_map


class UsageViews:
    """Token counts, common finish reasons and cost metadata, from ``common_usage``,
    ``finish_reasons`` and ``model``, which the class using this mixin provides."""

    __slots__ = ()
    _provider: ClassVar[str] = ""
    _finish_map: ClassVar[dict[str, str]] = {}

    @property
    def common_usage(self) -> Usage | None:
        """Usage in neutral form."""
        raise NotImplementedError

    @property
    def finish_reasons(self) -> list[str] | None:
        """The provider's own finish reasons."""
        raise NotImplementedError

    @property
    def model(self) -> str | None:
        """The model."""
        raise NotImplementedError

    @property
    def common_finish_reasons(self) -> list[str] | None:
        """Finish reasons in the common set (``stop``, ``length``, ``tool_calls``,
        ``content_filter``, ``error``); unknown values pass through unchanged."""
        reasons = self.finish_reasons
        return None if reasons is None else [self._finish_map.get(r, r) for r in reasons]

    @property
    def input_tokens(self) -> int | None:
        """Input tokens (cached ones included); ``None`` when the provider sent no usage."""
        usage = self.common_usage
        return None if usage is None else usage.input_tokens

    @property
    def cached_tokens(self) -> int | None:
        """Input tokens served from the provider's cache."""
        usage = self.common_usage
        return None if usage is None else usage.cached_tokens

    @property
    def output_tokens(self) -> int | None:
        """Output tokens."""
        usage = self.common_usage
        return None if usage is None else usage.output_tokens

    @property
    def cost_metadata(self) -> CostMetadata:
        """What a cost is computed from."""
        return CostMetadata.of(self._provider_name(), self.model, self.common_usage)

    def _provider_name(self) -> str:
        return self._provider


class CostViews(UsageViews):
    """:class:`UsageViews` plus the cost in USD, for whole answers (streams, responses)."""

    __slots__ = ()

    def _has_tool_calls(self) -> bool:
        raise NotImplementedError

    @property
    def common_finish_reasons(self) -> list[str] | None:
        """As for a chunk, except that an answer that ended in tool calls says ``tool_calls``
        even where the provider says only that it stopped (Gemini, Ollama)."""
        reasons = super().common_finish_reasons
        if reasons and self._has_tool_calls():
            return ["tool_calls" if r == "stop" else r for r in reasons]
        return reasons

    @property
    def cost(self) -> float | None:
        """USD for this call, or ``None`` when the model's price or the usage is unknown."""
        return calculate_cost(self.cost_metadata)

    @property
    def provider(self) -> str:
        """The provider's name (the registry's, where one call layer serves several)."""
        return self._provider_name()

    def _provider_name(self) -> str:
        context = getattr(self, "_context", None)
        return (context.provider if context is not None else "") or self._provider


class ContextViews:
    """How the call was made, from ``_context`` (a :class:`CallContext`)."""

    __slots__ = ()
    _context: CallContext

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
        """The decorator's call parameters, as Mirascope v1 reports them (what was sent, a
        dynamic config's call params merged over them, is in ``call_kwargs``)."""
        context = self._context
        if context.decorator_call_params is not None:
            return context.decorator_call_params
        return context.call_params

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

    def _tool_for(self, call: Any) -> BaseTool:
        """The tool instance for an assembled call.

        Raises :class:`~streamcall.errors.UnknownToolError` for a name none of the call's tools
        has, and :class:`~streamcall.errors.ToolArgumentsError` for arguments that are not a
        JSON object or do not validate against the tool, and for a call the stream stopped in
        the middle of (``call.finished`` false: arguments cut short are never run).
        """
        tool_types = self._context.tool_types or ()
        for tool_type in tool_types:
            if tool_type._name() == call.name:
                return tool_instance(tool_type, call)
        raise UnknownToolError(call, [t._name() for t in tool_types])


def tool_instance(tool_type: type[BaseTool], call: Any) -> BaseTool:
    """``tool_type`` built from an assembled call, or a typed error saying why it cannot be."""
    from pydantic import ValidationError

    if call.error is not None:
        raise ToolArgumentsError(call, tool_type, call.error)
    try:
        return tool_type.from_tool_call(call.arguments, call, call.id)
    except ValidationError as exc:
        reason = f"{exc.error_count()} validation error(s): " + "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(arguments)'}: {e['msg']}"
            for e in exc.errors()
        )
        raise ToolArgumentsError(call, tool_type, reason, exc) from exc
