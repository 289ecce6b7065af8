"""Sans-IO wire decoders: bytes in, frames out. No I/O, no payload schemas."""

from streamcall.wire.ndjson import NDJSONDecoder
from streamcall.wire.sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, SSEDecoder

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "NDJSONDecoder", "SSEDecoder", "ServerSentEvent"]
