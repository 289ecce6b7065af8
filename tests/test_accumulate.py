"""The shared stream mechanisms: usage merge, tool-call assembly, partial JSON, prices."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcall.core.base._accumulate import (
    ToolCallAssembler,
    ToolCallPart,
    Usage,
    UsageReport,
    merge_usage,
    parse_partial_json,
)
from streamcall.core.base.cost import CostMetadata, calculate_cost, price_for


def test_cumulative_usage_replaces_and_is_never_double_counted() -> None:
    usage = merge_usage(None, UsageReport(input_tokens=10, output_tokens=1))
    usage = merge_usage(usage, UsageReport(output_tokens=5))
    usage = merge_usage(usage, UsageReport(output_tokens=9, cached_tokens=4))
    assert usage == Usage(input_tokens=10, cached_tokens=4, output_tokens=9)


def test_incremental_usage_adds() -> None:
    usage = merge_usage(None, UsageReport(output_tokens=2, cumulative=False))
    usage = merge_usage(usage, UsageReport(output_tokens=3, cumulative=False))
    assert usage.output_tokens == 5


def parts_of(calls: list[tuple[int, str, str, str]], size: int) -> list[ToolCallPart]:
    """OpenAI-style fragments: id and name on the first, then the arguments in pieces."""
    out = []
    for index, call_id, name, args in calls:
        out.append(ToolCallPart(index, call_id, name, ""))
        out.extend(
            ToolCallPart(index, None, None, args[i : i + size]) for i in range(0, len(args), size)
        )
    return out


@given(size=st.integers(min_value=1, max_value=12))
def test_parallel_calls_never_splice(size: int) -> None:
    calls = [(0, "a", "get_weather", '{"city": "Lisbon"}'), (1, "b", "get_time", '{"tz": "UTC"}')]
    assembler = ToolCallAssembler()
    done = []
    for part in parts_of(calls, size):
        done += assembler.add(part)
    done += assembler.finish()
    assert [(c.id, c.name, c.arguments) for c in done] == [
        ("a", "get_weather", {"city": "Lisbon"}),
        ("b", "get_time", {"tz": "UTC"}),
    ]


def test_interleaved_calls_with_explicit_ends_stay_apart() -> None:
    assembler = ToolCallAssembler(sequential=False)
    parts = [
        ToolCallPart(0, "a", "f", '{"x":'),
        ToolCallPart(1, "b", "g", '{"y":'),
        ToolCallPart(0, None, None, " 1}"),
        ToolCallPart(1, None, None, " 2}"),
        ToolCallPart(1, None, None, None, complete=True),
        ToolCallPart(0, None, None, None, complete=True),
    ]
    done = [call for part in parts for call in assembler.add(part)]
    assert [(c.id, c.arguments) for c in done] == [("b", {"y": 2}), ("a", {"x": 1})]


def test_zero_argument_and_whole_calls() -> None:
    assembler = ToolCallAssembler()
    done = assembler.add(ToolCallPart(None, "z", "refresh", "", complete=True))
    done += assembler.add(ToolCallPart(None, "w", "now", {"tz": "UTC"}, complete=True))
    assert [(c.name, c.arguments, c.arguments_json) for c in done] == [
        ("refresh", {}, ""),
        ("now", {"tz": "UTC"}, '{"tz":"UTC"}'),
    ]


def test_broken_arguments_keep_the_call_and_say_why() -> None:
    """The call layer raises ToolArgumentsError for it after the stream (test_tool_calls)."""
    assembler = ToolCallAssembler()
    assembler.add(ToolCallPart(0, "a", "f", '{"x": '))
    [call] = assembler.finish()
    assert (call.id, call.arguments, call.arguments_json) == ("a", {}, '{"x": ')
    assert call.error is not None
    assert "not valid JSON" in call.error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1, "b": "he', {"a": 1, "b": "he"}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": 1,', {"a": 1}),
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": "x\\', {"a": "x"}),
        ("", None),
        ('{"a', {}),
        ("tr", None),
    ],
)
def test_partial_json(text: str, expected: object) -> None:
    assert parse_partial_json(text) == expected


def test_every_prefix_of_a_json_object_parses_to_a_prefix_of_it() -> None:
    full = '{"title": "Cien años", "tags": ["a", "b"], "n": 12, "ok": true}'
    for end in range(len(full) + 1):
        value = parse_partial_json(full[:end])
        assert value is None or isinstance(value, dict)


def test_prices_map_dated_ids_to_families_and_unknown_to_none() -> None:
    assert price_for("mistral", "mistral-small-2506") is not None
    # An alias the table lists is priced as the model it names today (Small 4), not its family.
    assert price_for("mistral", "mistral-small-latest")[0] == "mistral-small-latest"  # type: ignore[index]
    assert price_for("cohere", "command-r-plus-08-2024")[0] == "command-r-plus"  # type: ignore[index]
    assert price_for("mistral", "no-such-model") is None
    assert (
        calculate_cost(CostMetadata("mistral", "no-such-model", input_tokens=1, output_tokens=1))
        is None
    )
    assert calculate_cost(CostMetadata("mistral", "mistral-small", input_tokens=None)) is None
    cost = calculate_cost(
        CostMetadata("mistral", "mistral-small", input_tokens=1_000_000, output_tokens=0)
    )
    assert cost == pytest.approx(0.1)
