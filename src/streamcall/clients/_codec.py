"""Codec helpers shared by the provider clients: request encoding, input checks, error payloads.

Everything here is pure: Python values in, bytes or errors out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from streamcall.clients._wire_model import WireModel
from streamcall.errors import StreamDecodeError, StreamError

__all__ = [
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
    return StreamError(
        f"The provider reported an error in the stream: {message or 'no message'}",
        type=kind if isinstance(kind, str) and kind != "error" else None,
        code=str(code) if code is not None else None,
        body=dict(payload),
    )


def decode_error(what: str, raw: str | bytes, cause: Exception) -> StreamDecodeError:
    """The error for a payload that is not valid JSON or does not fit the expected shape."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    return StreamDecodeError(f"Could not decode {what}: {cause}", raw=text[:_RAW_PREVIEW])


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
