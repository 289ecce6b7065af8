"""Keyword parameters shared by the provider clients, declared once as TypedDicts.

A client method takes its body parameters as ``**params: Unpack[SomeParams]``: type checkers
see every name and type, and :func:`check_keywords` rejects an unknown name at run time with
the ``TypeError`` Python gives for an unexpected keyword argument.

The parameter modules evaluate their annotations when imported (no ``from __future__ import
annotations``): a ``TypedDict`` compiles each string annotation into a ``ForwardRef``, which
cost ~16 µs a field, several milliseconds of import time over the providers' declarations.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict

from streamcall.transport.retries import RetryPolicy
from streamcall.transport.timeouts import Timeouts

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "CallLimits",
    "ClientOptions",
    "ExtraRequestOptions",
    "HTTPClientOptions",
    "LineClientOptions",
    "MessagesArg",
    "RequestOptions",
    "StreamClientOptions",
    "check_keywords",
    "keys_of",
]

MessagesArg: TypeAlias = Sequence[Any] | Iterable[Any]
"""A ``messages`` argument: message models or dicts with a ``role``."""


class CallLimits(TypedDict, total=False):
    """Time and retry limits, for a client (its default) or for one call."""

    timeout_ms: int | None
    """Total time allowed for one call, in milliseconds (``Timeouts.total``)."""
    retries: int | RetryPolicy | None
    """Retries before the first response byte (an int, or a ``RetryPolicy``)."""


class RequestOptions(CallLimits, total=False):
    """Per-call transport options, named as the Mistral, Cohere, Gemini and Ollama SDKs do."""

    http_headers: Mapping[str, str] | None
    """Headers added to this request."""


class ExtraRequestOptions(CallLimits, total=False):
    """Per-call transport options, named as the OpenAI and Anthropic SDKs do."""

    extra_headers: Mapping[str, str] | None
    """Headers added to this request."""


class HTTPClientOptions(TypedDict, total=False):
    """Keyword-only constructor options of every client (see :class:`BaseClient`)."""

    timeouts: Timeouts | None
    """Full control over connect / first-byte / idle / total limits."""
    client: "httpx2.Client | None"
    """Your own ``httpx2.Client`` (not closed by the client)."""
    async_client: "httpx2.AsyncClient | None"
    """Your own ``httpx2.AsyncClient`` (not closed by the client)."""
    default_headers: Mapping[str, str] | None
    """Headers sent with every request."""
    max_connections: int | None
    """The most connections the client opens at once, per side (sync, async); default 1000 (as
    the OpenAI SDK), ``None`` for no limit. A call that finds them all in use waits for one,
    within its first-byte limit (``Timeouts.first_byte``), then fails with
    ``StreamTimeoutError(kind="pool")``, not retried. Ignored with your own ``client``."""
    max_body_size: int
    """The largest whole (non-streamed) response body read, in bytes (default 64 MiB); a larger
    one stops the read with ``ResponseTooLargeError``. Streams are bounded per event instead."""


class StreamClientOptions(HTTPClientOptions, total=False):
    """:class:`HTTPClientOptions` of a client whose streams are SSE."""

    max_event_size: int
    """The largest SSE event accepted, in bytes (default 16 MiB)."""


class ClientOptions(StreamClientOptions, CallLimits, total=False):
    """Every option :class:`BaseClient` takes by keyword."""


class LineClientOptions(HTTPClientOptions, CallLimits, total=False):
    """Keyword-only options of a client whose streams are JSON lines (its own size limit)."""


def keys_of(*typed_dicts: type) -> frozenset[str]:
    """Every key the given ``TypedDict`` classes declare."""
    keys: set[str] = set()
    for td in typed_dicts:
        keys.update(td.__required_keys__, td.__optional_keys__)  # type: ignore[attr-defined]
    return frozenset(keys)


def check_keywords(method: str, given: Mapping[str, object], allowed: frozenset[str]) -> None:
    """Raise the ``TypeError`` Python raises for an unexpected keyword argument of ``method``
    (a qualified name such as ``"Chat.stream"``) when ``given`` has a key not in ``allowed``."""
    if given.keys() - allowed:
        name = next(k for k in given if k not in allowed)
        raise TypeError(f"{method}() got an unexpected keyword argument {name!r}")
