"""The static types of the call decorators (for mypy and pyright; nothing here runs).

``make_call_decorator`` builds each ``<provider>_call`` at run time; each provider module
declares it with one of these protocols, so a decorated function keeps its parameters and its
result has the provider's types:

- ``stream=True``: the provider's stream (``MistralStream``...), whose iteration gives
  ``tuple[MistralCallResponseChunk, MistralTool | None]``;
- default: the provider's whole response (``MistralCallResponse``...);
- ``response_model=M``: an ``M``; with ``stream=True`` a ``StructuredStream[M]`` yielding ``M``;
- ``output_parser=f``: what ``f`` returns.

An ``async def`` function becomes an ``async`` function with the same result
(``Coroutine[Any, Any, MistralStream]``...).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, Protocol, TypeVar, overload

if TYPE_CHECKING:
    from pydantic import BaseModel

    from streamcall.core.base.structured import StructuredStream
    from streamcall.core.base.types import StreamConfig

__all__ = ["CallDecorator", "Decorator", "OptionalModelCallDecorator"]

_P = ParamSpec("_P")
_R_co = TypeVar("_R_co", covariant=True)
_StreamT_co = TypeVar("_StreamT_co", covariant=True)
_ResponseT_co = TypeVar("_ResponseT_co", covariant=True)
_ParamsT_contra = TypeVar("_ParamsT_contra", contravariant=True)
_ModelT = TypeVar("_ModelT", bound="BaseModel")
_OutputT = TypeVar("_OutputT")


class Decorator(Protocol[_R_co]):
    """What ``<provider>_call(...)`` returns: it turns a prompt function into a call whose
    result is ``_R_co`` (awaitable when the function is ``async def``)."""

    @overload
    def __call__(
        self, fn: Callable[_P, Coroutine[Any, Any, object]]
    ) -> Callable[_P, Coroutine[Any, Any, _R_co]]: ...

    @overload
    def __call__(self, fn: Callable[_P, object]) -> Callable[_P, _R_co]: ...


class CallDecorator(Protocol[_StreamT_co, _ResponseT_co, _ParamsT_contra]):
    """``<provider>_call(model, *, stream=..., tools=..., response_model=..., ...)``."""

    @overload
    def __call__(
        self,
        model: str,
        *,
        stream: Literal[False] = False,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_ResponseT_co]: ...

    @overload
    def __call__(
        self,
        model: str,
        *,
        stream: Literal[True] | StreamConfig,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_StreamT_co]: ...

    @overload
    def __call__(
        self,
        model: str,
        *,
        stream: Literal[False] = False,
        tools: list[Any] | None = None,
        response_model: type[_ModelT],
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_ModelT]: ...

    @overload
    def __call__(
        self,
        model: str,
        *,
        stream: Literal[True] | StreamConfig,
        tools: list[Any] | None = None,
        response_model: type[_ModelT],
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[StructuredStream[_ModelT]]: ...

    @overload
    def __call__(
        self,
        model: str,
        *,
        stream: Literal[False] = False,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: Callable[[_ResponseT_co], _OutputT],
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_OutputT]: ...

    @overload
    def __call__(
        self,
        model: str,
        *,
        stream: bool | StreamConfig,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_StreamT_co | _ResponseT_co]: ...


class OptionalModelCallDecorator(Protocol[_StreamT_co, _ResponseT_co, _ParamsT_contra]):
    """As :class:`CallDecorator`, with a default model (``local_call(stream=True)``)."""

    @overload
    def __call__(
        self,
        model: str | None = None,
        *,
        stream: Literal[False] = False,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_ResponseT_co]: ...

    @overload
    def __call__(
        self,
        model: str | None = None,
        *,
        stream: Literal[True] | StreamConfig,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_StreamT_co]: ...

    @overload
    def __call__(
        self,
        model: str | None = None,
        *,
        stream: Literal[False] = False,
        tools: list[Any] | None = None,
        response_model: type[_ModelT],
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_ModelT]: ...

    @overload
    def __call__(
        self,
        model: str | None = None,
        *,
        stream: Literal[True] | StreamConfig,
        tools: list[Any] | None = None,
        response_model: type[_ModelT],
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[StructuredStream[_ModelT]]: ...

    @overload
    def __call__(
        self,
        model: str | None = None,
        *,
        stream: Literal[False] = False,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: Callable[[_ResponseT_co], _OutputT],
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_OutputT]: ...

    @overload
    def __call__(
        self,
        model: str | None = None,
        *,
        stream: bool | StreamConfig,
        tools: list[Any] | None = None,
        response_model: None = None,
        output_parser: None = None,
        json_mode: bool = False,
        client: Any = None,
        call_params: _ParamsT_contra | None = None,
    ) -> Decorator[_StreamT_co | _ResponseT_co]: ...
