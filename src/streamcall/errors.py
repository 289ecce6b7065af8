"""Typed errors raised by streamcall, modelled on the official provider SDKs.

Hierarchy::

    StreamcallError
    ├── ResponseModelError        (an answer that does not fit the response_model)
    ├── ToolCallError             (a tool call that cannot become a tool instance)
    │   ├── UnknownToolError          (a name that matches none of the call's tools)
    │   └── ToolArgumentsError        (arguments that are not JSON or do not validate)
    ├── ConfigurationError
    │   └── MissingAPIKeyError
    └── APIError
        ├── APIStatusError            (HTTP status >= 400 before the stream starts)
        │   ├── BadRequestError           400
        │   ├── AuthenticationError       401
        │   ├── PermissionDeniedError     403
        │   ├── NotFoundError             404
        │   ├── ConflictError             409
        │   ├── UnprocessableEntityError  422
        │   ├── RateLimitError            429
        │   ├── InternalServerError       >= 500
        │   └── UnexpectedResponseError   200, but an error page or no event at all
        ├── APIConnectionError        (no usable HTTP exchange)
        │   ├── APITimeoutError
        │   │   └── StreamTimeoutError    (connect / pool / first byte / idle / total)
        │   └── StreamInterruptedError    (the body ended before the protocol's end)
        ├── StreamError               (the provider reported an error inside a 200 stream)
        └── StreamDecodeError         (a frame too large, or a payload that cannot be decoded)
            └── ResponseTooLargeError (a whole body over max_body_size)

Errors never carry API keys: an :class:`APIError` redacts the secrets of every client in use
(:mod:`streamcall._secrets`) from its message, body and its own fields when it is made, and
:meth:`APIError.redact` redacts a client's own again before it is raised (see :func:`redact` for
short keys).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "LocalModelError",
    "MissingAPIKeyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseModelError",
    "ResponseTooLargeError",
    "StreamDecodeError",
    "StreamError",
    "StreamInterruptedError",
    "StreamTimeoutError",
    "StreamcallError",
    "TimeoutKind",
    "ToolArgumentsError",
    "ToolCallError",
    "UnexpectedResponseError",
    "UnknownToolError",
    "UnprocessableEntityError",
    "excerpt",
    "known_secrets",
    "redact",
    "redact_value",
]

TimeoutKind = Literal["connect", "first_byte", "idle", "progress", "total", "pool"]

_REDACTED = "***"

LONG_SECRET: Final = 8
"""A secret this long or longer is redacted wherever it occurs, even inside a longer word."""
TOKEN_SECRET: Final = 3
"""A secret of 3 to 7 characters is redacted as a whole token: where no letter or digit touches
it on either side (``"key abc1234."``, ``Bearer abc``, ``"abc"``, ``req-abc``), not inside a
longer word. A secret of 1 or 2 characters only as a whole value: the entire text, or quoted
(``'k'``, ``"k"``: a header value, a JSON string, a repr) -- replacing every ``a`` in a message
would hide the message, not the key, and such a key is no secret anyway."""

_PATTERNS: dict[str, re.Pattern[str]] = {}
_KNOWN: tuple[str, ...] = ()
"""The secrets of the clients in use, longest first (kept by :mod:`streamcall._secrets`); every
error redacts them when it is made."""


def _pattern(secret: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(secret)
    if pattern is None:
        body = re.escape(secret)
        if len(secret) >= TOKEN_SECRET:
            source = rf"(?<![^\W_]){body}(?![^\W_])"  # not touching a letter or digit
        else:
            source = rf"(?:\A|(?<=[\"'])){body}(?=[\"']|\Z)"  # the whole text, or quoted
        if len(_PATTERNS) >= 512:
            _PATTERNS.clear()
        pattern = _PATTERNS[secret] = re.compile(source)
    return pattern


def _ordered(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """The non-empty ``secrets``, longest first (a key inside a longer one goes last)."""
    return tuple(sorted({s for s in secrets if s}, key=len, reverse=True))


def known_secrets() -> tuple[str, ...]:
    """The secrets of the clients in use (see :mod:`streamcall._secrets`)."""
    return _KNOWN


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Return ``text`` with every secret replaced by ``***``: a secret of 8 or more characters
    wherever it occurs, a shorter one as a whole token (:data:`TOKEN_SECRET`)."""
    for secret in _ordered(secrets):
        if secret in text:
            if len(secret) >= LONG_SECRET:
                text = text.replace(secret, _REDACTED)
            else:
                text = _pattern(secret).sub(_REDACTED, text)
    return text


def redact_value(value: Any, secrets: Iterable[str | None]) -> Any:
    """``value`` (JSON-like data) with secrets redacted in every string inside it."""
    ordered = _ordered(secrets)
    return _redact_value(value, ordered) if ordered else value


