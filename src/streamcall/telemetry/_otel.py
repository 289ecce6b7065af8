"""OpenTelemetry spans for calls, after the GenAI semantic conventions (imported only by
:func:`streamcall.telemetry.instrument`: ``opentelemetry-api`` is an optional dependency)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from streamcall.telemetry.hooks import CallEnd, CallInfo, RetryInfo

if TYPE_CHECKING:
    from streamcall.core.base._accumulate import Usage

__all__ = ["OtelTracing"]

PROVIDER_NAMES = {
    "openai": "openai",
    "openai-responses": "openai",
    "anthropic": "anthropic",
    "mistral": "mistral_ai",
    "cohere": "cohere",
    "gemini": "gcp.gemini",
    "azure": "azure.ai.openai",
    "groq": "groq",
}
"""Registry names whose provider the conventions name otherwise; others are sent as is."""

REQUEST_PARAMS = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "p": "gen_ai.request.top_p",
    "topP": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "k": "gen_ai.request.top_k",
    "topK": "gen_ai.request.top_k",
    "max_tokens": "gen_ai.request.max_tokens",
    "max_completion_tokens": "gen_ai.request.max_tokens",
    "max_output_tokens": "gen_ai.request.max_tokens",
    "maxOutputTokens": "gen_ai.request.max_tokens",
    "seed": "gen_ai.request.seed",
    "random_seed": "gen_ai.request.seed",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "stop": "gen_ai.request.stop_sequences",
    "stop_sequences": "gen_ai.request.stop_sequences",
    "stopSequences": "gen_ai.request.stop_sequences",
    "n": "gen_ai.request.choice.count",
}
"""Where each request parameter goes, under every name a provider gives it (Gemini's and
Ollama's nested ones are read from ``generationConfig`` / ``options``)."""

_NESTED = ("generationConfig", "generation_config", "options")


def _request_attributes(params: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    sources = [params, *(params[k] for k in _NESTED if isinstance(params.get(k), dict))]
    for source in sources:
        for name, value in source.items():
            key = REQUEST_PARAMS.get(name)
            if key is None or value is None:
                continue
            if key == "gen_ai.request.stop_sequences":
                value = [value] if isinstance(value, str) else list(value)
            if isinstance(value, bool | int | float | str | list):
                attributes[key] = value
    return attributes


def _usage_attributes(usage: Usage) -> dict[str, int]:
    """The conventions count cache reads and writes in the input tokens."""
    cached, written = usage.cached_tokens, usage.cache_write_tokens
    attributes: dict[str, int] = {}
    if usage.input_tokens is not None:
        extra = 0 if usage.input_includes_cached else (cached or 0) + (written or 0)
        attributes["gen_ai.usage.input_tokens"] = usage.input_tokens + extra
    if usage.output_tokens is not None:
        extra = 0 if usage.output_includes_reasoning else usage.reasoning_tokens or 0
        attributes["gen_ai.usage.output_tokens"] = usage.output_tokens + extra
    if cached:
        attributes["gen_ai.usage.cache_read.input_tokens"] = cached
    if written:
        attributes["gen_ai.usage.cache_creation.input_tokens"] = written
    if usage.reasoning_tokens is not None:
        attributes["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
    return attributes


class OtelTracing:
    """Spans through a tracer provider (the global one unless one is given)."""

    def __init__(self, tracer_provider: trace.TracerProvider | None = None) -> None:
        from streamcall import __version__

        self.tracer = trace.get_tracer("streamcall", __version__, tracer_provider=tracer_provider)

    def start(self, call: CallInfo, server: tuple[str, int] | None) -> Any:
        """A ``chat {model}`` CLIENT span, started now (not made current)."""
        provider = PROVIDER_NAMES.get(call.provider, call.provider)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.system": provider,
            "gen_ai.request.model": call.model,
            "gen_ai.request.stream": call.stream,
            **_request_attributes(call.params),
        }
        if server is not None:
            attributes["server.address"], attributes["server.port"] = server
        return self.tracer.start_span(
            f"chat {call.model}", kind=SpanKind.CLIENT, attributes=attributes
        )

    def attach(self, span: Any) -> object:
        """Make ``span`` the current one (while the call is sent)."""
        return otel_context.attach(trace.set_span_in_context(span))

    def detach(self, token: object) -> None:
        """Undo :meth:`attach`."""
        otel_context.detach(token)  # type: ignore[arg-type]

    def retry(self, span: Any, retry: RetryInfo) -> None:
        """A span event per retry."""
        span.add_event(
            "streamcall.retry",
            {"streamcall.retry.number": retry.retry, "streamcall.retry.delay_s": retry.delay_s},
        )

    def end(self, span: Any, end: CallEnd) -> None:
        """The response attributes, the status, and the span's end."""
        attributes: dict[str, Any] = {"streamcall.call.state": end.state}
        if end.model:
            attributes["gen_ai.response.model"] = end.model
        if end.id:
            attributes["gen_ai.response.id"] = end.id
        if end.finish_reasons:
            attributes["gen_ai.response.finish_reasons"] = list(end.finish_reasons)
        if end.usage is not None:
            attributes.update(_usage_attributes(end.usage))
        if end.time_to_first_chunk_s is not None:
            attributes["gen_ai.response.time_to_first_chunk"] = end.time_to_first_chunk_s
        span.set_attributes(attributes)
        if end.error is not None:
            span.set_attribute("error.type", type(end.error).__qualname__)
            span.record_exception(end.error)
            span.set_status(Status(StatusCode.ERROR, str(end.error)))
        span.end()
