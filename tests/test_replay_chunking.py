"""The replay server's per-event framing (what the benchmark's headline serves): each write,
and so each HTTP chunk, holds exactly one event, and nothing is lost or reordered."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.replay import Chunking

text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\n"), min_size=1)
events = st.lists(text, max_size=20)


@given(events, st.booleans())
def test_each_write_is_one_sse_event(texts: list[str], unterminated_tail: bool) -> None:
    body = "".join(f"data: {t}\n\n" for t in texts).encode()
    if unterminated_tail:
        body += b"data: tail"
    pieces = Chunking.events().split(body)
    assert b"".join(pieces) == body
    whole = pieces[:-1] if unterminated_tail else pieces
    assert len(whole) == len(texts)
    for piece, text in zip(whole, texts, strict=True):
        assert piece == f"data: {text}\n\n".encode()


def test_ndjson_lines() -> None:
    assert Chunking.events(b"\n").split(b'{"a":1}\n{"b":2}\n') == [b'{"a":1}\n', b'{"b":2}\n']
    assert Chunking.events().split(b"") == []