def _redact_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {_redact_value(k, secrets): _redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v, secrets) for v in value)
    return value


MESSAGE_EXCERPT: Final = 500


def excerpt(text: str, limit: int = MESSAGE_EXCERPT) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out: an error message
    (and the log line that repeats it) stays short; the bounded body stays on the error."""
    text = " ".join(text.split()) if len(text) > limit else text
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters in .body)"


class StreamcallError(Exception):
    """Base class of every error streamcall raises."""


class ResponseModelError(StreamcallError, ValueError):
    """The model's answer could not be turned into the requested ``response_model``.

    Attributes:
        content: The text (or tool arguments) the model produced.
        errors: The validation errors, when validation failed.
    """

    def __init__(self, message: str, *, content: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.content = content
        self.errors = errors or []


class ToolCallError(StreamcallError):
    """A tool call the model made that cannot become an instance of one of the call's tools.

    A stream raises it once it has ended, after every chunk, every other tool and the usage
    have been received (``stream.tool_errors`` lists them all); the call is still part of
    ``message_param``, so the conversation can answer it.

    Attributes:
        tool_call_id: The call's id (``None`` where the provider sends none).
        tool_name: The name the model called.
        arguments: The parsed arguments (``{}`` when they were not a JSON object).
        arguments_json: The arguments exactly as the model wrote them.
        call: The assembled call itself.
    """

    def __init__(self, message: str, *, call: Any) -> None:
        super().__init__(message)
        self.call = call
        self.tool_call_id: str | None = call.id
        self.tool_name: str = call.name
        self.arguments: dict[str, Any] = call.arguments
        self.arguments_json: str = call.arguments_json


class UnknownToolError(ToolCallError):
    """The model called a tool whose name matches none of the call's tools.

    Attributes:
        known: The names of the tools the call offered.
    """

    def __init__(self, call: Any, known: Iterable[str]) -> None:
        self.known = tuple(known)
        offered = ", ".join(repr(name) for name in self.known) or "none"
        super().__init__(
            f"The model called an unknown tool {call.name!r} (call id {call.id!r}); "
            f"the call offered: {offered}",
            call=call,
        )


class ToolArgumentsError(ToolCallError, ValueError):
    """The model's arguments for a tool are not a JSON object, or do not validate against it.

    Attributes:
        tool_type: The tool class the arguments were meant for.
        validation_error: The ``pydantic.ValidationError`` (``None`` when the arguments were
            not a JSON object at all).
        errors: ``validation_error.errors()``, or ``[]``.
    """

    def __init__(
        self, call: Any, tool_type: type[Any], reason: str, validation_error: Any = None
    ) -> None:
        self.tool_type = tool_type
        self.validation_error = validation_error
        self.errors: list[Any] = validation_error.errors() if validation_error else []
        super().__init__(
            f"The arguments of the {call.name!r} tool call (id {call.id!r}) do not fit the "
            f"tool: {reason}",
            call=call,
        )


class ConfigurationError(StreamcallError, ValueError):
    """The client or call was configured in a way that cannot work."""


class MissingAPIKeyError(ConfigurationError):
    """No API key was given and the provider's environment variable is unset."""


class LocalModelError(StreamcallError):
    """The in-process model (``streamcall.core.local``) failed: for example the prompt does not
    fit its context window, or another stream of the same model is still open in this thread."""


class APIError(StreamcallError):
    """An error in an exchange with a provider's API.

    Attributes:
        message: Human-readable description (API keys redacted).
        request: The ``httpx2.Request`` that was sent, when there was one.
        body: The provider's error payload (parsed JSON, or text), when there was one.
    """

    message: str
    request: httpx2.Request | None
    body: object | None

    def __init__(
        self,
        message: str,
        *,
        request: httpx2.Request | None = None,
        body: object | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        if _KNOWN:  # the secrets of the clients in use, whoever made this error
            self._redact(_KNOWN)

    def __str__(self) -> str:
        return self.message

    def redact(self, secrets: Iterable[str | None]) -> None:
        """Remove ``secrets`` (and those of every client in use) from everything the error
        carries, in place: the message, the body, and a subclass's own fields (the response's
        headers, the request id, the undecodable payload)."""
        ordered = _ordered((*secrets, *_KNOWN))
        if ordered:
            self._redact(ordered)

    def _redact(self, secrets: tuple[str, ...]) -> None:
        self.message = redact(self.message, secrets)
        self.args = (self.message,)
        self.body = _redact_value(self.body, secrets)


class APIStatusError(APIError):
    """The provider answered with an HTTP error status before any stream began.

    Attributes:
        status_code: The HTTP status.
        request_id: The provider's request id header, when present.
        response: The ``httpx2.Response`` (already read and closed).
    """

    status_code: int
    request_id: str | None
    response: httpx2.Response | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        response: httpx2.Response | None = None,
        request: httpx2.Request | None = None,
        body: object | None = None,
    ) -> None:
        self.status_code = status_code
        self.request_id = request_id
        self.response = response
        super().__init__(message, request=request, body=body)

    def _redact(self, secrets: tuple[str, ...]) -> None:
        super()._redact(secrets)
        if self.request_id is not None:
            self.request_id = redact(self.request_id, secrets)
        headers = getattr(self.response, "headers", None)
        if headers is not None and self.response is not None:
            items = headers.multi_items()
            clean = [(name, redact(value, secrets)) for name, value in items]
            if clean != items:  # a response header echoed a key (x-request-id, ...)
                self.response.headers = type(headers)(clean)


