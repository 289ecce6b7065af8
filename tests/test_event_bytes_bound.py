"""The event bound counts bytes, not characters (issue 11, item 9).

A bound in characters let an SSE event of 4-byte characters take four times the bound (a
64 MiB event under the 16 MiB default, ~300 MB at its peak). The SSE event and the NDJSON line
are bounded in UTF-8 bytes; an over-size one is refused as soon as its bytes pass the bound,
with the same :class:`StreamDecodeError` as before.
"""

from __future__ import annotations

import itertools
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcall.errors import StreamDecodeError
from streamcall.wire import NDJSONDecoder, ServerSentEvent, SSEDecoder

EMOJI = "\U0001f600"  # 4 bytes in UTF-8, one character


def feed_all(decoder: SSEDecoder, pieces: list[bytes]) -> list[ServerSentEvent]:
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events += decoder.feed(piece)
    return events + decoder.end()


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(max(c, 0), len(body)) for c in cuts})
    bounds = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(bounds)]


# -- SSE ----------------------------------------------------------------------------------------


def test_event_of_four_byte_characters_over_the_bound_in_bytes_is_refused() -> None:
    data = EMOJI * 300  # 300 characters, 1200 bytes
    event = f"data: {data}\n\n".encode()
    assert len(f"data: {data}") < 1000 < len(event)
    with pytest.raises(StreamDecodeError, match="1000-byte bound"):
        SSEDecoder(max_event_size=1000).feed(event)


@pytest.mark.parametrize("piece", [1, 3, 7, 64, 4096])
def test_refused_in_pieces_too(piece: int) -> None:
    event = f"data: {EMOJI * 300}\n\n".encode()
    decoder = SSEDecoder(max_event_size=1000)
    with pytest.raises(StreamDecodeError, match="1000-byte bound"):
        feed_all(decoder, [event[i : i + piece] for i in range(0, len(event), piece)])


