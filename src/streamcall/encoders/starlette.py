"""A Starlette / FastAPI response streaming a streamcall stream in a standard format
(needs ``starlette``, which FastAPI brings; imported only here)."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from streamcall.encoders._base import EncodableStream, Encoder, aencode, encode
from streamcall.encoders.anthropic import AnthropicEncoder
from streamcall.encoders.openai import OpenAIChatEncoder
from streamcall.encoders.vercel import VercelEncoder

__all__ = ["ENCODERS", "EncodedStreamingResponse", "Format", "streaming_response"]

Format = Literal["openai", "anthropic", "vercel"]

ENCODERS: dict[str, Callable[[], Encoder]] = {
    "openai": OpenAIChatEncoder,
    "anthropic": AnthropicEncoder,
    "vercel": VercelEncoder,
}
"""The encoder of each format ``streaming_response`` takes."""


def _is_async(stream: Any) -> bool:
    """Whether the stream is iterated with ``async for`` (stopped with ``acancel()``)."""
    from streamcall.core.base.stream import BaseStream

    inner = stream if isinstance(stream, BaseStream) else getattr(stream, "stream", stream)
    raw = getattr(inner, "_raw", None)
    close = getattr(raw, "close", None)
    return hasattr(raw, "__aiter__") or inspect.iscoroutinefunction(close)


async def _in_threads(stream: EncodableStream, encoder: Encoder) -> AsyncIterator[bytes]:
    """A sync stream encoded on worker threads. When the response stops early (the client
    gone) the stream is cancelled from here, which closes its connection even while a worker
    still waits on a stalled read (that read then ends, quietly)."""
    import anyio.to_thread

    chunks = encode(stream, encoder)
    end: Any = object()
    try:
        while True:
            out = await anyio.to_thread.run_sync(next, chunks, end, abandon_on_cancel=True)
            if out is end:
                return
            yield out
    finally:
        try:
            chunks.close()
        except ValueError:  # still running on the abandoned worker: close the stream itself
            stream.cancel()


class EncodedStreamingResponse(StreamingResponse):
    """A ``StreamingResponse`` that notices a client leaving whatever the server's ASGI
    version (Starlette watches for it only below ASGI 2.4, and otherwise learns it at the next
    write, which a stalled upstream never makes) and then closes its body, which cancels the
    stream: the provider's connection closes at once."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response; stop at once when the client disconnects."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            async with anyio.create_task_group() as group:

                async def respond() -> None:
                    # OSError: the client is gone (ASGI 2.4 servers say so this way)
                    with contextlib.suppress(OSError):
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(respond)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                aclose = getattr(self.body_iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
        if self.background is not None:
            await self.background()


def streaming_response(
    stream: EncodableStream,
    format: Format = "openai",
    *,
    encoder: Encoder | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> EncodedStreamingResponse:
    """A Starlette ``StreamingResponse`` of ``stream`` in ``format``: ``"openai"`` (Chat
    Completions chunks), ``"anthropic"`` (Messages events) or ``"vercel"`` (the AI SDK's UI
    message stream, with its ``x-vercel-ai-ui-message-stream: v1`` header).

    The stream may be sync or async (a sync one is read on worker threads). A client that
    disconnects cancels the stream at once, which closes the provider's connection.

    Args:
        stream: A call-layer stream of any provider, an ``llm.Stream``, the local model's.
        format: The wire format.
        encoder: An encoder of your own making (``OpenAIChatEncoder(include_usage=False)``),
            instead of the format's default one.
        status_code: The response status.
        headers: Headers to add to the format's own.
    """
    if encoder is None:
        if format not in ENCODERS:
            raise ValueError(f"unknown format {format!r}: one of {sorted(ENCODERS)}")
        encoder = ENCODERS[format]()
    body = aencode(stream, encoder) if _is_async(stream) else _in_threads(stream, encoder)
    return EncodedStreamingResponse(
        body,
        status_code=status_code,
        headers={**encoder.headers, **(headers or {})},
        media_type=encoder.media_type,
    )