class BadRequestError(APIStatusError):
    """HTTP 400."""


class AuthenticationError(APIStatusError):
    """HTTP 401."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429."""


class InternalServerError(APIStatusError):
    """HTTP 500 and above."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The :class:`APIStatusError` subclass for an HTTP status."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, APIStatusError)


class APIConnectionError(APIError):
    """The request could not be sent, or the connection broke."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class StreamTimeoutError(APITimeoutError):
    """A stream stalled or ran past its deadline.

    Attributes:
        kind: Which limit was hit: ``connect``, ``pool``, ``first_byte``, ``idle``,
            ``progress`` or ``total``.
        timeout: That limit, in seconds.
    """

    kind: TimeoutKind
    timeout: float | None

    def __init__(
        self,
        message: str,
        *,
        kind: TimeoutKind,
        timeout: float | None,
        request: httpx2.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.kind = kind
        self.timeout = timeout


class StreamInterruptedError(APIConnectionError):
    """The response body ended (or the connection dropped) before the stream's end marker."""


class StreamError(APIError):
    """The provider reported an error inside an HTTP 200 stream. The message is cut to
    :data:`MESSAGE_EXCERPT` characters, saying how many more there were (the provider's whole
    payload is in ``body``).

    Attributes:
        type: The provider's error type (for example ``overloaded_error``), when given.
        code: The provider's error code, when given.
    """

    type: str | None
    code: str | None

    def __init__(
        self,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        request: httpx2.Request | None = None,
        body: object | None = None,
    ) -> None:
        self.type = type
        self.code = code
        # As short as a status error's; redacted before it is cut, so no key is cut in two.
        super().__init__(excerpt(redact(message, _KNOWN)), request=request, body=body)

    def _redact(self, secrets: tuple[str, ...]) -> None:
        super()._redact(secrets)
        if self.type is not None:
            self.type = redact(self.type, secrets)
        if self.code is not None:
            self.code = redact(self.code, secrets)


class StreamDecodeError(APIError):
    """A frame exceeded the size bound, or a payload could not be decoded.

    Attributes:
        raw: The offending payload (truncated), when there is one.
    """

    raw: str | None

    def __init__(self, message: str, *, raw: str | None = None, body: Any = None) -> None:
        self.raw = raw
        super().__init__(message, body=body)

    def _redact(self, secrets: tuple[str, ...]) -> None:
        super()._redact(secrets)
        if self.raw is not None:
            self.raw = redact(self.raw, secrets)


class ResponseTooLargeError(StreamDecodeError):
    """A whole (non-streamed) response body larger than the client's ``max_body_size``: the
    read stops there, so memory stays bounded.

    Attributes:
        limit: The bound, in bytes.
    """

    limit: int

    def __init__(self, message: str, *, limit: int) -> None:
        self.limit = limit
        super().__init__(message)


class UnexpectedResponseError(APIStatusError):
    """An HTTP 200 answer that is not what the call reads: an HTML error page (a proxy's, a
    login page), a JSON error object (``insufficient_quota`` behind a gateway), or a body that
    ended without a single event. The message quotes the server's error message, or the start
    of the body; :attr:`body` holds the body (bounded, parsed when it is JSON).

    Attributes:
        content_type: The response's ``Content-Type`` (``""`` when it had none).
        type: The error object's ``type``, when the body is a JSON error that has one.
        code: The error object's ``code``, when the body is a JSON error that has one.
    """

    content_type: str
    type: str | None
    code: str | None

    def __init__(
        self,
        message: str,
        *,
        content_type: str = "",
        type: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        response: httpx2.Response | None = None,
        request: httpx2.Request | None = None,
        body: object | None = None,
    ) -> None:
        self.content_type = content_type
        self.type = type
        self.code = code
        super().__init__(
            message,
            status_code=200,
            request_id=request_id,
            response=response,
            request=request,
            body=body,
        )
