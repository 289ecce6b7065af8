"""Partial JSON: streamed tool arguments and response models read as far as they arrived.

``parse_partial_json`` reads a prefix as pydantic-core's ``from_json(...,
allow_partial="trailing-strings")`` does; ``PartialJSON`` reads the same value from pieces fed one
at a time, each piece once, so a streamed object costs linear time, not quadratic.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic_core import from_json

from streamcall.clients.openai import OpenAI
from streamcall.core.base._accumulate import PartialJSON, parse_partial_json
from streamcall.core.openai import openai_call
from tests.replay import ReplayServer, Reply, sse_body

# --- every prefix of any JSON value --------------------------------------------------------

_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), include_characters='"\\/\n\t\x00\x1f\u2028é😀'),
    max_size=12,
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXT, inner, max_size=5),
    max_leaves=30,
)


@st.composite
def _serialized(draw: st.DrawFn) -> tuple[Any, str, list[int]]:
    value = draw(st.dictionaries(_TEXT, _VALUES, max_size=6) | st.lists(_VALUES, max_size=6))
    indent = draw(st.sampled_from([None, 0, 2]))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()), indent=indent)
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=12))) | {len(text)})
    return value, text, cuts


def _consistent(partial: Any, final: Any) -> bool:
    """``partial`` can be the value of a prefix of ``final``'s JSON: every finished member is
    the final one; only the last, still open, may be shorter (a string or container read so
    far) or a number cut mid-way."""
    if isinstance(final, dict):
        if not isinstance(partial, dict):
            return False
        keys = list(partial)
        if keys != list(final)[: len(keys)]:
            return False
        finished = all(partial[k] == final[k] for k in keys[:-1])
        return finished and (not keys or _consistent(partial[keys[-1]], final[keys[-1]]))
    if isinstance(final, list):
        if not isinstance(partial, list) or len(partial) > len(final):
            return False
        finished = partial[:-1] == final[: max(len(partial) - 1, 0)]
        return finished and (not partial or _consistent(partial[-1], final[len(partial) - 1]))
    if isinstance(final, str):
        return isinstance(partial, str) and final.startswith(partial)
    if isinstance(final, bool) or final is None:
        return partial is final
    return isinstance(partial, int | float) and not isinstance(partial, bool)


@settings(max_examples=300, deadline=None)
@given(_serialized())
def test_every_prefix_reads_as_pydantic_core_and_is_consistent(
    case: tuple[Any, str, list[int]],
) -> None:
    value, text, cuts = case
    reader = PartialJSON()
    previous = 0
    for cut in cuts:
        reader.feed(text[previous:cut])
        previous = cut
        prefix = text[:cut]
        ours = parse_partial_json(prefix)  # never raises
        assert reader.value == ours, prefix
        assert ours is None or _consistent(ours, value), (prefix, ours)
    assert parse_partial_json(text) == value
    assert reader.value == value
    assert reader.valid


@settings(max_examples=100, deadline=None)
@given(_serialized(), st.integers(1, 9))
def test_a_prefix_read_a_character_at_a_time_is_read_at_once(
    case: tuple[Any, str, list[int]], size: int
) -> None:
    value, text, _cuts = case
    reader = PartialJSON()
    for start in range(0, len(text), size):
        reader.feed(text[start : start + size])
        assert reader.value == parse_partial_json(text[: start + size])
    assert reader.value == value


# --- partial inputs against pydantic-core -------------------------------------------------

# (prefix, value): what a streamed prefix reads as; the closing-brackets parser this replaced
# gave None for the ones marked.
PARTIALS: list[tuple[str, Any]] = [
    ('{"a": 1, "b": "hel', {"a": 1, "b": "hel"}),  # an unfinished string is kept
    ("[1, 2, 3", [1, 2, 3]),
    ('{"a": {"b": [1, 2', {"a": {"b": [1, 2]}}),
    ('{"a": tr', {}),  # was None; half a literal is left out
    ('{"a": nu', {}),  # was None
    ('{"a": 1.5e', {}),  # was None; a number that cannot be read yet is left out
    ('{"a": -', {}),  # was None
    ('{"year": 19', {"year": 19}),  # a number cut mid-way is the number so far
    ('{"a": "x\\u00', {"a": "x"}),  # was None; half an escape is left out
    ('{"a": "\\ud83d', {"a": ""}),  # was None; half a surrogate pair is left out
    ('{"a": 1, "b', {"a": 1}),  # an unfinished key is left out
    ('{"a', {}),  # was None
    ('{"a": [1, {"b": "c"', {"a": [1, {"b": "c"}]}),
    ('{"a": "x\\', {"a": "x"}),
    ('{"a":', {}),  # was None
    ('{"a": {', {"a": {}}),
    ('[{"a": 1}, {"b', [{"a": 1}, {}]),
    ('"top lev', "top lev"),
    ("12", 12),
    ('{"a": 1} and some prose', {"a": 1}),  # was None; text after the value is ignored
]


@pytest.mark.parametrize(("prefix", "expected"), PARTIALS)
def test_partial_inputs_read_as_pydantic_core(prefix: str, expected: Any) -> None:
    reference = from_json(prefix, allow_partial="trailing-strings")
    assert reference == expected
    assert parse_partial_json(prefix) == expected
    for size in (1, 3):
        reader = PartialJSON()
        for start in range(0, len(prefix), size):
            reader.feed(prefix[start : start + size])
        assert reader.value == expected
    try:  # where pydantic-core gives a value without trailing strings, we give one too
        from_json(prefix, allow_partial=True)
    except ValueError:
        return
    assert parse_partial_json(prefix) is not None


@pytest.mark.parametrize("text", ["", "   ", "tr", "1.", "-", "}", "x"])
def test_nothing_readable_yet_is_none(text: str) -> None:
    assert parse_partial_json(text) is None
    reader = PartialJSON()
    reader.feed(text)
    assert reader.value is None


@pytest.mark.parametrize(
    ("text", "before"),
    [
        ('{"a": 1, "b" 2}', [{"a": 1}]),
        ("[1,]", [[1]]),
        ('{"a": 1,}', [{"a": 1}]),
        ('{"a": "x\ny"}', [{}, {"a": ""}, {"a": "x"}]),  # a raw control character in a string
        ("[01]", [[]]),
        ('{"a": 1]', [{"a": 1}]),
        ('{"a": "\\x"}', [{}, {"a": ""}]),
    ],
)
def test_text_that_is_not_json_never_raises(text: str, before: list[Any]) -> None:
    """The one-shot read is None where pydantic-core raises; the streamed read keeps the value
    before the error (the partial a stream last showed: how far a string had been read depends
    on the pieces) and says it is not valid."""
    for size in (1, 4, len(text)):
        reader = PartialJSON()
        for start in range(0, len(text), size):
            reader.feed(text[start : start + size])
        assert reader.value in before
        assert not reader.valid
    try:
        expected = from_json(text, allow_partial="trailing-strings")
    except ValueError:
        expected = None
    assert parse_partial_json(text) == expected


def test_a_read_value_is_not_changed_by_later_pieces() -> None:
    reader = PartialJSON()
    reader.feed('{"a": [1, {"b": "x')
    first = reader.value
    reader.feed('y"}, 2], "c": "z"}')
    assert first == {"a": [1, {"b": "x"}]}
    assert reader.value == {"a": [1, {"b": "xy"}, 2], "c": "z"}


# --- linear time ----------------------------------------------------------------------------


def _list_arguments(size: int) -> str:
    items = [
        {"name": f"item {i} café", "n": i, "ok": i % 2 == 0, "x": i * 1.5} for i in range(size)
    ]
    return json.dumps({"items": items}, ensure_ascii=False)[:size]


def _string_arguments(size: int) -> str:
    content = 'def f(x):\n    return "café \\u00e9" + x\n' * (size // 30)
    return json.dumps({"path": "a.py", "content": content}, ensure_ascii=False)[:size]


def _read_in_pieces(text: str, piece: int = 8, read: bool = True) -> float:
    """Seconds to feed ``text`` in pieces, the value read after each unless ``read`` is false
    (best of five)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        reader = PartialJSON()
        for start in range(0, len(text), piece):
            reader.feed(text[start : start + piece])
            if read:
                reader.value  # noqa: B018
        best = min(best, time.perf_counter() - started)
    assert reader.value == from_json(text, allow_partial="trailing-strings")
    return best


