"""A provider-neutral *answer* and hypothesis strategies that generate them.

An :class:`Answer` is what a model said, independent of any wire format: text pieces, thinking
pieces (with a signature where the provider has one), tool calls with ids and JSON arguments,
usage, a neutral finish reason, and optionally an error after ``k`` events. Each provider's
writer (``tests/conformance/writers/``) turns an answer into the exact body that provider's
server sends; the properties check that streamcall recovers the answer from any re-chunking.

Tool calls use the fixed catalogue :data:`TOOLS` (so the call layer has real tool classes to
validate against); generated arguments always fit the tool's schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from hypothesis import strategies as st

FinishReason = Literal["stop", "length", "tool_calls"]


# -- the tool catalogue ---------------------------------------------------------------------


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city."""
    return f"21 degrees {unit} in {city}"


def list_files() -> str:
    """List the files in the working folder (no arguments)."""
    return "a.txt b.txt"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book reference."""
    return f"{title} ({author}, {year})"


def tag_items(items: list[str], weight: float, note: str | None = None) -> str:
    """Tag a list of items with a weight."""
    return f"{len(items)} items at {weight}"


TOOLS = (get_weather, list_files, format_book, tag_items)
TOOL_NAMES = tuple(fn.__name__ for fn in TOOLS)


@dataclass(frozen=True)
class ToolCall:
    """One tool call: ``arguments`` always validate against the catalogue tool ``name``."""

    id: str
    name: str
    arguments: dict[str, Any]

    def arguments_json(self, *, spaced: bool = False) -> str:
        """The arguments as the JSON text a provider streams (non-ASCII kept as is)."""
        separators = (", ", ": ") if spaced else (",", ":")
        return json.dumps(self.arguments, ensure_ascii=False, separators=separators)


@dataclass(frozen=True)
class Usage:
    """Token counts in OpenAI's sense: ``input`` includes ``cached``, ``output`` includes
    ``reasoning``. A writer converts to its provider's rule (Anthropic's input excludes cached,
    Gemini's output excludes thoughts, Cohere bills ...)."""

    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Answer:
    """What a model said, neutrally. ``text``/``thinking`` are the pieces as they stream."""

    text: tuple[str, ...] = ()
    thinking: tuple[str, ...] = ()
    signature: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage | None = None
    finish: FinishReason = "stop"
    error_after: int | None = None
    """If set, the stream carries an in-stream error after this many content events (text,
    thinking and tool pieces, in stream order) and has no normal end."""
    id: str = "resp_0001"
    model: str = "test-model-1"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def full_text(self) -> str:
        return "".join(self.text)

    @property
    def full_thinking(self) -> str:
        return "".join(self.thinking)


# -- strategies ------------------------------------------------------------------------------

# Text that exercises JSON escaping and UTF-8: quotes, backslashes, newlines, CR, tabs,
# non-ASCII (accents, CJK, emoji: 4-byte UTF-8), and "data:"-like text inside the payload.
_ALPHABET = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),  # no lone surrogates
)
_TRICKY = st.sampled_from(
    ["\n", "\r\n", "\r", '"', "\\", "data: x", "\n\n", "[DONE]", "é", "日本", "🙂", "\t", "\u2028"]
)
piece = st.one_of(st.text(_ALPHABET, min_size=1, max_size=12), _TRICKY)
pieces = st.lists(piece, min_size=0, max_size=8).map(tuple)

_word = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=16)


def _arguments_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    if name == "get_weather":
        return st.fixed_dictionaries(
            {"city": _word}, optional={"unit": st.sampled_from(["celsius", "fahrenheit"])}
        )
    if name == "list_files":
        return st.just({})
    if name == "format_book":
        return st.fixed_dictionaries(
            {"title": _word, "author": _word, "year": st.integers(-3000, 3000)}
        )
    return st.fixed_dictionaries(
        {
            "items": st.lists(_word, max_size=4),
            "weight": st.floats(allow_nan=False, allow_infinity=False, width=32).map(
                lambda x: round(x, 3)
            ),
        },
        optional={"note": st.one_of(st.none(), _word)},
    )


@st.composite
def tool_call(draw: st.DrawFn, index: int) -> ToolCall:
    name = draw(st.sampled_from(TOOL_NAMES))
    suffix = draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=6, max_size=12))
    return ToolCall(f"call_{index}_{suffix}", name, draw(_arguments_for(name)))


usages = st.builds(
    lambda i, o, c, r: Usage(i + c, o + r, c, r),
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, 2000),
    st.integers(0, 2000),
)


@st.composite
def answers(
    draw: st.DrawFn,
    *,
    thinking: bool = True,
    signature: bool = False,
    tools: bool = True,
    max_tools: int = 3,
    usage: bool = True,
    cached: bool = True,
    reasoning_tokens: bool = True,
    errors: bool = False,
) -> Answer:
    """Any answer a provider with these capabilities can give.

    ``thinking``: thinking pieces may stream; ``signature``: the thinking carries a signature;
    ``usage``: usage may be reported (else never); ``cached`` / ``reasoning_tokens``: whether
    the provider reports those counts (else they are 0); ``errors``: an error after k events may
    end the stream.
    """
    text = draw(pieces)
    think = draw(pieces) if thinking else ()
    sig = (
        draw(st.text("abcdefABCDEF0123456789+/=", min_size=8, max_size=40))
        if (signature and think)
        else None
    )
    n_tools = draw(st.integers(0, max_tools)) if tools else 0
    calls = tuple(draw(tool_call(i)) for i in range(n_tools))
    if len({c.id for c in calls}) != len(calls):
        calls = tuple(ToolCall(f"{c.id}_{i}", c.name, c.arguments) for i, c in enumerate(calls))
    use = draw(st.one_of(st.none(), usages)) if usage else None
    if use is not None:
        use = Usage(
            use.input_tokens if cached else use.input_tokens - use.cached_tokens,
            use.output_tokens if reasoning_tokens else use.output_tokens - use.reasoning_tokens,
            use.cached_tokens if cached else 0,
            use.reasoning_tokens if reasoning_tokens else 0,
        )
    finish: FinishReason = "tool_calls" if calls else draw(st.sampled_from(["stop", "length"]))
    events = len(text) + len(think) + len(calls)
    error_after = draw(st.one_of(st.none(), st.integers(0, events))) if errors else None
    return Answer(
        text=text,
        thinking=think,
        signature=sig,
        tool_calls=calls,
        usage=use,
        finish=finish,
        error_after=error_after,
        id=draw(st.sampled_from(["resp_0001", "chatcmpl-abc123", "msg_01XyZ"])),
        model=draw(st.sampled_from(["test-model-1", "model-2025-01-01"])),
    )
