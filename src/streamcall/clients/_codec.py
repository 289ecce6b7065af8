"""Codec helpers shared by the provider clients: request encoding, input checks, error payloads.

Everything here is pure: Python values in, bytes or errors out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from streamcall.clients._wire_model import WireModel
from streamcall.errors import (
    APIError,
    StreamDecodeError,
    StreamError,
    excerpt,
    known_secrets,
    redact,
)
from streamcall.wire.sse import ServerSentEvent

F = TypeVar("F")
M = TypeVar("M")
T = TypeVar("T")

__all__ = [
    "JsonDecoderPair",
    "JsonLinesCodec",
    "JsonSSECodec",
    "build_chat_body",
    "check_messages",
    "decode_error",
    "encode_json",
    "payload_error",
    "replace_unknown_chunks",
    "without_none",
]

_RAW_PREVIEW = 2000


def _enc_hook(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)  # pydantic models (e.g. an official SDK's messages)
    if callable(dump):
        return dump(mode="json", exclude_none=True, by_alias=True)
    raise TypeError(f"Cannot send a {type(obj).__name__} object as JSON")


def encode_json(body: Any) -> bytes:
    """Encode a request body; models, dicts and pydantic models may be mixed."""
    return msgspec.json.encode(body, enc_hook=_enc_hook)


def without_none(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` without the entries whose value is ``None`` (not sent to the server)."""
    return {k: v for k, v in params.items() if v is not None}


def check_messages(messages: object) -> list[Any]:
    """Validate a ``messages`` argument: a list of message models or dicts with a ``role``."""
    if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Iterable):
        raise TypeError(
            "messages must be a list of messages (message models or dicts with a 'role'), "
            f"got {type(messages).__name__}"
        )
    items = list(messages)
    if not items:
        raise ValueError("messages must not be empty")
    for i, message in enumerate(items):
        if isinstance(message, WireModel):
            continue
        if isinstance(message, Mapping):
            if not isinstance(message.get("role"), str):
                raise ValueError(f"messages[{i}] has no 'role': {message!r}")
            continue
        if callable(getattr(message, "model_dump", None)):
            continue
        raise TypeError(
            f"messages[{i}] must be a message model or a dict with a 'role', "
            f"got {type(message).__name__}"
        )
    return items


def build_chat_body(
    *, model: str, messages: object, stream: bool, params: Mapping[str, Any]
) -> bytes:
    """The JSON body of a chat request: model, checked messages, ``stream``, the parameters
    that are not ``None``, then ``extra_body`` merged in as given."""
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a non-empty string, got {model!r}")
    extra = params.get("extra_body") or {}
    body = {
        "model": model,
        "messages": check_messages(messages),
        "stream": stream,
        **without_none({k: v for k, v in params.items() if k != "extra_body"}),
        **extra,
    }
    return encode_json(body)


def payload_error(payload: object) -> StreamError | None:
    """The :class:`StreamError` an in-stream payload reports, or ``None`` if it is no error.

    Recognised shapes: ``{"error": {...}}`` / ``{"error": "..."}`` (OpenAI-style, Ollama),
    ``{"type": "error", "error": {...}}`` (Anthropic), ``{"object": "error", "message": ...}``
    (Mistral).
    """
    if not isinstance(payload, Mapping):
        return None
    error = payload.get("error")
    if isinstance(error, Mapping):
        details: Mapping[str, Any] = error
    elif isinstance(error, str) and error:
        details = {"message": error}
    elif payload.get("object") == "error" or payload.get("type") == "error":
        details = payload
    else:
        return None
    message = details.get("message")
    kind = details.get("type")
    code = details.get("code")
    return StreamError(  # which cuts the message short (the whole payload stays in .body)
        f"The provider reported an error in the stream: {message or 'no message'}",
        type=kind if isinstance(kind, str) and kind != "error" else None,
        code=str(code) if code is not None else None,
        body=dict(payload),
    )


