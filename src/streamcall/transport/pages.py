"""A 200 answer that is not the stream the call asked for: an HTML error page, or a body that
ends without a single frame (a proxy's JSON error object, an empty body, plain text). The
exchange reads a success body through :func:`body_readers`, which watches a body until its first
frame only when its first chunk does not already show a stream, so a stream pays nothing per
read for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

from streamcall.errors import APIError, APIStatusError, excerpt, redact, redact_value
from streamcall.transport.http import (
    MAX_ERROR_BODY,
    REQUEST_ID_HEADERS,
    Streamable,
    error_message,
    parse_body,
)

if TYPE_CHECKING:
    import httpx2

    from streamcall.transport.session import FrameDecoder, StreamCodec

__all__ = ["body_readers", "unexpected_body"]

F = TypeVar("F")


ERROR_PAGE_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
"""Content types that are never a stream: a 200 answer in one of them is an error page."""
QUOTE: Final = 200
"""The characters of an unexpected body quoted in its error's message."""
SSE_STARTS: Final = (b"data:", b"event:", b":", b"id:", b"retry:")
"""How the first line of an SSE stream starts."""


def unexpected_body(
    response: httpx2.Response, raw: bytes, secrets: Sequence[str], framed: bool = False
) -> APIStatusError:
    """The error for a 200 answer whose body (``raw``, its start) is not what the call reads:
    the server's own message when it is a JSON error object, else the start of the body.
    ``framed``: the body was read as a stream and gave no event."""
    from streamcall.errors import UnexpectedResponseError

    content_type = response.headers.get("content-type", "")
    what = content_type.partition(";")[0].strip() or "no content type"
    body = redact_value(parse_body(raw), secrets)
    error = body.get("error") if isinstance(body, Mapping) else None
    detail = error_message(body) if error else None
    kind = code = None
    if isinstance(error, Mapping):
        kind, code = error.get("type"), error.get("code")
        kind = kind if isinstance(kind, str) else None
        code = None if code is None else str(code)
    if detail is not None:
        tag = code or kind
        message = f"HTTP 200 with an error ({what}) instead of a stream: "
        message += f"[{tag}] " if tag and tag not in detail else ""
        message += excerpt(redact(detail, secrets))
    elif not raw.strip():
        message = f"HTTP 200 with an empty body ({what}) instead of a stream"
    else:
        text = " ".join(raw[: QUOTE * 4].decode("utf-8", "replace").split())
        quoted = text[:QUOTE] + ("..." if len(text) > QUOTE or len(raw) > QUOTE * 4 else "")
        how = "a body that held no event" if framed else "a page"
        message = f"HTTP 200 with {how} ({what}) instead of a stream: {redact(quoted, secrets)}"
    request_id = next(
        (response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None
    )
    if request_id:
        message += f" (request id {request_id})"
    return UnexpectedResponseError(
        message,
        content_type=content_type,
        type=kind,
        code=code,
        request_id=request_id,
        response=response,
        request=response.request,
        body=body,
    )


class _ErrorPage:
    """The frames and the codec of a 200 body that is an error page (an HTML one): no frames;
    its start (up to :data:`MAX_ERROR_BODY`) is kept, and the typed error is raised when the
    body ends or that much has arrived."""

    __slots__ = ("_body", "_response", "_secrets", "done", "error")
    finished = False
    interrupted: ClassVar[str] = ""
    unmarked_end: ClassVar[bool] = False

    def __init__(self, response: httpx2.Response, secrets: Sequence[str]) -> None:
        self._response, self._secrets = response, secrets
        self._body = bytearray()
        self.done = False
        self.error: APIError | None = None

    def feed(self, chunk: bytes) -> list[bytes]:
        self._body += chunk[: MAX_ERROR_BODY - len(self._body)]
        if len(self._body) >= MAX_ERROR_BODY:  # enough: the stream session stops reading
            raise unexpected_body(self._response, bytes(self._body), self._secrets)
        return []

    def end(self) -> list[bytes]:
        return []

    def decode_all(self, frames: list[bytes]) -> list[Any]:
        self.done = True
        self.error = unexpected_body(self._response, bytes(self._body), self._secrets)
        return []


class _Watched(Generic[F]):
    """A stream's frame decoder, watched until its first frame: the body's start is kept
    meanwhile (at most :data:`MAX_ERROR_BODY`), and a body that ends without one frame raises
    the typed error quoting it. After the first frame, one attribute test a read."""

    __slots__ = ("_end", "_head", "_response", "_secrets", "_split")

    def __init__(
        self, frames: FrameDecoder[F], response: httpx2.Response, secrets: Sequence[str]
    ) -> None:
        self._split, self._end = frames.feed, frames.end
        self._response, self._secrets = response, secrets
        self._head: bytearray | None = bytearray()

    def feed(self, chunk: bytes) -> list[F]:
        frames = self._split(chunk)
        head = self._head
        if head is not None:
            if frames:
                self._head = None
            elif len(head) < MAX_ERROR_BODY:
                head += chunk[: MAX_ERROR_BODY - len(head)]
        return frames

    def end(self) -> list[F]:
        frames = self._end()
        if frames or self._head is None:
            return frames
        raise unexpected_body(self._response, bytes(self._head), self._secrets, framed=True)


def body_readers(
    response: httpx2.Response,
    call: Streamable[Any],
    first: bytes | None,
    secrets: Sequence[str],
) -> tuple[FrameDecoder[Any], StreamCodec[Any, Any]]:
    """The frame decoder and codec that read ``response`` for ``call`` (``first``: the body's
    first chunk, ``None`` if it is empty): for an HTML answer, :class:`_ErrorPage`; else the
    call's own, watched (:class:`_Watched`) unless the first chunk already shows a stream (an
    SSE field or comment, or an NDJSON call's JSON line: those always give frames), so that
    a stream pays nothing per read. A whole call's body (``whole_body``) frames only at its
    end: it is not watched."""
    media = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media in ERROR_PAGE_TYPES:
        page = _ErrorPage(response, secrets)
        return page, page
    frames, codec = call.frames, call.codec
    if getattr(frames, "whole_body", False):
        return frames, codec
    if first is not None:
        start = first.lstrip(b"\xef\xbb\xbf \t\r\n")
        if start.startswith(SSE_STARTS) or (
            start.startswith(b"{") and "ndjson" in call.request.headers.get("accept", "")
        ):
            return frames, codec
    return _Watched(frames, response, secrets), codec
