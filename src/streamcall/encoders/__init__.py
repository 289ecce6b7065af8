"""Encoders: any streamcall stream out as a standard stream.

Each format has a pure encoder (neutral events in, bytes out: :class:`OpenAIChatEncoder`,
:class:`AnthropicEncoder`, :class:`VercelEncoder`) and two thin edges driving it from a
stream's ``events()`` / ``aevents()``: ``encode_<format>(stream) -> Iterator[bytes]`` and
``aencode_<format>(stream) -> AsyncIterator[bytes]``. Closing an edge's iterator early
cancels the stream. ``VercelEncoder(call_tools=True)`` (``encode_vercel(stream,
call_tools=True)``) also calls each tool call's tool and sends its output.
:func:`streaming_response` (``streamcall.encoders.starlette``, needs Starlette) serves one
from Starlette or FastAPI.

    from streamcall.encoders import streaming_response

    @app.post("/v1/chat/completions")
    async def chat() -> StreamingResponse:
        return streaming_response(await answer(), "openai")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from streamcall.encoders._base import EncodableStream, Encoder, aencode, encode
from streamcall.encoders.anthropic import (
    ANTHROPIC_HEADERS,
    AnthropicEncoder,
    aencode_anthropic,
    encode_anthropic,
)
from streamcall.encoders.openai import (
    OPENAI_HEADERS,
    OpenAIChatEncoder,
    aencode_openai,
    encode_openai,
)
from streamcall.encoders.vercel import (
    UI_MESSAGE_STREAM_HEADERS,
    VercelEncoder,
    aencode_vercel,
    encode_vercel,
)

if TYPE_CHECKING:
    from streamcall.encoders.starlette import streaming_response

__all__ = [
    "ANTHROPIC_HEADERS",
    "OPENAI_HEADERS",
    "UI_MESSAGE_STREAM_HEADERS",
    "AnthropicEncoder",
    "EncodableStream",
    "Encoder",
    "OpenAIChatEncoder",
    "VercelEncoder",
    "aencode",
    "aencode_anthropic",
    "aencode_openai",
    "aencode_vercel",
    "encode",
    "encode_anthropic",
    "encode_openai",
    "encode_vercel",
    "streaming_response",
]


def __getattr__(name: str) -> Any:
    if name == "streaming_response":  # imports Starlette only when asked for
        from streamcall.encoders.starlette import streaming_response

        return streaming_response
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
