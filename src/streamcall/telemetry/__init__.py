"""In sight: OpenTelemetry spans, hooks and log lines for every call.

- :func:`instrument` turns spans on (``opentelemetry-api`` needed; opt in: with nothing
  instrumented, OpenTelemetry is never imported). Each call becomes a ``chat {model}`` CLIENT
  span after the GenAI semantic conventions; a stream's span ends with the stream, or, for a
  stream dropped before it ended (never iterated to its end nor closed), when it is
  garbage-collected: ``streamcall.call.state`` ``abandoned``, ``error.type``
  ``StreamAbandoned``.
- :mod:`streamcall.telemetry.hooks`: your functions, called on each chunk, retry, error and end.
- Logging: ``streamcall`` loggers (``streamcall.telemetry`` for calls, ``streamcall`` for the
  transport) at DEBUG say each call and its host, a stream's request line, a refused call's,
  each retry, and each end (model, usage, duration); keys never appear.
"""

from __future__ import annotations

from typing import Any

from streamcall.telemetry import hooks
from streamcall.telemetry.hooks import CallEnd, CallInfo, RetryInfo

__all__ = [
    "CallEnd",
    "CallInfo",
    "RetryInfo",
    "hooks",
    "instrument",
    "is_instrumented",
    "uninstrument",
]


def instrument(tracer_provider: Any = None) -> None:
    """Make a span of every call from now on, through ``tracer_provider`` (an OpenTelemetry
    ``TracerProvider``; by default the global one, as set with
    ``opentelemetry.trace.set_tracer_provider``, even when it is set later). Raises
    ``ImportError`` without ``opentelemetry-api``."""
    from streamcall.telemetry import _observe
    from streamcall.telemetry._otel import OtelTracing

    _observe.tracing = OtelTracing(tracer_provider)


def uninstrument() -> None:
    """Make no more spans (the spans of calls already started still end)."""
    from streamcall.telemetry import _observe

    _observe.tracing = None


def is_instrumented() -> bool:
    """Whether calls make spans."""
    from streamcall.telemetry import _observe

    return _observe.tracing is not None