@pytest.mark.parametrize("arguments", [_list_arguments, _string_arguments])
def test_reading_a_streamed_argument_is_linear(arguments: Any) -> None:
    """49 KB in 8-character pieces (about 6,000 pieces): reading the whole prefix again at each
    piece took 6-8 s here with the closing-brackets parser this replaced, 0.8-2 s with
    pydantic-core; read once, 0.02-0.07 s. Reading every piece is linear; reading the value
    after each piece copies the open objects, arrays and string (as any reader must build
    them), which is fast but not linear, so only its total is bounded."""
    once, twice = _read_in_pieces(arguments(49_000)), _read_in_pieces(arguments(98_000))
    assert once < 1.5
    assert twice < 1.5 * 4
    once = _read_in_pieces(arguments(49_000), read=False)
    twice = _read_in_pieces(arguments(98_000), read=False)
    assert twice < 3 * once, (once, twice)  # quadratic would be 4x


class Edit(BaseModel):
    path: str
    content: str


def _edit_stream(arguments: str, piece: int = 8) -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps({"id": "r", "model": "m", "choices": [choice]})

    first = {"index": 0, "id": "call_1", "type": "function"}
    first["function"] = {"name": "Edit", "arguments": ""}
    return sse_body(
        [chunk({"role": "assistant", "tool_calls": [first]})]
        + [
            chunk(
                {"tool_calls": [{"index": 0, "function": {"arguments": arguments[i : i + piece]}}]}
            )
            for i in range(0, len(arguments), piece)
        ]
        + [chunk({}, "tool_calls")]
    )