def decode_error(what: str, raw: str | bytes, cause: Exception) -> StreamDecodeError:
    """The error for a payload that is not valid JSON or does not fit the expected shape; its
    ``raw`` is the payload's start, redacted before it is cut (no key is cut in two)."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    secrets = known_secrets()
    raw_text = redact(text, secrets)[:_RAW_PREVIEW]
    return StreamDecodeError(
        f"Could not decode {what}: {excerpt(redact(str(cause), secrets))}", raw=raw_text
    )


def replace_unknown_chunks(items: object, known: frozenset[str]) -> None:
    """Wrap content chunks of unknown ``type`` in place as ``{"type": "unknown", "raw": ...}``.

    Also descends into the ``thinking`` list of thinking chunks.
    """
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict) or item.get("type") not in known:
            items[i] = {
                "type": "unknown",
                "raw": item if isinstance(item, dict) else {"value": item},
            }
        elif "thinking" in item:
            replace_unknown_chunks(item["thinking"], known)


class JsonDecoderPair(Generic[M]):
    """A strict msgspec decoder for one payload type, and one for a JSON array of them."""

    def __init__(self, model: type[M], what: str, fix: Callable[[Any], None] | None = None) -> None:
        self.model = model
        self.what = what
        self.one = msgspec.json.Decoder(model)
        self.many = msgspec.json.Decoder(list[model])  # type: ignore[valid-type]
        self._fix = fix

    def decode(self, raw: str | bytes) -> M:
        """One payload; a payload the strict pass rejects goes through :meth:`lenient`."""
        try:
            return self.one.decode(raw)
        except msgspec.ValidationError:
            return self.lenient(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))
        except msgspec.DecodeError as exc:
            raise decode_error(self.what, raw, exc) from None

    def lenient(self, raw: str) -> M:
        """The slow path: an error payload becomes :class:`StreamError`; unknown content
        types are wrapped (``fix``); anything else is a :class:`StreamDecodeError`."""
        try:
            payload = msgspec.json.decode(raw)
        except msgspec.DecodeError as exc:
            raise decode_error(self.what, raw, exc) from None
        error = payload_error(payload)
        if error is not None:
            raise error
        if self._fix is not None:
            self._fix(payload)
        try:
            return msgspec.convert(payload, self.model)
        except msgspec.ValidationError as exc:
            raise decode_error(self.what, raw, exc) from None


class _JsonFramesCodec(Generic[F, T]):
    """Batch decoding shared by the SSE and NDJSON codecs (see :class:`JsonSSECodec`).

    It meets :class:`~streamcall.transport.session.StreamCodec`: after each
    :meth:`decode_all`, ``done``, ``error`` and ``finished`` tell the stream session how the
    stream stands; a subclass's :meth:`wrap` (and :meth:`wrap_one`) sets them.
    """

    __slots__ = ("_one", "done", "error", "finished")
    payloads: ClassVar[JsonDecoderPair[Any]]
    done_sentinel: ClassVar[str | None] = None
    interrupted: ClassVar[str] = "The stream ended before its end"
    unmarked_end: ClassVar[bool] = False

    def __init__(self) -> None:
        self.done = False
        self.error: APIError | None = None
        self.finished = False
        self._one: Callable[[str], Any] = self.payloads.one.decode

    def wrap(self, items: list[Any], raws: list[str]) -> list[T]:
        """The events for decoded payloads (called once per network read)."""
        raise NotImplementedError

    def wrap_one(self, item: Any, raw: str) -> list[T]:
        """``wrap([item], [raw])``: the events for one payload, the common read (a subclass
        does it without the loop and the lists)."""
        return self.wrap([item], [raw])

    def _texts(self, frames: list[F]) -> list[str]:
        raise NotImplementedError

    def decode_all(self, frames: list[F]) -> list[T]:
        """The events of one network read: one msgspec call for all its payloads; else (an end
        marker, an error payload, an unknown content type, bad JSON) payload by payload,
        stopping at the end marker or the error."""
        return self._decode(self._texts(frames))

    def _decode_single(self, raw: str) -> list[T]:
        """The events of a read of one payload (the common read): the typed decoder and
        :meth:`wrap_one`; anything unusual takes the exact path of :meth:`_decode`."""
        if raw != self.done_sentinel:
            try:
                item = self._one(raw)
            except msgspec.MsgspecError:
                pass
            else:
                return self.wrap_one(item, raw)
        return self._decode([raw])

    def _decode(self, raws: list[str]) -> list[T]:
        payloads = self.payloads
        if len(raws) > 1:
            try:
                items = payloads.many.decode("[" + ",".join(raws) + "]")
            except msgspec.MsgspecError:
                pass
            else:
                if len(items) == len(raws):
                    return self.wrap(items, raws)
        out: list[T] = []
        one = self._one
        for raw in raws:
            if raw == self.done_sentinel:
                self.done = True
                break
            try:
                item = one(raw)
            except msgspec.MsgspecError:
                try:
                    item = payloads.decode(raw)  # the lenient path, or the typed error
                except APIError as exc:
                    self.done, self.error = True, exc
                    break
            out += self.wrap_one(item, raw)
            if self.done:
                break
        return out


class JsonSSECodec(_JsonFramesCodec[ServerSentEvent, T]):
    """Base of the codecs whose SSE events carry one JSON payload each.

    Fast paths: a read of one event (the common read: servers flush each event) decodes its
    payload with the typed decoder and :meth:`wrap_one`; all the events of a longer read decode
    in a single msgspec call (as one JSON array). Anything unusual (the ``[DONE]`` marker, an
    error payload, an unknown content type, bad JSON) takes the exact per-event path.
    Subclasses set ``payloads`` and implement :meth:`wrap` (payloads and their JSON texts ->
    events, noting finish reasons and errors; at an end or an error it returns only the events
    before it and sets ``done``) and, for speed, :meth:`wrap_one`.
    """

    __slots__ = ()
    done_sentinel: ClassVar[str | None] = "[DONE]"

    def decode_all(self, frames: list[ServerSentEvent]) -> list[T]:
        if len(frames) == 1:
            return self._decode_single(frames[0].data)
        return self._decode([frame.data for frame in frames])

    def _texts(self, frames: list[ServerSentEvent]) -> list[str]:
        return [frame.data for frame in frames]


class JsonLinesCodec(_JsonFramesCodec[bytes, T]):
    """Base of the NDJSON codecs (one JSON payload per line); see :class:`JsonSSECodec`."""

    __slots__ = ()

    def decode_all(self, frames: list[bytes]) -> list[T]:
        if len(frames) == 1:
            return self._decode_single(frames[0].decode("utf-8", "replace"))
        return self._decode(self._texts(frames))

    def _texts(self, frames: list[bytes]) -> list[str]:
        return [line.decode("utf-8", "replace") for line in frames]
