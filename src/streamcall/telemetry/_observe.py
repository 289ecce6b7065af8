"""The one bridge between a call and its telemetry: hooks, the span, the debug log lines.

The call layer asks :func:`observe` once per call; with no hook registered, no tracing
instrumented and the ``streamcall`` logger not at DEBUG it returns ``None`` and the call (and
each of its chunks) costs nothing more. Otherwise the call gets an :class:`Observer`: the
stream calls its :meth:`~Observer.chunk` for each chunk and :meth:`~Observer.end` once, however
it ends.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol

from streamcall._secrets import _FILTER
from streamcall.telemetry.hooks import (
    CallEnd,
    CallInfo,
    Hooks,
    RetryInfo,
    StreamAbandoned,
    call_each,
    current,
)

if TYPE_CHECKING:
    from streamcall.core.base.call_response import CallContext

__all__ = ["Observer", "Tracing", "notify_retry", "observe", "sending"]

log = logging.getLogger("streamcall.telemetry")
if _FILTER not in log.filters:  # redaction of the keys in use, as on every streamcall logger
    log.addFilter(_FILTER)

_EMPTY = Hooks()

State = Literal["complete", "cancelled", "failed", "abandoned"]


class Tracing(Protocol):
    """What the call layer needs of a tracing backend (:mod:`._otel` is the one there is)."""

    def start(self, call: CallInfo, server: tuple[str, int] | None) -> Any: ...

    def attach(self, span: Any) -> object: ...

    def detach(self, token: object) -> None: ...

    def retry(self, span: Any, retry: RetryInfo) -> None: ...

    def end(self, span: Any, end: CallEnd) -> None: ...


tracing: Tracing | None = None
"""Set by :func:`streamcall.telemetry.instrument`."""

_sending: contextvars.ContextVar[Observer | None] = contextvars.ContextVar(
    "streamcall_sending", default=None
)


def observe(provider: str, context: CallContext, streamed: bool, client: Any) -> Observer | None:
    """The observer of a call starting now, or ``None`` when nothing watches calls."""
    hooks = current()
    if hooks is None and tracing is None and not log.isEnabledFor(logging.DEBUG):
        return None
    return Observer(provider, context, streamed, client, hooks or _EMPTY)


def _url(url: Any) -> str:
    """A URL without its query and credentials (what a log line may show)."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