def test_streamed_response_model_partials_are_linear(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 49 KB response-model argument in 8-character pieces through the stream: a partial per
    piece, the argument read once (0.9 s here before, reading it all again for every partial,
    and 4.8 s for 98 KB; 0.27 s now, 0.9 s for 98 KB). The partial JSON read in the stream is
    linear; what stays per partial is building it (its string so far, the model's validation).
    """
    reading = [0.0]
    feed = PartialJSON.feed

    def timed_feed(self: PartialJSON, piece: str) -> None:
        started = time.perf_counter()
        feed(self, piece)
        reading[0] += time.perf_counter() - started

    monkeypatch.setattr(PartialJSON, "feed", timed_feed)

    def partials(size: int) -> tuple[float, float]:
        content = 'def f(x):\n    return "café \\u00e9" + x\n' * (size // 30)
        arguments = json.dumps({"path": "a.py", "content": content[:size]}, ensure_ascii=False)
        body = _edit_stream(arguments)
        url = server.route(*[Reply(body=body)] * 4)
        client = OpenAI(api_key="k", base_url=url)

        @openai_call("m", stream=True, response_model=Edit, client=client)
        def edit() -> str:
            return "Edit a.py"

        list(edit())  # connect and warm up
        best = (float("inf"), float("inf"))
        for _ in range(3):
            reading[0] = 0.0
            started = time.perf_counter()
            stream = edit()
            count = 0
            for partial in stream:
                count += 1
                assert content.startswith(partial.content or "")
            best = min(best, (time.perf_counter() - started, reading[0]))
            assert count > size // 8
            assert stream.constructed_response_model.content == content[:size]
        return best

    (once, read_once), (_twice, read_twice) = partials(49_000), partials(98_000)
    assert once < 1.5
    assert read_twice < 3 * read_once, (read_once, read_twice)
