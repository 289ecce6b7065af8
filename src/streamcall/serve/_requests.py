"""Pure request and response handling of ``streamcall serve`` (no I/O, no Starlette).

A request body in OpenAI Chat or Anthropic Messages form becomes a :class:`CallRequest`
(messages built structurally: a role comes only from a message's ``role`` field, so no text
can change it; images checked; tool calls with object arguments, each result answering an
earlier call); the events of a stream become a whole ``chat.completion`` or ``message``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from streamcall.core.base.events import (
    Finish,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolCallEnd,
    UsageUpdate,
)
from streamcall.encoders._base import new_id, openai_counts
from streamcall.encoders.anthropic import anthropic_counts, stop_reason
from streamcall.encoders.openai import finish_reason
from streamcall.serve._upstream import BadRequest, Image, Message, json_object, upstream_messages

__all__ = ["BadRequest", "CallRequest", "Collected", "anthropic_request", "openai_request"]

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DATA_URL = re.compile(r"^data:(image/[A-Za-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


@dataclass
class CallRequest:
    """What a request asks for, whatever API it came in."""

    model: str | None
    messages: list[Message]
    stream: bool = False
    include_usage: bool = False
    call_params: dict[str, Any] = field(default_factory=dict)
    tools: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)

    def upstream_messages(self, wire: str) -> list[Any]:
        """The messages as the upstream provider of ``wire`` takes them: neutral text
        messages; tool calls and results, and images, in the provider's own form."""
        return upstream_messages(self.messages, wire)