@pytest.mark.parametrize("char", ["x", "é", "東", EMOJI])
@pytest.mark.parametrize("piece", [1, 5, 64, 100_000])
def test_an_event_of_exactly_the_bound_in_bytes_is_accepted_one_more_is_not(
    char: str, piece: int
) -> None:
    width = len(char.encode())
    data = char * (1200 // width)
    block = f"data: {data}".encode()
    body = block + b"\n\n"
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
    assert feed_all(SSEDecoder(max_event_size=len(block)), pieces) == [ServerSentEvent(data)]
    with pytest.raises(StreamDecodeError):
        feed_all(SSEDecoder(max_event_size=len(block) - 1), pieces)


def test_the_bound_is_per_event_and_counts_every_line() -> None:
    line = f"data: {'東' * 100}".encode()  # 306 bytes
    event = line + b"\n" + line + b"\n\n"  # 613 bytes
    decoder = SSEDecoder(max_event_size=613)
    assert len(feed_all(decoder, [event * 3])) == 3
    with pytest.raises(StreamDecodeError):
        SSEDecoder(max_event_size=612).feed(event)


def test_fast_paths_and_small_reads_of_multibyte_text_are_unchanged() -> None:
    decoder = SSEDecoder(max_event_size=64)
    body = "event: delta\ndata: 東京\n\ndata: García\n\n".encode()
    assert decoder.feed(body) == [ServerSentEvent("東京", "delta"), ServerSentEvent("García")]


widths = st.sampled_from(["a", "é", "東", EMOJI])


@settings(max_examples=150, deadline=None)
@given(
    chars=st.lists(widths, min_size=1, max_size=60),
    slack=st.integers(-3, 3),
    cuts=st.lists(st.integers(0, 400), max_size=6),
    crlf=st.booleans(),
    lines=st.integers(1, 3),
)
def test_any_split_accepts_exactly_the_events_within_the_bound(
    chars: list[str], slack: int, cuts: list[int], crlf: bool, lines: int
) -> None:
    data = "".join(chars)
    block = "\n".join([f"data: {data}"] * lines)
    size = len(block.encode())  # the event's bytes, line ends normalised to LF
    bound = max(size + slack, 1)
    body = (block + "\n\n").encode()
    if crlf:
        body = body.replace(b"\n", b"\r\n")
    body += b"data:n\n\n"  # a small event after it is delivered too
    decoder = SSEDecoder(max_event_size=bound)
    if size <= bound:
        expected = [ServerSentEvent("\n".join([data] * lines)), ServerSentEvent("n")]
        assert feed_all(decoder, split(body, cuts)) == expected
    else:
        with pytest.raises(StreamDecodeError):
            feed_all(decoder, split(body, cuts))


def test_an_over_size_event_fails_early_and_holds_about_the_bound() -> None:
    """Feeding 4x the bound of 4-byte characters in 64 KiB reads: refused at the first read
    past the bound, while holding at most the bound plus what decoding one read takes."""
    bound = 1 << 20
    read = 64 * 1024
    body = b"data: " + EMOJI.encode() * bound  # 4 MiB of bytes, 1 Mi characters
    pieces = [body[i : i + read] for i in range(0, len(body), read)]
    decoder = SSEDecoder(max_event_size=bound)
    fed = 0
    tracemalloc.start()
    try:
        with pytest.raises(StreamDecodeError, match="byte bound"):
            for piece in pieces:
                fed += 1
                decoder.feed(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fed == bound // read + 1  # the first read past the bound is refused
    # The bound, plus CPython's UTF-8 decoder working on one read of 4-byte characters (it
    # writes into 4 bytes a byte, then shrinks): ~1.38 MiB here; a bound in characters
    # accepted all 4 MiB and peaked at 4.3 MiB.
    assert peak < bound + 8 * read


# -- NDJSON -------------------------------------------------------------------------------------


def lines_of(decoder: NDJSONDecoder, pieces: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for piece in pieces:
        out += decoder.feed(piece)
    return out + decoder.end()


@pytest.mark.parametrize("char", ["x", "é", "東", EMOJI])
@pytest.mark.parametrize("piece", [1, 5, 100_000])
@pytest.mark.parametrize("end", [b"\n", b"\r\n", b""])
def test_an_ndjson_line_of_exactly_the_bound_in_bytes_is_accepted_one_more_is_not(
    char: str, piece: int, end: bytes
) -> None:
    line = ('{"t":"' + char * (1200 // len(char.encode())) + '"}').encode()
    # the line first, or last without a newline (returned by end())
    body, expected = (
        (line + end + b'{"n":1}\n', [line, b'{"n":1}'])
        if end
        else (b'{"n":1}\n' + line, [b'{"n":1}', line])
    )
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)]
    assert lines_of(NDJSONDecoder(max_line_size=len(line)), pieces) == expected
    with pytest.raises(StreamDecodeError, match=f"{len(line) - 1}-byte bound"):
        lines_of(NDJSONDecoder(max_line_size=len(line) - 1), pieces)


def test_an_ndjson_line_is_refused_at_the_first_byte_over_unless_it_is_a_cr() -> None:
    decoder = NDJSONDecoder(max_line_size=10)
    assert decoder.feed(b"0123456789") == []
    with pytest.raises(StreamDecodeError):
        decoder.feed(b"a")
    decoder = NDJSONDecoder(max_line_size=10)
    assert decoder.feed(b"0123456789") == []
    assert decoder.feed(b"\r") == []  # the CR of a CRLF, or of a body's last line
    assert decoder.end() == [b"0123456789"]


def test_an_over_size_ndjson_line_fails_early_and_holds_about_the_bound() -> None:
    bound = 1 << 20
    read = 64 * 1024
    body = b'{"t":"' + EMOJI.encode() * bound
    pieces = [body[i : i + read] for i in range(0, len(body), read)]
    decoder = NDJSONDecoder(max_line_size=bound)
    fed = 0
    tracemalloc.start()
    try:
        with pytest.raises(StreamDecodeError, match="byte bound"):
            for piece in pieces:
                fed += 1
                decoder.feed(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fed == bound // read + 1
    assert peak < bound + 4 * read