class Observer:
    """The telemetry of one call (see the module docstring)."""

    __slots__ = ("_first", "_started", "call", "chunks", "ended", "hooks", "span", "tracing")

    def __init__(
        self, provider: str, context: CallContext, streamed: bool, client: Any, hooks: Hooks
    ) -> None:
        params = {
            k: v
            for k, v in context.call_kwargs.items()
            if k not in _NOT_PARAMS and "header" not in k
        }
        self.call = CallInfo(provider, context.model, streamed, params)
        self.hooks = hooks
        self.chunks = 0
        self.ended = False
        self._first: float | None = None
        base = getattr(client, "base_url", None)
        server = _server(base) if isinstance(base, str) else None
        self.tracing = tracing  # the spans it started end there, whatever happens meanwhile
        self.span = tracing.start(self.call, server) if tracing is not None else None
        self._started = time.perf_counter()
        log.debug(
            "chat call: %s, model %s, %s%s",
            provider,
            context.model,
            "stream" if streamed else "whole response",
            f", to {server[0]}:{server[1]}" if server else "",
        )

    def watch(self, handle: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``handle`` (a stream's step for each chunk), calling :meth:`chunk` first."""

        def watched(chunk: Any) -> Any:
            self.chunk(chunk)
            return handle(chunk)

        return watched

    def chunk(self, chunk: Any) -> None:
        """A chunk of the stream arrived."""
        if self._first is None:
            self._first = time.perf_counter()
        self.chunks += 1
        if self.hooks.chunk:
            call_each(self.hooks.chunk, self.call, chunk)

    def retry(self, retry: RetryInfo) -> None:
        """An attempt of this call is retried."""
        if self.span is not None and self.tracing is not None:
            self.tracing.retry(self.span, retry)

    def end(self, result: Any, error: BaseException | None = None) -> None:
        """The call ended (once; later calls do nothing): ``result`` is the stream (its state
        says how) or the response; ``error`` what failed sending it."""
        if self.ended:
            return
        if error is None:
            error = getattr(result, "error", None)
            found = getattr(result, "state", "complete")  # a response has none: complete
        else:
            found = "failed" if isinstance(error, Exception) else "cancelled"
        # "streaming": the stream was stopped without a word (cancelled from elsewhere).
        state: State = (
            "complete" if found == "complete" else "failed" if found == "failed" else "cancelled"
        )
        self._finish(state, error if state == "failed" else None, result, result)

    def abandon(self, stream: Any) -> None:
        """``stream`` is being garbage-collected before it ended (never iterated to its end,
        never closed): the call ends ``"abandoned"``, with what the stream carried, but the
        hooks are not handed the stream (that would keep it alive)."""
        if not self.ended:
            self._finish("abandoned", StreamAbandoned(stream.state), stream, None)

    def _finish(self, state: State, error: BaseException | None, source: Any, result: Any) -> None:
        """The end of the call, read from ``source`` (the stream or the response)."""
        self.ended = True
        first = None if self._first is None else self._first - self._started
        end = CallEnd(
            state=state,
            model=getattr(source, "model", None),
            id=getattr(source, "id", None),
            finish_reasons=getattr(source, "finish_reasons", None),
            usage=getattr(source, "common_usage", None),
            error=error,
            duration_s=time.perf_counter() - self._started,
            chunks=self.chunks,
            time_to_first_chunk_s=first,
            result=result,
        )
        if self.span is not None and self.tracing is not None:
            self.tracing.end(self.span, end)
        if log.isEnabledFor(logging.DEBUG):
            if (request := getattr(error, "request", None)) is not None:  # refused or unreached
                status = getattr(error, "status_code", None) or type(error).__name__
                log.debug("%s %s -> %s", request.method, _url(request.url), status)
            log.debug(
                "chat %s: %s, model %s, %s%d chunks, %.3f s%s",
                self.call.provider,
                state,
                end.model or self.call.model,
                _usage(end.usage),
                end.chunks,
                end.duration_s,
                f": {type(error).__name__}: {error}" if error is not None else "",
            )
        if error is not None and self.hooks.error:
            call_each(self.hooks.error, self.call, error)
        if self.hooks.finish:
            call_each(self.hooks.finish, self.call, end)


def _usage(usage: Any) -> str:
    """The token counts of a log line (``"12 in, 34 out tokens, "``), if any."""
    if usage is None or (usage.input_tokens is None and usage.output_tokens is None):
        return ""
    return f"{usage.input_tokens} in, {usage.output_tokens} out tokens, "


_NOT_PARAMS = frozenset({"model", "messages", "tools", "system", "contents", "input"})


def _server(base_url: str) -> tuple[str, int] | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return (parts.hostname, port) if parts.hostname else None


@contextlib.contextmanager
def sending(observer: Observer | None) -> Iterator[None]:
    """Around sending a call: its retries and a failure reach ``observer``, and its span is
    the current one (so HTTP instrumentations nest under it)."""
    if observer is None:
        yield
        return
    token = _sending.set(observer)
    tracer = observer.tracing
    span_token = tracer.attach(observer.span) if tracer is not None and observer.span else None
    try:
        yield
    except BaseException as exc:
        observer.end(None, exc)
        raise
    finally:
        if span_token is not None and tracer is not None:
            tracer.detach(span_token)
        _sending.reset(token)


def notify_retry(retry: int, max_retries: int, delay_s: float) -> None:
    """A retry was decided (from the retry policy): the hooks and the call's span hear it."""
    observer = _sending.get()
    hooks = observer.hooks if observer is not None else current()
    if observer is None and hooks is None:
        return
    info = RetryInfo(retry, max_retries, delay_s, observer.call if observer else None)
    if observer is not None:
        observer.retry(info)
    if hooks is not None and hooks.retry:
        call_each(hooks.retry, info)
