"""A Starlette / FastAPI response streaming a streamcall stream in a standard format
(needs ``starlette``, which FastAPI brings; imported only here)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
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
    """Whether the stream is iterated with ``async for`` (stopped with ``acancel()``): its
    ``is_async``, or, for a wrapper of one's own without it, that of the ``stream`` it wraps."""
    found = getattr(stream, "is_async", None)
    if found is None:
        found = getattr(getattr(stream, "stream", None), "is_async", False)
    return bool(found)


async def _in_threads(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A sync iterator read on worker threads (a worker left waiting on a stalled read when
    the response is cancelled is released by the stream's cancel, which ends that read)."""
    import anyio.to_thread

    end: Any = object()
    while (
        out := await anyio.to_thread.run_sync(next, chunks, end, abandon_on_cancel=True)
    ) is not end:
        yield out


async def _body(stream: EncodableStream, encoder: Encoder) -> AsyncIterator[bytes]:
    """The response body: the encoded stream, which stops after an error it forwarded, and
    which cancels the stream when it stops (the client gone, the response cancelled)."""
    asynchronous = _is_async(stream)
    chunks = aencode(stream, encoder) if asynchronous else _in_threads(encode(stream, encoder))
    try:
        async for out in chunks:
            yield out
    except Exception as exc:
        if not encoder.forwarded(exc):
            raise
    finally:
        with anyio.CancelScope(shield=True):  # cancelled (client gone), it still closes
            if asynchronous:
                await stream.acancel()
            else:
                stream.cancel()  # also from here while a worker still reads: that read ends


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
    return EncodedStreamingResponse(
        _body(stream, encoder),
        status_code=status_code,
        headers={**encoder.headers, **(headers or {})},
        media_type=encoder.media_type,
    )
