"""Hooks: your functions, called at the points of a call's life.

Register them for every call (``hooks.on_chunk(fn)``, usable as a decorator) or for the calls
made inside a block (``with hooks.scoped(on_finish=fn): ...``, per thread and per task, as a
:class:`contextvars.ContextVar` is). Each is called with documented arguments:

- ``on_chunk(call, chunk)``: each provider chunk of a stream, before the stream folds it
  (``call``: a :class:`CallInfo`; ``chunk``: the provider's chunk class, ``chunk.content``...);
- ``on_retry(retry)``: a failed attempt is to be retried (a :class:`RetryInfo`);
- ``on_error(call, error)``: the call failed (sending it or mid-stream);
- ``on_finish(call, end)``: the call ended, whatever the way (a :class:`CallEnd`: complete,
  cancelled, failed, or abandoned: a stream garbage-collected before it ended, never iterated
  to its end nor closed, also heard by ``on_error`` with a :class:`StreamAbandoned`), once.

An exception raised by a hook is logged (logger ``streamcall.telemetry``) and ignored: a hook
never breaks a call or a stream. With no hook registered nothing is called and a stream's
chunks pay nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from streamcall.errors import StreamcallError

if TYPE_CHECKING:
    from streamcall.core.base._accumulate import Usage

__all__ = [
    "CallEnd",
    "CallInfo",
    "Hooks",
    "RetryInfo",
    "StreamAbandoned",
    "clear",
    "on_chunk",
    "on_error",
    "on_finish",
    "on_retry",
    "remove",
    "scoped",
]

logger = logging.getLogger("streamcall.telemetry")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class CallInfo:
    """One call, as hooks see it."""

    provider: str
    """The registry name (``"mistral"``, ``"openai"``, ``"groq"``...)."""
    model: str
    """The model asked for."""
    stream: bool
    """Whether the call streams."""
    params: Mapping[str, Any]
    """The provider parameters sent (``temperature``, ``max_tokens``...), as the provider
    names them (not the messages, tools or extra headers)."""


class StreamAbandoned(StreamcallError):
    """The error of a stream that was garbage-collected before it ended: never iterated to its
    end and never closed (a leak: the connection was released by the collector). Never
    raised; ``on_error`` hears it, :attr:`CallEnd.error` holds it, and the call's span has
    ``error.type`` ``StreamAbandoned``."""

    def __init__(self, state: str) -> None:
        super().__init__(
            f"the stream was garbage-collected while {state}, before it ended: iterate it to "
            "its end, or close it (close(), aclose(), a `with` block)"
        )


@dataclass(frozen=True, slots=True)
class CallEnd:
    """How a call ended."""

    state: Literal["complete", "cancelled", "failed", "abandoned"]
    """``"abandoned"``: a stream garbage-collected before it ended (``error`` is a
    :class:`StreamAbandoned`)."""
    model: str | None
    """The model the provider reported (else the one asked for)."""
    id: str | None
    finish_reasons: list[str] | None
    usage: Usage | None
    error: BaseException | None
    """The error that failed (or abandoned) the call, else ``None``."""
    duration_s: float
    """Seconds from the call to its end (for a stream: to the stream's end)."""
    chunks: int
    """Chunks received (0 for a call that does not stream)."""
    time_to_first_chunk_s: float | None
    """Seconds from the call to its first chunk (``None``: no chunk, or not a stream)."""
    result: Any = None
    """The stream or the call response (``None`` when sending failed, or for an abandoned
    stream, which is being collected)."""


@dataclass(frozen=True, slots=True)
class RetryInfo:
    """An attempt that failed before the response started and will be retried after ``delay_s``
    (announced once the retry is decided: a wait that would end past the call's first-byte
    budget raises the error instead, and is not announced)."""

    retry: int
    """Which retry this is, 1-based."""
    max_retries: int
    delay_s: float
    """The wait before it, in seconds (the server's ``Retry-After`` where honoured)."""
    call: CallInfo | None = None
    """The call-layer call it belongs to, when the request was sent by one."""


@dataclass(frozen=True, slots=True)
class Hooks:
    """A set of hooks (each a tuple of functions)."""

    chunk: tuple[Callable[[CallInfo, Any], object], ...] = ()
    retry: tuple[Callable[[RetryInfo], object], ...] = ()
    error: tuple[Callable[[CallInfo, BaseException], object], ...] = ()
    finish: tuple[Callable[[CallInfo, CallEnd], object], ...] = ()

    def __or__(self, other: Hooks) -> Hooks:
        return Hooks(
            self.chunk + other.chunk,
            self.retry + other.retry,
            self.error + other.error,
            self.finish + other.finish,
        )

    def __bool__(self) -> bool:
        return bool(self.chunk or self.retry or self.error or self.finish)


_NAMES = ("chunk", "retry", "error", "finish")
_EMPTY = Hooks()
_global = _EMPTY
_scoped: contextvars.ContextVar[Hooks] = contextvars.ContextVar("streamcall_hooks", default=_EMPTY)


def current() -> Hooks | None:
    """The hooks that apply to a call starting here (global, then scoped), or ``None``."""
    hooks = _global | _scoped.get() if _global else _scoped.get()
    return hooks or None


def _add(**kwargs: Callable[..., Any]) -> None:
    global _global
    _global = _global | Hooks(**{name: (fn,) for name, fn in kwargs.items()})


def on_chunk(fn: F) -> F:
    """Call ``fn(call, chunk)`` for each chunk of every stream; returns ``fn``."""
    _add(chunk=fn)
    return fn


def on_retry(fn: F) -> F:
    """Call ``fn(retry)`` (a :class:`RetryInfo`) before each retry; returns ``fn``."""
    _add(retry=fn)
    return fn


def on_error(fn: F) -> F:
    """Call ``fn(call, error)`` when a call fails; returns ``fn``."""
    _add(error=fn)
    return fn


def on_finish(fn: F) -> F:
    """Call ``fn(call, end)`` (a :class:`CallEnd`) when a call ends, in any way; returns
    ``fn``."""
    _add(finish=fn)
    return fn


def remove(fn: Callable[..., Any]) -> None:
    """Unregister ``fn`` from every global hook it was registered for."""
    global _global
    g = _global
    _global = Hooks(*(tuple(f for f in getattr(g, n) if f is not fn) for n in _NAMES))


def clear() -> None:
    """Unregister every global hook."""
    global _global
    _global = _EMPTY


@contextlib.contextmanager
def scoped(
    *,
    on_chunk: Callable[[CallInfo, Any], object] | None = None,
    on_retry: Callable[[RetryInfo], object] | None = None,
    on_error: Callable[[CallInfo, BaseException], object] | None = None,
    on_finish: Callable[[CallInfo, CallEnd], object] | None = None,
) -> Iterator[None]:
    """Hooks for the calls started inside the block (in this thread or task), added to the
    global ones. A stream started inside keeps them after the block."""
    added = Hooks(
        chunk=() if on_chunk is None else (on_chunk,),
        retry=() if on_retry is None else (on_retry,),
        error=() if on_error is None else (on_error,),
        finish=() if on_finish is None else (on_finish,),
    )
    token = _scoped.set(_scoped.get() | added)
    try:
        yield
    finally:
        _scoped.reset(token)


def call_each(fns: tuple[Callable[..., object], ...], *args: Any) -> None:
    """Call each hook; one that raises is logged and the others still run."""
    for fn in fns:
        try:
            fn(*args)
        except Exception:
            logger.exception("streamcall hook %r raised; ignored", getattr(fn, "__name__", fn))
