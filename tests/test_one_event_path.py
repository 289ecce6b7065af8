"""The one-event fast path (a read that is exactly one event) changes no result.

``SSEDecoder.feed`` slices a read of one ``data:`` event (or ``event:`` + ``data:``) without
splitting it, and the codecs decode its single payload with the typed decoder and
``wrap_one``. Servers flush each event as its own HTTP chunk, so that is the common read; the
properties here hold it to the general paths:

- every provider's bodies (the conformance writers, errors included) give the same events, the
  same ``raw`` on each, the same end and the same error whether fed one event per read, whole,
  or in random pieces;
- on any SSE text (tricky line ends, comments, ids, a byte-order mark, characters split across
  reads, events over a small size bound), the decoder returns exactly what its general path
  alone returns, and raises where it raises.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamcall.clients.anthropic.codec import MessagesStreamCodec
from streamcall.clients.cohere.codec import ChatStreamCodec as CohereCodec
from streamcall.clients.gemini.codec import StreamCodec as GeminiCodec
from streamcall.clients.mistral.codec import ChatStreamCodec as MistralCodec
from streamcall.clients.ollama.codec import ChatStreamCodec as OllamaCodec
from streamcall.clients.openai.codec import ChatStreamCodec as OpenAICodec
from streamcall.clients.openai.responses_codec import ResponsesStreamCodec
from streamcall.errors import StreamDecodeError
from streamcall.transport.session import StreamSession
from streamcall.wire import NDJSONDecoder, SSEDecoder
from streamcall.wire.sse import ServerSentEvent
from tests.conformance.harness import Writer, with_error
from tests.conformance.writers.anthropic import AnthropicWriter
from tests.conformance.writers.cohere import CohereWriter
from tests.conformance.writers.deepseek import DeepSeekWriter
from tests.conformance.writers.gemini import GeminiWriter
from tests.conformance.writers.mistral import MistralWriter
from tests.conformance.writers.ollama import OllamaWriter
from tests.conformance.writers.openai_chat import AZURE_VARIANTS, OpenAIChatWriter
from tests.conformance.writers.openai_responses import OpenAIResponsesWriter

# writer -> (the framing decoder, the provider's codec)
WIRES: dict[str, tuple[Callable[[], Writer], Callable[[], Any], Callable[[], Any]]] = {
    "mistral": (MistralWriter, SSEDecoder, MistralCodec),
    "openai": (OpenAIChatWriter, SSEDecoder, OpenAICodec),
    "azure": (
        lambda: OpenAIChatWriter("azure", ("official", *AZURE_VARIANTS)),
        SSEDecoder,
        OpenAICodec,
    ),
    "deepseek": (DeepSeekWriter, SSEDecoder, OpenAICodec),
    "anthropic": (AnthropicWriter, SSEDecoder, MessagesStreamCodec),
    "gemini": (GeminiWriter, SSEDecoder, GeminiCodec),
    "cohere": (CohereWriter, SSEDecoder, CohereCodec),
    "ollama": (OllamaWriter, NDJSONDecoder, OllamaCodec),
    "openai-responses": (OpenAIResponsesWriter, SSEDecoder, ResponsesStreamCodec),
}

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _event(event: Any) -> tuple[Any, ...]:
    return (type(event).__name__, msgspec.to_builtins(event), getattr(event, "raw", None))


def _error(error: BaseException | None) -> tuple[Any, ...] | None:
    if error is None:
        return None
    attrs = ("type", "code", "body", "raw")
    return (type(error).__name__, str(error), *(getattr(error, a, None) for a in attrs))


def run(frames: Callable[[], Any], codec_type: Callable[[], Any], reads: list[bytes]) -> Any:
    """Everything a stream session gives for these reads, read as the transport reads them:
    until ``done``, else to the end of the body."""
    codec = codec_type()
    session = StreamSession(frames(), codec)
    events: list[Any] = []
    for data in reads:
        events += session.feed(data)
        if session.done:
            break
    else:
        events += session.end()
    return (
        [_event(e) for e in events],
        session.done,
        _error(session.error),
        codec.finished,
        codec.done,
    )


def one_event_reads(body: bytes, ndjson: bool) -> list[bytes]:
    """The body cut after each event (each line, for NDJSON): one event per read."""
    pattern = rb"(?<=\n)" if ndjson else rb"(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r)"
    return [read for read in re.split(pattern, body) if read]


@st.composite
def pieces(draw: st.DrawFn, body: bytes) -> list[bytes]:
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=12)))
    bounds = [0, *cuts, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@pytest.mark.parametrize("wire", list(WIRES))
@SETTINGS
@given(data=st.data())
def test_one_event_per_read_gives_what_whole_and_random_reads_give(
    wire: str, data: st.DataObject
) -> None:
    writer_type, frames, codec = WIRES[wire]
    writer = writer_type()
    answer = data.draw(st.one_of(writer.strategy(), with_error(writer.strategy())))
    variants_for = getattr(writer, "variants_for", None)
    variant = data.draw(st.sampled_from(variants_for(answer) if variants_for else writer.variants))
    body = writer.write(answer, variant)

    per_event = one_event_reads(body, frames is NDJSONDecoder)
    assert b"".join(per_event) == body
    whole = run(frames, codec, [body])
    assert run(frames, codec, per_event) == whole
    assert run(frames, codec, data.draw(pieces(body))) == whole
    assert whole[0] or whole[2] is not None, "the body gave neither an event nor an error"


# -- the decoder alone, against its general path ------------------------------------------------


class GeneralOnly(SSEDecoder):
    """The decoder with its one-event path off: every read takes the general path."""

    __slots__ = ()

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        return self._feed(self._utf8.decode(chunk), chunk)


TOKENS = [
    "data:",
    "data: ",
    "event: ",
    "event:",
    "id: 7",
    "id: \x00",
    "retry: 30",
    ": keep-alive",
    "\n",
    "\n\n",
    "\r",
    "\r\n",
    "\r\n\r\n",
    '{"a": 1}',
    "x",
    "é",
    "🙂",
    "\ufeff",
    "data: [DONE]",
    "event: ping\ndata: {}",
]


@st.composite
def sse_reads(draw: st.DrawFn) -> tuple[list[bytes], bool]:
    """An SSE-like byte stream cut into reads: either at event ends (the one-event reads) or
    anywhere (UTF-8 characters cut in two, CRLF pairs split)."""
    any_block = st.lists(st.sampled_from(TOKENS), max_size=8).map("".join)
    value = st.text(st.sampled_from('{}":ab é🙂\r\n'), max_size=6)
    common = st.one_of(  # the shapes the one-event path takes, or nearly
        st.builds("data: {}".format, value),
        st.builds("data:{}".format, value),
        st.builds("event: {}\ndata: {}".format, value, value),
        st.builds("event:{}\ndata:{}".format, value, value),
    )
    events = draw(st.lists(st.one_of(common, any_block), max_size=8))
    ending = draw(st.sampled_from(["\n\n", "\r\n\r\n", "\r\r", ""]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    body = (bom + "".join(e + ending for e in events)).encode()
    if draw(st.booleans()):  # one event per read, the byte-order mark alone or with the first
        reads = [(e + ending).encode() for e in events]
        if bom and (not reads or draw(st.booleans())):
            reads.insert(0, bom.encode())
        elif bom:
            reads[0] = bom.encode() + reads[0]
    else:
        reads = draw(pieces(body)) if body else []
    return [r for r in reads if r], draw(st.booleans())


def _feed_all(decoder: SSEDecoder, reads: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for data in reads:
        try:
            out.append(decoder.feed(data))
        except StreamDecodeError as exc:
            out.append(("error", str(exc)))
    out.append(decoder.end())
    return out


@settings(max_examples=400, deadline=None)
@given(case=sse_reads(), bound=st.sampled_from([1 << 20, 8, 12, 16, 40, 64]))
def test_decoder_matches_its_general_path(case: tuple[list[bytes], bool], bound: int) -> None:
    reads, twice = case
    if twice:  # a second stream on the same decoder, after end()
        reads = reads + reads
    assert _feed_all(SSEDecoder(bound), reads) == _feed_all(GeneralOnly(bound), reads)


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        ([b"data: a\n\n", b"data: b\n\n"], [("a", "message"), ("b", "message")]),
        ([b"data: a\n\n", b"event: x\ndata: b\n\n"], [("a", "message"), ("b", "x")]),
        ([b"data: a\r\n\r\n", b"data: b\r\n\r\n"], [("a", "message"), ("b", "message")]),
        ([b"data: a\n\n", b"data:b\n\n"], [("a", "message"), ("b", "message")]),
        ([b"data: a\n\n", b"event: \ndata: b\n\n"], [("a", "message"), ("b", "message")]),
    ],
)
def test_one_event_reads(reads: list[bytes], expected: list[tuple[str, str]]) -> None:
    decoder = SSEDecoder()
    events = [e for data in reads for e in decoder.feed(data)]
    assert [(e.data, e.event) for e in events] == expected


def test_one_event_read_keeps_the_last_id_and_the_bound() -> None:
    decoder = SSEDecoder(16)
    assert decoder.feed(b"id: 5\ndata: a\n\n") == [ServerSentEvent("a", "message", "5")]
    assert decoder.feed(b"data: b\n\n") == [ServerSentEvent("b", "message", "5")]
    assert decoder.feed(b"data: 0123456789\n\n") == [ServerSentEvent("0123456789", "message", "5")]
    with pytest.raises(StreamDecodeError):
        decoder.feed(b"data: 0123456789a\n\n")  # 17 bytes
    assert decoder.feed("data: ééééé\n\n".encode()) == [ServerSentEvent("ééééé", "message", "5")]
    with pytest.raises(StreamDecodeError):
        decoder.feed("data: ééééé.\n\n".encode())  # 12 characters, 17 bytes
    assert decoder.feed(b"data: c\n\n") == [ServerSentEvent("c", "message", "5")]


class GeneralOnlyLines(NDJSONDecoder):
    """The NDJSON decoder with its one-line path off."""

    __slots__ = ()

    def feed(self, chunk: bytes) -> list[bytes]:
        return self._feed(chunk)


@st.composite
def ndjson_reads(draw: st.DrawFn) -> list[bytes]:
    parts = st.sampled_from([b'{"a": 1}', b"x", b" ", b"\t", b"\r", b"\xc3", b"\xa9", b"12345"])
    lines = draw(st.lists(st.lists(parts, max_size=6).map(b"".join), max_size=8))
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    if draw(st.booleans()):  # one line per read
        return [line + ending for line in lines]
    body = b"".join(line + ending for line in lines)
    return draw(pieces(body)) if body else []


def _lines_all(decoder: NDJSONDecoder, reads: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for data in reads:
        try:
            out.append(decoder.feed(data))
        except StreamDecodeError as exc:
            out.append(("error", str(exc)))
    out.append(decoder.end())
    return out


@settings(max_examples=300, deadline=None)
@given(reads=ndjson_reads(), bound=st.sampled_from([1 << 20, 4, 8, 9, 16]))
def test_ndjson_decoder_matches_its_general_path(reads: list[bytes], bound: int) -> None:
    assert _lines_all(NDJSONDecoder(bound), reads) == _lines_all(GeneralOnlyLines(bound), reads)
