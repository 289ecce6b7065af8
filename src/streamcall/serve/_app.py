"""The Starlette app of ``streamcall serve`` (Starlette is imported only here)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from importlib import resources
from typing import Any, NoReturn

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from streamcall import llm, registry
from streamcall.core.base.events import ErrorEvent, StreamEvent
from streamcall.encoders import AnthropicEncoder, Encoder, OpenAIChatEncoder
from streamcall.encoders.starlette import streaming_response
from streamcall.errors import StreamcallError, known_secrets, redact
from streamcall.serve._requests import (
    BadRequest,
    CallRequest,
    Collected,
    anthropic_request,
    openai_request,
)

__all__ = ["create_app"]


def _status(error: BaseException) -> int:
    """The status an upstream error is answered with: the upstream's, else 502."""
    code = getattr(error, "status_code", None)
    return code if isinstance(code, int) and 400 <= code < 600 else 502


def _openai_error(message: str, status: int) -> JSONResponse:
    kind = "invalid_request_error" if status in (400, 413) else "api_error"
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return JSONResponse(body, status_code=status)


def _anthropic_error(message: str, status: int) -> JSONResponse:
    kind = {400: "invalid_request_error", 413: "request_too_large"}.get(status, "api_error")
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}}, status_code=status
    )


def _schema_tool(name: str, description: str | None, schema: dict[str, Any]) -> type[Any]:
    """A tool class that sends a given JSON schema (its arguments are taken as given)."""
    from pydantic import ConfigDict

    from streamcall.core.base.tool import BaseTool

    def parameters_schema(cls: type[Any]) -> dict[str, Any]:
        return {"type": "object", "properties": {}, **schema}

    namespace = {
        "model_config": ConfigDict(extra="allow"),
        "__tool_name__": name,
        "__tool_description__": description or name,
        "parameters_schema": classmethod(parameters_schema),
    }
    return type(name, (BaseTool,), namespace)


def _async_only(self: object) -> NoReturn:
    raise TypeError("an async stream: use aevents() / acancel()")


class _Primed:
    """A stream whose first event was already read (to answer an upstream error with its
    status), read on from there by the encoder."""

    def __init__(self, stream: Any, events: AsyncIterator[StreamEvent], first: StreamEvent):
        self.stream = getattr(stream, "stream", stream)
        self._outer = stream
        self._events = events
        self._first: StreamEvent | None = first

    events = cancel = _async_only  # the stream is async: no sync side

    @property
    def id(self) -> str | None:
        """The stream's response id."""
        return self._outer.id  # type: ignore[no-any-return]

    @property
    def model(self) -> str:
        """The stream's model."""
        return self._outer.model  # type: ignore[no-any-return]

    async def aevents(self) -> AsyncIterator[StreamEvent]:
        """The first event, then the rest."""
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        async for event in self._events:
            yield event

    async def acancel(self) -> None:
        """Stop the stream and close its connection."""
        with contextlib.suppress(Exception):
            await self._events.aclose()  # type: ignore[attr-defined]
        await self._outer.acancel()


class _Server:
    """One upstream (provider, default model, client) behind both APIs."""

    def __init__(self, provider: str, model: str | None, client: Any) -> None:
        self.entry = registry.entry(provider)
        self.model = model or self.entry.default_model
        self.client = client
        self._made: Any = None

    def _client(self) -> Any:
        if self.client is None and self._made is None and self.entry.name != "local":
            self._made = self.entry.make_client()
        return self.client if self.client is not None else self._made

    async def close(self) -> None:
        """Close the client this server made."""
        made, self._made = self._made, None
        if made is not None:
            await made.aclose()

    async def open(self, call: CallRequest) -> Any:
        """The upstream stream of ``call``."""
        messages = call.upstream_messages(self.entry.wire)
        tools = [_schema_tool(*t) for t in call.tools] or None
        # A local model is a file on this machine: the server's, never one a request names.
        local = self.entry.name == "local"
        decorator = llm.call(
            self.entry.name,
            self.model if local else call.model or self.model,
            stream=True,
            tools=tools,
            client=self._client(),
            call_params=call.call_params,
        )

        async def prompt() -> list[Any]:
            return messages

        ask: Any = decorator(prompt)
        return await ask()

    async def answer(
        self,
        raw: bytes,
        parse: Callable[[bytes], CallRequest],
        error: Callable[[str, int], JSONResponse],
        encoder: Callable[[CallRequest], Encoder],
        whole: Callable[[Collected, Any], dict[str, Any]],
    ) -> Response:
        """One request of either API: a stream, a whole answer, or an error."""
        try:
            call = parse(raw)
            stream = await self.open(call)
        except BadRequest as exc:
            return error(str(exc), 400)
        except StreamcallError as exc:
            return error(str(exc), _status(exc))
        except ValueError as exc:  # a parameter value the provider's call layer refuses
            return error(redact(str(exc), known_secrets()), 400)
        events = stream.aevents()
        if call.stream:
            first = await anext(events, None)
            if isinstance(first, ErrorEvent):
                with contextlib.suppress(Exception):
                    await events.aclose()
                return error(str(first.error), _status(first.error))
            if first is None:
                return error("the upstream stream ended without an answer", 502)
            return streaming_response(_Primed(stream, events, first), encoder=encoder(call))
        collected = Collected()
        async for event in events:
            if isinstance(event, ErrorEvent):
                with contextlib.suppress(Exception):
                    await events.aclose()
                # After the end, an error is a tool call the server's tools do not take: the
                # client's to handle, the answer is whole.
                if collected.finish is None:
                    return error(str(event.error), _status(event.error))
                break
            collected.feed(event)
        return JSONResponse(whole(collected, stream))


MAX_REQUEST_BYTES = 32 * 1024 * 1024
"""The largest request body served by default (images come base64 in the body)."""


async def _body(request: Request, limit: int) -> bytes | None:
    """The request's body, or ``None`` when it is over ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            return None
    return bytes(body)


def create_app(
    provider: str = "local",
    model: str | None = None,
    *,
    client: Any = None,
    max_request_bytes: int = MAX_REQUEST_BYTES,
) -> Starlette:
    """The app: ``POST /v1/chat/completions`` (OpenAI), ``POST /v1/messages`` (Anthropic),
    ``GET /`` (a chat page).

    Args:
        provider: The registry provider every request goes to.
        model: The default model (a request's ``model`` overrides it, except for the
            ``local`` provider, whose model is a file that only the server names; default:
            the provider's default model).
        client: The provider client to send with (default: one made from the provider's
            environment variables, closed with the app).
        max_request_bytes: A larger request body is refused (413, in the API's error shape)
            before it is read whole.
    """
    server = _Server(provider, model, client)
    too_large = f"the request body is over {max_request_bytes} bytes"

    async def chat_completions(request: Request) -> Response:
        if (raw := await _body(request, max_request_bytes)) is None:
            return _openai_error(too_large, 413)
        return await server.answer(
            raw,
            openai_request,
            _openai_error,
            lambda call: OpenAIChatEncoder(include_usage=call.include_usage),
            lambda got, stream: got.openai(stream.id, stream.model, int(time.time())),
        )

    async def messages(request: Request) -> Response:
        if (raw := await _body(request, max_request_bytes)) is None:
            return _anthropic_error(too_large, 413)
        return await server.answer(
            raw,
            anthropic_request,
            _anthropic_error,
            lambda call: AnthropicEncoder(),
            lambda got, stream: got.anthropic(stream.id, stream.model),
        )

    page = resources.files("streamcall.serve").joinpath("chat.html").read_text("utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(page)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await server.close()

    return Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/messages", messages, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