def _need(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise BadRequest(f"'{what}' is invalid")
    return value


def _positive(value: Any, what: str) -> int:
    number: int = _need(value, int, what)
    if number < 1:
        raise BadRequest(f"'{what}' must be at least 1")
    return number


def _strings(value: Any, what: str) -> list[str]:
    return [_need(v, str, what) for v in _need(value, list, what)]


def _text(content: Any, what: str) -> str:
    """Text content: a string, or a list of text parts."""
    return "".join(p for p in _parts(content, what, images=False) if isinstance(p, str))


def _parts(content: Any, what: str, *, images: bool) -> list[str | Image]:
    """Content parts: a string, or a list of text parts and (where ``images``) OpenAI
    ``image_url`` parts and Anthropic ``image`` blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    parts: list[str | Image] = []
    for part in _need(content, list, what):
        kind = _need(part, dict, f"{what}[]").get("type")
        if kind == "text":
            parts.append(_need(part.get("text"), str, f"{what}.text"))
        elif kind in ("image_url", "image") and images:
            parts.append(_image_url(part) if kind == "image_url" else _image_block(part))
        elif kind in ("image_url", "image"):
            raise BadRequest(f"'{what}': images are supported in user messages only")
        else:
            raise BadRequest(f"'{what}': unsupported content part {kind!r}")
    return parts


def _image_url(part: Mapping[str, Any]) -> Image:
    """An OpenAI ``image_url`` part: an http(s) URL or a base64 ``data:`` URL."""
    url: Any = part.get("image_url")
    detail = None
    if isinstance(url, Mapping):
        url, detail = url.get("url"), url.get("detail")
        if detail not in (None, "auto", "low", "high"):
            raise BadRequest("'image_url.detail' must be 'auto', 'low' or 'high'")
    url = _need(url, str, "image_url.url")
    if url.startswith(("http://", "https://")):
        return Image(url=url, detail=detail)
    match = _DATA_URL.match(url)
    if match is None:
        raise BadRequest("'image_url.url' must be an http(s) URL or a base64 data: URL of an image")
    return Image(media_type=match[1], data=match[2], detail=detail)


def _image_block(block: Mapping[str, Any]) -> Image:
    """An Anthropic ``image`` block: a ``base64`` or ``url`` source."""
    source = _need(block.get("source"), dict, "image.source")
    if source.get("type") == "url":
        url = _need(source.get("url"), str, "image.source.url")
        if not url.startswith(("http://", "https://")):
            raise BadRequest("'image.source.url' must be an http(s) URL")
        return Image(url=url)
    if source.get("type") != "base64":
        raise BadRequest("'image.source.type' must be 'base64' or 'url'")
    media_type = _need(source.get("media_type"), str, "image.source.media_type")
    data = _need(source.get("data"), str, "image.source.data")
    if not media_type.startswith("image/") or not _BASE64.match(data):
        raise BadRequest("'image.source' must hold an image's media type and base64 data")
    return Image(media_type=media_type, data=data)


def _arguments(arguments: Any, what: str) -> str:
    """Tool call arguments as JSON text, checked to be an object."""
    json_object(_need(arguments, str, what))
    return arguments  # type: ignore[no-any-return]


def _paired(messages: list[Message]) -> list[Message]:
    """``messages``, checked that each tool result answers an earlier call."""
    ids: set[str] = set()
    for m in messages:
        ids.update(i for i, _, _ in m.tool_calls)
        if m.role == "tool" and m.tool_call_id not in ids:
            raise BadRequest(f"the tool result {m.tool_call_id!r} answers no earlier tool call")
    return messages


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _common(body: Mapping[str, Any], params: dict[str, Any]) -> None:
    """The sampling parameters both APIs name the same way, as neutral call params."""
    for name, kind in (("temperature", (int, float)), ("top_p", (int, float)), ("seed", int)):
        if body.get(name) is not None:
            params[name] = _need(body[name], kind, name)


def _tool(name: Any, description: Any, schema: Any) -> tuple[str, str | None, dict[str, Any]]:
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise BadRequest("a tool's name must be 1-64 letters, digits, '_' or '-'")
    if description is not None:
        _need(description, str, "tools.description")
    schema = {} if schema is None else _need(schema, dict, "tools.parameters")
    return name, description, dict(schema)


def openai_request(raw: bytes) -> CallRequest:
    """An OpenAI Chat Completions request body (``BadRequest`` when it is not one)."""
    body = _body(raw)
    messages: list[Message] = []
    for item in _need(body.get("messages"), list, "messages"):
        m = _need(item, dict, "messages[]")
        role = m.get("role")
        if role == "developer":
            role = "system"
        if role not in ("system", "user", "assistant", "tool"):
            raise BadRequest(f"unknown message role {role!r}")
        message = Message(role, _parts(m.get("content"), "content", images=role == "user"))
        if role == "tool":
            message.tool_call_id = _need(m.get("tool_call_id"), str, "tool_call_id")
        for call in (
            _need(m.get("tool_calls") or [], list, "tool_calls") if role == "assistant" else []
        ):
            function = _need(_need(call, dict, "tool_calls[]").get("function"), dict, "function")
            message.tool_calls.append(
                (
                    _need(call.get("id"), str, "tool_calls.id"),
                    _need(function.get("name"), str, "function.name"),
                    _arguments(function.get("arguments", ""), "function.arguments"),
                )
            )
        messages.append(message)
    if not messages:
        raise BadRequest("'messages' must not be empty")
    params: dict[str, Any] = {}
    _common(body, params)
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None:
        params["max_tokens"] = _positive(limit, "max_tokens")
    stop = body.get("stop")
    if stop is not None:
        params["stop"] = _strings([stop] if isinstance(stop, str) else stop, "stop")
    tools = []
    for tool in _need(body.get("tools") or [], list, "tools"):
        if not isinstance(tool, dict) or tool.get("type") != "function":
            raise BadRequest("only function tools are supported")
        function = _need(tool.get("function"), dict, "tools.function")
        tools.append(
            _tool(function.get("name"), function.get("description"), function.get("parameters"))
        )
    choice = body.get("tool_choice")
    if choice in ("auto", "none", "required"):
        params["tool_choice"] = choice
    options = body.get("stream_options") or {}
    return CallRequest(
        model=_need(body.get("model", ""), str, "model") or None,
        messages=_paired(messages),
        stream=bool(body.get("stream")),
        include_usage=bool(_need(options, dict, "stream_options").get("include_usage")),
        call_params=params,
        tools=tools,
    )


def anthropic_request(raw: bytes) -> CallRequest:
    """An Anthropic Messages request body (``BadRequest`` when it is not one)."""
    body = _body(raw)
    messages: list[Message] = []
    system = body.get("system")
    if system:
        messages.append(Message("system", [_text(system, "system")]))
    for item in _need(body.get("messages"), list, "messages"):
        m = _need(item, dict, "messages[]")
        role = m.get("role")
        if role not in ("user", "assistant"):
            raise BadRequest(f"unknown message role {role!r}")
        content = m.get("content")
        if isinstance(content, str):
            messages.append(Message(role, [content]))
            continue
        current = Message(role)
        for block in _need(content, list, "content"):
            kind = _need(block, dict, "content[]").get("type")
            if kind == "text" or (kind == "image" and role == "user"):
                current.parts += _parts([block], "content", images=True)
            elif kind == "tool_use" and role == "assistant":
                arguments = msgspec.json.encode(_need(block.get("input", {}), dict, "input"))
                current.tool_calls.append(
                    (
                        _need(block.get("id"), str, "id"),
                        _need(block.get("name"), str, "name"),
                        arguments.decode(),
                    )
                )
            elif kind == "tool_result" and role == "user":
                result = Message("tool", [_text(block.get("content"), "tool_result.content")])
                result.tool_call_id = _need(block.get("tool_use_id"), str, "tool_use_id")
                messages.append(result)
            else:
                raise BadRequest(f"unsupported content block {kind!r}")
        if current.parts or current.tool_calls:
            messages.append(current)
    if not any(m.role != "system" for m in messages):
        raise BadRequest("'messages' must not be empty")
    params: dict[str, Any] = {"max_tokens": _positive(body.get("max_tokens"), "max_tokens")}
    _common(body, params)
    if body.get("stop_sequences") is not None:
        params["stop"] = _strings(body["stop_sequences"], "stop_sequences")
    tools = [
        _tool(t.get("name"), t.get("description"), t.get("input_schema"))
        for t in (_need(x, dict, "tools[]") for x in _need(body.get("tools") or [], list, "tools"))
    ]
    choice = _need(body.get("tool_choice") or {}, dict, "tool_choice").get("type")
    if choice in ("auto", "none", "any"):
        params["tool_choice"] = "required" if choice == "any" else choice
    return CallRequest(
        model=_need(body.get("model", ""), str, "model") or None,
        messages=_paired(messages),
        stream=bool(body.get("stream")),
        call_params=params,
        tools=tools,
    )


class Collected:
    """A whole answer gathered from a stream's events (pure: feed each event in order)."""

    def __init__(self) -> None:
        self.text = ""
        self.thinking = ""
        self.tool_calls: list[tuple[str | None, str, str]] = []
        self.usage: Any = None
        self.finish: Finish | None = None

    def feed(self, event: StreamEvent) -> None:
        """Take one event."""
        if isinstance(event, TextDelta):
            self.text += event.text
        elif isinstance(event, ThinkingDelta):
            self.thinking += event.text
        elif isinstance(event, ToolCallEnd):
            call = event.call
            self.tool_calls.append((call.id, call.name, call.arguments_json or "{}"))
        elif isinstance(event, UsageUpdate):
            self.usage = event.usage
        elif isinstance(event, Finish):
            self.finish = event

    def openai(self, id: str | None, model: str, created: int) -> dict[str, Any]:
        """The answer as a ``chat.completion``."""
        finish = self.finish or Finish(None, None)
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.thinking:
            message["reasoning_content"] = self.thinking
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": i or new_id("call_"),
                    "type": "function",
                    "function": {"name": n, "arguments": a},
                }
                for i, n, a in self.tool_calls
            ]
        body: dict[str, Any] = {
            "id": id or new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason(finish, bool(self.tool_calls)),
                }
            ],
        }
        if self.usage is not None:
            counts = openai_counts(self.usage)
            body["usage"] = {
                "prompt_tokens": counts["prompt_tokens"],
                "completion_tokens": counts["completion_tokens"],
                "total_tokens": counts["total_tokens"],
                "prompt_tokens_details": {"cached_tokens": counts["cached_tokens"]},
                "completion_tokens_details": {"reasoning_tokens": counts["reasoning_tokens"]},
            }
        return body

    def anthropic(self, id: str | None, model: str) -> dict[str, Any]:
        """The answer as an Anthropic ``message``."""
        content: list[dict[str, Any]] = []
        if self.thinking:
            content.append({"type": "thinking", "thinking": self.thinking, "signature": ""})
        if self.text:
            content.append({"type": "text", "text": self.text})
        for i, n, a in self.tool_calls:
            try:
                arguments = msgspec.json.decode(a)
            except msgspec.DecodeError:
                arguments = {}
            content.append(
                {"type": "tool_use", "id": i or new_id("toolu_"), "name": n, "input": arguments}
            )
        return {
            "id": id or new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason(self.finish or Finish(None, None), bool(self.tool_calls)),
            "stop_sequence": None,
            "usage": anthropic_counts(self.usage),
        }
