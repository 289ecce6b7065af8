"""Provider-agnostic calls: ``@llm.call(provider="mistral", model="...", stream=True)``.

The same function runs on any provider; switch at run time with :func:`override` or the
:func:`context` manager. Streams are :class:`Stream` objects whose chunks are
:class:`CallResponseChunk`; ``finish_reasons`` are the common ones (``stop``, ``length``,
``tool_calls``, ``content_filter``, ``error``; ``provider_finish_reasons`` keeps the raw values)
and ``usage`` is a common :class:`~streamcall.core.base.Usage`.

As in Mirascope v1, ``llm.Tool`` (the base of every tool a stream yields), ``llm.CostMetadata``,
``llm.calculate_cost`` and ``llm.Provider`` are here too.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, cast, overload

from streamcall import registry
from streamcall.core.base._accumulate import Usage
from streamcall.core.base.call_response import BaseCallResponse
from streamcall.core.base.cost import CostMetadata, calculate_cost
from streamcall.core.base.stream import BaseStream, StreamWrapper
from streamcall.core.base.types import LocalProvider, Metadata, Provider, StreamConfig

if TYPE_CHECKING:
    from pydantic import BaseModel

    from streamcall.core.base._typing import Decorator
    from streamcall.core.base.events import StreamEvent
    from streamcall.core.base.structured import StructuredStream
    from streamcall.core.base.tool import BaseTool

    Tool = BaseTool

__all__ = [
    "PROVIDERS",
    "CallResponse",
    "CallResponseChunk",
    "CostMetadata",
    "LocalProvider",
    "Provider",
    "Stream",
    "Tool",
    "calculate_cost",
    "call",
    "context",
    "override",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_ModelT = TypeVar("_ModelT", bound="BaseModel")
_OutputT = TypeVar("_OutputT")

PROVIDERS = registry.PROVIDERS
"""Provider name -> its :class:`~streamcall.registry.ProviderEntry` (``streamcall.registry``)."""


@dataclass(frozen=True)
class _Settings:
    provider: str
    model: str
    call_params: Mapping[str, Any] | None = None
    client: Any = None


_CONTEXT: contextvars.ContextVar[_Settings | None] = contextvars.ContextVar(
    "streamcall_llm_context", default=None
)


def _provider_decorator(provider: str) -> Callable[..., Any]:
    return registry.call_decorator(provider)


class CallResponseChunk:
    """A provider chunk in common terms (``chunk`` is the provider's own chunk object)."""

    __slots__ = ("chunk",)

    def __init__(self, chunk: Any) -> None:
        self.chunk = chunk

    @property
    def content(self) -> str:
        """The text this chunk adds."""
        return str(self.chunk.content) if self.chunk is not None else ""

    @property
    def thinking(self) -> str:
        """The reasoning text this chunk adds."""
        return str(self.chunk.thinking) if self.chunk is not None else ""

    @property
    def finish_reasons(self) -> list[str] | None:
        """Common finish reasons, when this chunk carries any."""
        return None if self.chunk is None else self.chunk.common_finish_reasons

    @property
    def provider_finish_reasons(self) -> list[str] | None:
        """The provider's own finish reasons."""
        return None if self.chunk is None else self.chunk.finish_reasons

    @property
    def usage(self) -> Usage | None:
        """Usage on this chunk, in common form."""
        return None if self.chunk is None else self.chunk.common_usage

    def __repr__(self) -> str:
        return f"CallResponseChunk(content={self.content!r})"


class _Common:
    """Common views over a provider stream or response (``_inner``)."""

    _inner: Any

    @property
    def provider(self) -> str:
        """The provider that served the call."""
        return str(self._inner.provider)

    @property
    def model(self) -> str:
        """The model the provider reports."""
        return str(self._inner.model)

    @property
    def content(self) -> str:
        """The text so far."""
        return str(self._inner.content)

    @property
    def thinking(self) -> str:
        """The reasoning text so far."""
        return str(self._inner.thinking)

    @property
    def finish_reasons(self) -> list[str] | None:
        """Common finish reasons."""
        return self._inner.common_finish_reasons  # type: ignore[no-any-return]

    @property
    def provider_finish_reasons(self) -> list[str] | None:
        """The provider's own finish reasons."""
        return self._inner.finish_reasons  # type: ignore[no-any-return]

    @property
    def usage(self) -> Usage | None:
        """Usage in common form (``None`` when the provider sent none)."""
        return self._inner.common_usage  # type: ignore[no-any-return]

    @property
    def cost(self) -> float | None:
        """USD, or ``None`` when unknown."""
        return self._inner.cost  # type: ignore[no-any-return]

    @property
    def message_param(self) -> Any:
        """The assistant message to continue the conversation (the provider's format)."""
        return self._inner.message_param

    def tool_message_params(self, tools_and_outputs: Sequence[tuple[Any, Any]]) -> list[Any]:
        """Messages returning tool results (the provider's format)."""
        return self._inner.tool_message_params(tools_and_outputs)  # type: ignore[no-any-return]

    @property
    def input_tokens(self) -> int | None:
        """Input tokens, as the provider counts them."""
        return self._inner.input_tokens  # type: ignore[no-any-return]

    @property
    def cached_tokens(self) -> int | None:
        """Input tokens read from the provider's cache."""
        return self._inner.cached_tokens  # type: ignore[no-any-return]

    @property
    def output_tokens(self) -> int | None:
        """Output tokens."""
        return self._inner.output_tokens  # type: ignore[no-any-return]

    @property
    def cost_metadata(self) -> CostMetadata:
        """What the cost is computed from."""
        return self._inner.cost_metadata  # type: ignore[no-any-return]

    @property
    def id(self) -> str | None:
        """The provider's id of the answer."""
        return self._inner.id  # type: ignore[no-any-return]

    @property
    def start_time(self) -> float:
        """When the call began (ms since the epoch)."""
        return self._inner.start_time  # type: ignore[no-any-return]

    @property
    def end_time(self) -> float:
        """When the call ended (ms since the epoch)."""
        return self._inner.end_time  # type: ignore[no-any-return]

    @property
    def messages(self) -> list[Any]:
        """The messages sent."""
        return self._inner.messages  # type: ignore[no-any-return]

    @property
    def user_message_param(self) -> Any:
        """The last user message sent, if any."""
        return self._inner.user_message_param

    @property
    def call_params(self) -> dict[str, Any]:
        """The provider parameters the call used."""
        return self._inner.call_params  # type: ignore[no-any-return]

    @property
    def call_kwargs(self) -> dict[str, Any]:
        """Everything passed to the provider client."""
        return self._inner.call_kwargs  # type: ignore[no-any-return]

    @property
    def metadata(self) -> Metadata:
        """The call's metadata."""
        return self._inner.metadata  # type: ignore[no-any-return]

    @property
    def tool_types(self) -> list[type[Tool]] | None:
        """The tool classes the call offered."""
        return self._inner.tool_types  # type: ignore[no-any-return]

    @property
    def prompt_template(self) -> str | None:
        """The template the prompt came from, if any."""
        return self._inner.prompt_template  # type: ignore[no-any-return]

    @property
    def fn_args(self) -> dict[str, Any]:
        """The arguments the decorated function was called with."""
        return self._inner.fn_args  # type: ignore[no-any-return]

    @property
    def dynamic_config(self) -> dict[str, Any] | None:
        """What the decorated function returned, when it was a config."""
        return self._inner.dynamic_config  # type: ignore[no-any-return]

    if not TYPE_CHECKING:  # typed attributes above; a typo stays an error for type checkers

        def __getattr__(self, name: str) -> Any:
            # Anything else (tool_calls, messages, ...) comes from the provider object.
            if name.startswith("__"):
                raise AttributeError(name)
            return getattr(self._inner, name)


class Stream(_Common, StreamWrapper):
    """A provider-agnostic stream: ``for chunk, tool in stream`` with common chunks.

    ``state``, ``error``, ``cancel()`` / ``acancel()``, ``close()`` / ``aclose()`` and
    ``events()`` / ``aevents()`` are the provider stream's (see
    :class:`~streamcall.core.base.BaseStream`); the events are neutral already.
    """

    _inner: BaseStream[Any, Any, Any]

    def __init__(self, inner: BaseStream[Any, Any, Any]) -> None:
        self._inner = inner

    @property
    def stream(self) -> BaseStream[Any, Any, Any]:
        """The provider's own stream object."""
        return self._inner

    def __iter__(self) -> Iterator[tuple[CallResponseChunk, Tool | None]]:
        for chunk, tool in self._inner:
            yield CallResponseChunk(chunk), tool

    def __aiter__(self) -> AsyncIterator[tuple[CallResponseChunk, Tool | None]]:
        return self._hold(_common_pairs(self._inner))

    def events(self, *, raw: bool = False) -> Iterator[StreamEvent]:
        """The stream as neutral events (see :meth:`BaseStream.events`)."""
        return self._inner.events(raw=raw)

    def aevents(self, *, raw: bool = False) -> AsyncIterator[StreamEvent]:
        """The async stream as neutral events (see :meth:`BaseStream.aevents`)."""
        return self._inner.aevents(raw=raw)

    def construct_call_response(self) -> CallResponse:
        """A whole response from what the stream carried (an interrupted one after
        ``cancel()``)."""
        return CallResponse(self._inner.construct_call_response())


async def _common_pairs(
    inner: BaseStream[Any, Any, Any],
) -> AsyncIterator[tuple[CallResponseChunk, Tool | None]]:
    async for chunk, tool in inner:
        yield CallResponseChunk(chunk), tool


class CallResponse(_Common):
    """A provider-agnostic whole response (``response`` is the provider's response object)."""

    _inner: BaseCallResponse[Any]

    def __init__(self, inner: BaseCallResponse[Any]) -> None:
        self._inner = inner

    @property
    def response(self) -> BaseCallResponse[Any]:
        """The provider's own response object."""
        return self._inner

    @property
    def tools(self) -> list[Tool] | None:
        """The tools the model called (``None`` when it called none)."""
        return self._inner.tools

    @property
    def tool(self) -> Tool | None:
        """The first tool the model called, if any."""
        return self._inner.tool


def _wrap(result: Any) -> Any:
    if isinstance(result, BaseStream):
        return Stream(result)
    if isinstance(result, BaseCallResponse):
        return CallResponse(result)
    return result  # a response model instance, a parsed output, a structured stream


@overload
def call(
    provider: Provider | str,
    model: str,
    *,
    stream: Literal[False] = False,
    tools: list[Any] | None = None,
    response_model: None = None,
    output_parser: None = None,
    json_mode: bool = False,
    client: Any = None,
    call_params: Mapping[str, Any] | None = None,
) -> Decorator[CallResponse]: ...


@overload
def call(
    provider: Provider | str,
    model: str,
    *,
    stream: Literal[True] | StreamConfig,
    tools: list[Any] | None = None,
    response_model: None = None,
    output_parser: None = None,
    json_mode: bool = False,
    client: Any = None,
    call_params: Mapping[str, Any] | None = None,
) -> Decorator[Stream]: ...


@overload
def call(
    provider: Provider | str,
    model: str,
    *,
    stream: Literal[False] = False,
    tools: list[Any] | None = None,
    response_model: type[_ModelT],
    output_parser: None = None,
    json_mode: bool = False,
    client: Any = None,
    call_params: Mapping[str, Any] | None = None,
) -> Decorator[_ModelT]: ...


@overload
def call(
    provider: Provider | str,
    model: str,
    *,
    stream: Literal[True] | StreamConfig,
    tools: list[Any] | None = None,
    response_model: type[_ModelT],
    output_parser: None = None,
    json_mode: bool = False,
    client: Any = None,
    call_params: Mapping[str, Any] | None = None,
) -> Decorator[StructuredStream[_ModelT]]: ...


@overload
def call(
    provider: Provider | str,
    model: str,
    *,
    stream: Literal[False] = False,
    tools: list[Any] | None = None,
    response_model: None = None,
    output_parser: Callable[[Any], _OutputT],
    json_mode: bool = False,
    client: Any = None,
    call_params: Mapping[str, Any] | None = None,
) -> Decorator[_OutputT]: ...


@overload
def call(
    provider: Provider | str,
    model: str,
    *,
    stream: bool | StreamConfig,
    tools: list[Any] | None = None,
    response_model: None = None,
    output_parser: None = None,
    json_mode: bool = False,
    client: Any = None,
    call_params: Mapping[str, Any] | None = None,
) -> Decorator[Stream | CallResponse]: ...


def call(
    provider: Provider | str,
    model: str,
    *,
    stream: bool | StreamConfig = False,
    tools: list[Any] | None = None,
    response_model: Any = None,
    output_parser: Callable[[Any], Any] | None = None,
    json_mode: bool = False,
    client: Any = None,
    call_params: Mapping[str, Any] | None = None,
) -> Any:
    """Turn a function into a call on ``provider`` (switchable with :func:`override` or
    :func:`context`); see the provider decorators for the arguments."""
    _provider_decorator(provider)  # an unknown provider fails at decoration time
    options = {
        "stream": stream,
        "tools": tools,
        "response_model": response_model,
        "output_parser": output_parser,
        "json_mode": json_mode,
    }

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        defaults = _Settings(provider, model, call_params, client)

        def bound(settings: _Settings) -> Callable[..., Any]:
            active = _CONTEXT.get() or settings
            make = _provider_decorator(active.provider)
            return make(  # type: ignore[no-any-return]
                active.model, client=active.client, call_params=active.call_params, **options
            )(fn)

        if _is_async(fn):

            @functools.wraps(fn)
            async def inner_async(*args: Any, **kwargs: Any) -> Any:
                settings: _Settings = inner_async._llm_settings  # type: ignore[attr-defined]
                return _wrap(await bound(settings)(*args, **kwargs))

            inner_async._llm_settings = defaults  # type: ignore[attr-defined]
            inner_async._llm_fn = fn  # type: ignore[attr-defined]
            return inner_async

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            settings: _Settings = inner._llm_settings  # type: ignore[attr-defined]
            return _wrap(bound(settings)(*args, **kwargs))

        inner._llm_settings = defaults  # type: ignore[attr-defined]
        inner._llm_fn = fn  # type: ignore[attr-defined]
        return inner

    return decorator


def _is_async(fn: Callable[..., Any]) -> bool:
    import inspect

    return inspect.iscoroutinefunction(fn)


def override(
    fn: Callable[_P, _R],
    *,
    provider: Provider | str | None = None,
    model: str | None = None,
    call_params: Mapping[str, Any] | None = None,
    client: Any = None,
) -> Callable[_P, _R]:
    """A copy of an ``@llm.call`` function that runs on another provider / model / params
    (the same parameters and result types)."""
    return cast("Callable[_P, _R]", _override(fn, provider, model, call_params, client))


def _override(
    fn: Callable[..., Any],
    provider: str | None,
    model: str | None,
    call_params: Mapping[str, Any] | None,
    client: Any,
) -> Callable[..., Any]:
    settings: _Settings | None = getattr(fn, "_llm_settings", None)
    if settings is None:
        raise TypeError(f"{getattr(fn, '__name__', fn)!r} is not an @llm.call function")
    if provider is not None:
        _provider_decorator(provider)
    new = _Settings(
        provider or settings.provider,
        model or settings.model,
        settings.call_params if call_params is None else call_params,
        client if client is not None else (settings.client if provider is None else None),
    )

    @functools.wraps(fn)
    def overridden(*args: Any, **kwargs: Any) -> Any:
        token = _CONTEXT.set(new)
        try:
            return fn(*args, **kwargs)
        finally:
            _CONTEXT.reset(token)

    if _is_async(fn):

        @functools.wraps(fn)
        async def overridden_async(*args: Any, **kwargs: Any) -> Any:
            token = _CONTEXT.set(new)
            try:
                return await fn(*args, **kwargs)
            finally:
                _CONTEXT.reset(token)

        overridden_async._llm_settings = new  # type: ignore[attr-defined]
        return overridden_async

    overridden._llm_settings = new  # type: ignore[attr-defined]
    return overridden


@contextlib.contextmanager
def context(
    *,
    provider: Provider | str,
    model: str,
    call_params: Mapping[str, Any] | None = None,
    client: Any = None,
) -> Iterator[None]:
    """Within the block, every ``@llm.call`` function runs on ``provider`` / ``model``."""
    _provider_decorator(provider)
    token = _CONTEXT.set(_Settings(provider, model, call_params, client))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def __getattr__(name: str) -> Any:
    # Tool is BaseTool, a pydantic model: imported on first use.
    if name == "Tool":
        from streamcall.core.base.tool import BaseTool

        return BaseTool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
