"""Neutral messages in each upstream provider's own form (pure: no I/O, no Starlette).

A request of either API becomes :class:`Message` objects (text and image parts, tool calls as
``(id, name, arguments JSON)``, tool results answering a call by id); :func:`upstream_messages`
writes them as the provider of a wire takes them: tool calls and results, and images, in the
provider's documented form, or a :class:`BadRequest` saying what the upstream cannot take."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

from streamcall.core.base.messages import BaseMessageParam

__all__ = ["BadRequest", "Image", "Message", "json_object", "upstream_messages"]


class BadRequest(ValueError):
    """A request the server refuses (answered with 400 in the API's error shape)."""


@dataclass(frozen=True)
class Image:
    """An image part: an http(s) ``url``, or base64 ``data`` with its ``media_type``; the
    ``detail`` an OpenAI request asked for (``auto``, ``low``, ``high``)."""

    url: str | None = None
    media_type: str = ""
    data: str = ""
    detail: str | None = None

    @property
    def data_url(self) -> str:
        """The image as one URL: its own, or a ``data:`` URL of its bytes."""
        return self.url or f"data:{self.media_type};base64,{self.data}"


@dataclass
class Message:
    """One message in neutral terms: text and image parts in order; tool calls are
    ``(id, name, arguments JSON)``; a ``tool`` message answers the call ``tool_call_id``."""

    role: str
    parts: list[str | Image] = field(default_factory=list)
    tool_calls: list[tuple[str, str, str]] = field(default_factory=list)
    tool_call_id: str | None = None

    @property
    def text(self) -> str:
        """The text parts, joined."""
        return "".join(p for p in self.parts if isinstance(p, str))

    @property
    def images(self) -> list[Image]:
        """The image parts."""
        return [p for p in self.parts if isinstance(p, Image)]


def json_object(arguments: str) -> dict[str, Any]:
    """Tool call arguments (JSON text; empty means none) as an object."""
    try:
        value = msgspec.json.decode(arguments or "{}")
    except msgspec.DecodeError:
        raise BadRequest("tool call arguments must be a JSON object") from None
    if not isinstance(value, dict):
        raise BadRequest("tool call arguments must be a JSON object")
    return value


Result = tuple[str, str, str]  # (call id, function name, output text)


class _Form:
    """OpenAI Chat Completions' form (``openai-chat``, ``azure``); the other wires override
    what differs. ``images``: ``"any"`` (URLs and data), ``"data"`` (base64 only) or ``""``."""

    images: ClassVar[str] = "any"

    def __init__(self, wire: str) -> None:
        self.wire = wire

    def image(self, image: Image) -> Any:
        url = {"url": image.data_url}
        if image.detail:
            url["detail"] = image.detail
        return {"type": "image_url", "image_url": url}

    def text_part(self, text: str, role: str) -> Any:
        return {"type": "text", "text": text}

    def content(self, m: Message) -> list[Any]:
        return [
            self.image(p) if isinstance(p, Image) else self.text_part(p, m.role) for p in m.parts
        ]

    def plain(self, m: Message) -> list[Any]:
        if not m.images:
            return [BaseMessageParam(role=m.role, content=m.text)]
        return [{"role": m.role, "content": self.content(m)}]

    def call_id(self, id: str) -> str:
        return id

    def assistant(self, m: Message) -> list[Any]:
        calls = [
            {
                "id": self.call_id(i),
                "type": "function",
                "function": {"name": n, "arguments": a or "{}"},
            }
            for i, n, a in m.tool_calls
        ]
        return [{"role": "assistant", "content": m.text or None, "tool_calls": calls}]

    def results(self, results: list[Result]) -> list[Any]:
        return [
            {"role": "tool", "tool_call_id": self.call_id(i), "content": out}
            for i, _, out in results
        ]


class _Mistral(_Form):
    """Mistral: ``image_url`` is a string; tool call ids are 9 letters or digits (other ids
    are replaced, the same way in a call and its result); a result names its function."""

    _ID: ClassVar[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9]{9}$")

    def image(self, image: Image) -> Any:
        return {"type": "image_url", "image_url": image.data_url}

    def call_id(self, id: str) -> str:
        if self._ID.match(id):
            return id
        return hashlib.sha256(id.encode()).hexdigest()[:9]

    def results(self, results: list[Result]) -> list[Any]:
        return [
            {"role": "tool", "tool_call_id": self.call_id(i), "name": n, "content": out}
            for i, n, out in results
        ]


class _Local(_Form):
    """The local model: OpenAI's form (the local client writes tool calls into the text for
    the chat template), no images."""

    images = ""


class _Anthropic(_Form):
    """Anthropic Messages: ``tool_use`` blocks (input an object), the results as
    ``tool_result`` blocks of one user message, ``image`` blocks (base64 or url source)."""

    def image(self, image: Image) -> Any:
        if image.url:
            return {"type": "image", "source": {"type": "url", "url": image.url}}
        source = {"type": "base64", "media_type": image.media_type, "data": image.data}
        return {"type": "image", "source": source}

    def assistant(self, m: Message) -> list[Any]:
        blocks: list[Any] = [{"type": "text", "text": m.text}] if m.text else []
        blocks += [
            {"type": "tool_use", "id": i, "name": n, "input": json_object(a)}
            for i, n, a in m.tool_calls
        ]
        return [{"role": "assistant", "content": blocks}]

    def results(self, results: list[Result]) -> list[Any]:
        blocks = [
            {"type": "tool_result", "tool_use_id": i, "content": out} for i, _, out in results
        ]
        return [{"role": "user", "content": blocks}]


class _Responses(_Form):
    """OpenAI Responses: ``input_text`` / ``input_image`` parts; ``function_call`` and
    ``function_call_output`` input items paired by ``call_id``."""

    def image(self, image: Image) -> Any:
        return {
            "type": "input_image",
            "image_url": image.data_url,
            "detail": image.detail or "auto",
        }

    def text_part(self, text: str, role: str) -> Any:
        return {"type": "output_text" if role == "assistant" else "input_text", "text": text}

    def assistant(self, m: Message) -> list[Any]:
        items: list[Any] = [{"role": "assistant", "content": m.text}] if m.text else []
        items += [
            {"type": "function_call", "call_id": i, "name": n, "arguments": a or "{}"}
            for i, n, a in m.tool_calls
        ]
        return items

    def results(self, results: list[Result]) -> list[Any]:
        return [{"type": "function_call_output", "call_id": i, "output": o} for i, _, o in results]


FOREIGN_THOUGHT_SIGNATURE = "skip_thought_signature_validator"


class _Gemini(_Form):
    """Gemini: ``user`` / ``model`` contents of parts; ``functionCall`` (``args`` an object)
    and ``functionResponse`` parts paired by ``id`` and name; images as ``inlineData``."""

    images = "data"

    def image(self, image: Image) -> Any:
        return {"inlineData": {"mimeType": image.media_type, "data": image.data}}

    def text_part(self, text: str, role: str) -> Any:
        return {"text": text}

    def plain(self, m: Message) -> list[Any]:
        if not m.images:
            return super().plain(m)
        return [{"role": "user", "parts": self.content(m)}]

    def assistant(self, m: Message) -> list[Any]:
        parts: list[Any] = [{"text": m.text}] if m.text else []
        calls: list[dict[str, Any]] = [
            {"functionCall": {"id": i, "name": n, "args": json_object(a)}}
            for i, n, a in m.tool_calls
        ]
        if calls:
            # Gemini 3 refuses a function call in the history without the thought signature
            # of the turn that made it (on its first call); a client of another API has none,
            # and this value is the one Google documents for such a history.
            calls[0]["thoughtSignature"] = FOREIGN_THOUGHT_SIGNATURE
        return [{"role": "model", "parts": parts + calls}]

    def results(self, results: list[Result]) -> list[Any]:
        parts = [
            {"functionResponse": {"id": i, "name": n, "response": {"result": out}}}
            for i, n, out in results
        ]
        return [{"role": "user", "parts": parts}]


class _Cohere(_Form):
    """Cohere v2: OpenAI's shape, without an empty ``content`` beside tool calls."""

    def assistant(self, m: Message) -> list[Any]:
        (message,) = super().assistant(m)
        if message["content"] is None:
            del message["content"]
        return [message]


class _Ollama(_Form):
    """Ollama: content is text, images a list of base64 strings beside it; tool call
    ``arguments`` an object; a result names its function (``tool_name``)."""

    images = "data"

    def plain(self, m: Message) -> list[Any]:
        if not m.images:
            return super().plain(m)
        return [{"role": m.role, "content": m.text, "images": [i.data for i in m.images]}]

    def assistant(self, m: Message) -> list[Any]:
        calls = [
            {"id": i, "function": {"name": n, "arguments": json_object(a)}}
            for i, n, a in m.tool_calls
        ]
        return [{"role": "assistant", "content": m.text, "tool_calls": calls}]

    def results(self, results: list[Result]) -> list[Any]:
        return [{"role": "tool", "content": out, "tool_name": n} for _, n, out in results]


_FORMS: dict[str, Callable[[str], _Form]] = {
    "mistral": _Mistral,
    "local": _Local,
    "anthropic": _Anthropic,
    "openai-responses": _Responses,
    "gemini": _Gemini,
    "cohere": _Cohere,
    "ollama": _Ollama,
}


def _check_images(form: _Form, messages: list[Message]) -> None:
    images = [i for m in messages for i in m.images]
    if not images or form.images == "any":
        return
    if not form.images:
        raise BadRequest(f"images are not supported upstream ({form.wire} takes text only)")
    if any(i.url for i in images):
        raise BadRequest(
            f"image URLs are not supported upstream ({form.wire} takes images as base64 data: "
            "send a data: URL or a base64 source)"
        )


def upstream_messages(messages: list[Message], wire: str) -> list[Any]:
    """``messages`` as the upstream provider of ``wire`` takes them (``BadRequest`` for what
    it cannot take). Text-only messages stay neutral: each call layer writes those itself."""
    form = _FORMS.get(wire, _Form)(wire)
    _check_images(form, messages)
    names: dict[str, str] = {}
    out: list[Any] = []
    pending: list[Result] = []
    for m in messages:
        if m.role == "tool":
            call_id = m.tool_call_id or ""
            if call_id not in names:
                raise BadRequest(f"the tool result {call_id!r} answers no earlier tool call")
            pending.append((call_id, names[call_id], m.text))
            continue
        if pending:
            out += form.results(pending)
            pending = []
        if m.tool_calls:
            names.update((i, n) for i, n, _ in m.tool_calls)
            out += form.assistant(m)
        else:
            out += form.plain(m)
    if pending:
        out += form.results(pending)
    return out
