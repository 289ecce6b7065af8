"""The sans-IO SSE and NDJSON decoders: the WHATWG rules, bounds, and split-invariance."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamcall.errors import StreamDecodeError
from streamcall.wire import NDJSONDecoder, ServerSentEvent, SSEDecoder
from tests.wire_fixtures import WireFixture, all_fixtures


def sse(body: bytes, pieces: list[int] | None = None) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in split(body, pieces):
        events += decoder.feed(piece)
    return events + decoder.end()


def ndjson(body: bytes, pieces: list[int] | None = None) -> list[bytes]:
    decoder = NDJSONDecoder()
    lines: list[bytes] = []
    for piece in split(body, pieces):
        lines += decoder.feed(piece)
    return lines + decoder.end()


def split(body: bytes, cuts: list[int] | None) -> list[bytes]:
    if not cuts:
        return [body]
    points = sorted({c % (len(body) + 1) for c in cuts})
    out, last = [], 0
    for p in [*points, len(body)]:
        out.append(body[last:p])
        last = p
    return out


def frames(fixture: WireFixture, cuts: list[int] | None = None) -> list[object]:
    if fixture.is_ndjson:
        return list(ndjson(fixture.body, cuts))
    return list(sse(fixture.body, cuts))


# -- SSE: the spec, rule by rule --------------------------------------------------------------


def test_basic_event_and_default_type() -> None:
    assert sse(b"data: hello\n\n") == [ServerSentEvent("hello", "message", "", None)]


@pytest.mark.parametrize("eol", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(eol: bytes) -> None:
    body = b"event: e" + eol + b"data: a" + eol + b"data: b" + eol + eol
    assert sse(body) == [ServerSentEvent("a\nb", "e")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\n") == []  # the LF pairs with the CR: no blank line yet
    assert decoder.feed(b"\r\n") == [ServerSentEvent("x")]


def test_cr_then_cr_is_two_line_ends() -> None:
    assert sse(b"data: x\r\r") == [ServerSentEvent("x")]


def test_bom_is_stripped_once_even_when_split() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n") == [
        ServerSentEvent("a")
    ]  # a BOM later in the stream starts an unknown field name: ignored


def test_comments_are_ignored() -> None:
    assert sse(b": keep-alive\n\n: x\ndata: y\n\n") == [ServerSentEvent("y")]


def test_field_without_colon_and_without_space() -> None:
    assert sse(b"data\n\ndata:x\n\n") == [ServerSentEvent(""), ServerSentEvent("x")]


def test_only_one_leading_space_is_removed() -> None:
    assert sse(b"data:  two\n\n") == [ServerSentEvent(" two")]


def test_id_persists_and_nul_id_is_ignored() -> None:
    events = sse(b"id: 7\ndata: a\n\ndata: b\n\nid: x\x00y\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == ["7", "7", "7", ""]


def test_retry_only_ascii_digits() -> None:
    events = sse(b"retry: 1500\ndata: a\n\nretry: 1.5\ndata: b\n\nretry:\ndata: c\n\n")
    assert [e.retry for e in events] == [1500, None, None]


def test_blank_line_without_data_dispatches_nothing_and_resets_type() -> None:
    assert sse(b"event: ping\n\ndata: x\n\n") == [ServerSentEvent("x", "message")]


def test_incomplete_event_at_eof_is_dropped() -> None:
    assert sse(b"data: a\n\ndata: partial\n") == [ServerSentEvent("a")]
    assert sse(b"data: a\n\ndata: partial") == [ServerSentEvent("a")]


def test_unknown_fields_are_ignored() -> None:
    assert sse(b"foo: bar\ndata: x\n\n") == [ServerSentEvent("x")]


def test_utf8_split_inside_a_character() -> None:
    body = "data: García Márquez — 東京\n\n".encode()
    for cut in range(1, len(body)):
        assert sse(body, [cut]) == [ServerSentEvent("García Márquez — 東京")]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert sse(b"data: \xff\n\n") == [ServerSentEvent("\ufffd")]


def test_event_json() -> None:
    assert ServerSentEvent('{"a": [1]}').json() == {"a": [1]}


# -- bounds -----------------------------------------------------------------------------------


def test_oversized_line_raises_even_when_it_arrives_in_pieces() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    decoder.feed(b"data: " + b"x" * 600)
    with pytest.raises(StreamDecodeError, match="1000-byte bound"):
        decoder.feed(b"x" * 600)


def test_oversized_event_of_many_lines_raises() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    with pytest.raises(StreamDecodeError):
        decoder.feed(b"data: " + b"x" * 100 + b"\n" * 1 + (b"data: " + b"y" * 100 + b"\n") * 20)


def test_memory_is_released_after_each_event() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    for _ in range(100):  # 100 events of 900 bytes each: fine, the bound is per event
        assert len(decoder.feed(b"data: " + b"z" * 900 + b"\n\n")) == 1


def test_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SSEDecoder(max_event_size=0)
    with pytest.raises(ValueError, match="positive"):
        NDJSONDecoder(max_line_size=0)


# -- NDJSON -----------------------------------------------------------------------------------


def test_ndjson_lines_crlf_blank_and_final_line_without_newline() -> None:
    assert ndjson(b'{"a":1}\r\n\n  \n{"b":2}\n{"c":3}') == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_ndjson_oversized_line() -> None:
    decoder = NDJSONDecoder(max_line_size=10)
    with pytest.raises(StreamDecodeError):
        decoder.feed(b"x" * 11)
    decoder = NDJSONDecoder(max_line_size=10)
    with pytest.raises(StreamDecodeError):
        decoder.feed(b"x" * 11 + b"\n")


# -- every fixture: counts and split-invariance -----------------------------------------------

FIXTURES = all_fixtures()


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_fixture_frame_count_matches_expected(fixture: WireFixture) -> None:
    found = frames(fixture)
    if fixture.is_ndjson:
        assert len(found) == fixture.expected["lines"]
        for line in found:
            json.loads(line)
    else:
        assert len(found) == fixture.expected["data_events"]
        for event in found:
            assert event.data == "[DONE]" or json.loads(event.data) is not None


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_fixture_every_single_cut_gives_the_same_frames(fixture: WireFixture) -> None:
    whole = frames(fixture)
    step = max(1, len(fixture.body) // 400)
    for cut in range(0, len(fixture.body) + 1, step):
        assert frames(fixture, [cut]) == whole


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=60))
def test_fixture_any_split_gives_the_same_frames(fixture: WireFixture, cuts: list[int]) -> None:
    assert frames(fixture, cuts) == frames(fixture)


@pytest.mark.parametrize("fixture", [f for f in FIXTURES if not f.is_ndjson], ids=lambda f: f.name)
@settings(max_examples=30, deadline=None)
@given(
    eol=st.sampled_from([b"\n", b"\r", b"\r\n"]),
    bom=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=30),
)
def test_fixture_line_endings_and_bom_do_not_change_events(
    fixture: WireFixture, eol: bytes, bom: bool, cuts: list[int]
) -> None:
    normalized = fixture.body.replace(b"\r\n", b"\n")
    body = (b"\xef\xbb\xbf" if bom else b"") + normalized.replace(b"\n", eol)
    assert sse(body, cuts) == sse(fixture.body)


@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.text(
                alphabet=st.characters(exclude_characters="\r\n\x00", exclude_categories=("Cs",)),
                max_size=20,
            ),
            st.text(
                alphabet=st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)),
                max_size=40,
            ),
        ),
        max_size=10,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=1 << 12), max_size=20),
)
def test_generated_streams_round_trip(events: list[tuple[str, str]], cuts: list[int]) -> None:
    body = "".join(
        (f"event: {kind}\n" if kind.strip() else "") + f"data: {data}\n\n" for kind, data in events
    ).encode()
    got = sse(body, cuts)
    assert [(e.event, e.data) for e in got] == [
        (kind if kind.strip() else "message", data) for kind, data in events
    ]
