"""Every recorded wire fixture through the call layer of every registry provider that speaks it.

One module for all providers: the cases come from ``streamcall.registry.PROVIDERS``, so a
provider added to the registry alone (an OpenAI-compatible one, say) is tested here with no
other change. Each provider runs every fixture of its wire format (:data:`WIRE_FIXTURES`; a
compatible provider uses its wire's fixtures), re-chunked (whole, one byte at a time, random
sizes from a seed), sync and async, through ``registry.call_decorator(name)`` with a client
made by ``entry.make_client`` and pointed at the replay server (``tests.conformance.harness``).

What is checked, from the fixture's ``.expected.json``:

- the stream: text (``chunk.content`` summed and ``stream.content``), thinking (also summed
  over chunks), the tools yielded and ``stream.tool_calls`` (ids, names, arguments, and the
  exact argument JSON where the wire carries a string), the raw and the common finish reasons,
  the token counts and ``common_usage``, the cost (its value from the list price, or none: no
  usage, or a model with no price for this provider), the response id and model, the error a
  stream ends with (typed, with the server's message, everything before it kept), the
  timings and the cost metadata;
- that ``stream.construct_call_response()`` says the same: content, thinking, tools, finish
  reasons, token counts, cost, and the same ``message_param``, which carries the text and the
  tool call ids (where the provider's messages have ids), as do ``tool_message_params``;
- what is particular to a wire (:data:`SYNTHESIZED_IDS`, :data:`PINNED_PRICES`,
  :func:`_wire_extras`).

The non-streamed form of the same answer is not compared: no fixture records one yet.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from streamcall.core.base.cost import ModelPrice, PriceTier, calculate_cost
from streamcall.errors import StreamError
from streamcall.registry import PROVIDERS as REGISTRY
from streamcall.registry import ProviderEntry
from tests.conformance.harness import (
    PROVIDERS,
    Expected,
    Provider,
    Recovered,
    check,
    run_call,
)
from tests.replay import Chunking, ReplayServer, Reply
from tests.wire_fixtures import WireFixture, fixtures

WIRE_FIXTURES: dict[str, tuple[str, ...]] = {
    "openai-chat": ("openai_chat.", "openai_compat."),
    "anthropic": ("anthropic.",),
    "mistral": ("mistral.",),
    "gemini": ("gemini.",),
    "cohere": ("cohere_v2.",),
    "ollama": ("ollama_chat.",),
    "openai-responses": ("openai_responses.",),
}
"""The fixture name prefixes of each wire format."""

WITHOUT_FIXTURES: dict[str, str] = {
    "azure": "no Azure-shaped recording (tests/conformance/test_azure.py writes Azure's shape)",
    "local": "no HTTP: the model runs in process",
}
"""The wire formats with no fixture of their own, and why."""

SYNTHESIZED_IDS: dict[str, str] = {"gemini": "call_"}
"""Wires whose tool calls carry no id: streamcall makes one up, with this prefix."""

IDS_NOT_IN_MESSAGES = frozenset({"gemini", "ollama"})
"""Wires whose messages name the tools but carry no call ids."""

STRING_ARGUMENTS_EXCEPT = frozenset({"gemini", "ollama"})
"""Wires whose tool arguments are JSON objects (no exact argument text to compare)."""

UNPRICED_WIRES = frozenset({"ollama"})
"""Wires whose models have no price (served locally): never a cost."""

PINNED_PRICES: dict[str, dict[str, ModelPrice]] = {
    "anthropic": {
        "claude-sonnet-4-5": ModelPrice(
            3.0, 15.0, 0.3, 3.75, tiers=(PriceTier(200_000, 6.0, 22.5, 0.6, 7.5),)
        )
    },
    "cohere": {"command-r-plus": ModelPrice(2.5, 10.0)},
    "gemini": {"gemini-2.5-flash": ModelPrice(0.3, 2.5, 0.03)},
    "mistral": {"mistral-small": ModelPrice(0.15, 0.6, 0.015)},  # -latest: Mistral Small 4
}
"""USD per million tokens the fixtures' models are billed at by the wire's own provider
(genai-prices, else ``prices.json``: both list these alike), by model family. Other models of a
provider of its own: whatever the price table says, but a price there must be; a compatible
provider: its entry's own ``prices`` only."""

_DATE_SUFFIX = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest)$")


def _family(model: str) -> str:
    return _DATE_SUFFIX.sub("", model)


def _cases() -> list[Any]:
    cases = []
    for name, entry in REGISTRY.items():
        for prefix in WIRE_FIXTURES.get(entry.wire, ()):
            for fixture in fixtures(prefix):
                cases.append(pytest.param(name, fixture, id=f"{name}-{fixture.name}"))
    return cases


CASES = _cases()
CHUNKINGS = [Chunking.whole(), Chunking.fixed(1), Chunking.random(seed=7, max_size=23)]


def test_every_wire_is_covered_or_says_why() -> None:
    """A new wire format needs fixtures (or a reason here); every prefix names fixtures."""
    for name, entry in REGISTRY.items():
        assert entry.wire in WIRE_FIXTURES or entry.wire in WITHOUT_FIXTURES, (name, entry.wire)
    for prefixes in WIRE_FIXTURES.values():
        for prefix in prefixes:
            assert fixtures(prefix), prefix


# -- what the fixture says ----------------------------------------------------------------------


def _tokens(wire: str, usage: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    """``(input, output, cached)`` as the stream must report them."""
    if usage is None:
        return None, None, None
    if wire == "cohere":  # billed units are the counts (as Mirascope v1 reports them)
        input_tokens, output_tokens = usage["billed_input_tokens"], usage["billed_output_tokens"]
    else:
        input_tokens, output_tokens = usage["input_tokens"], usage["output_tokens"]
    return input_tokens, output_tokens, usage["cached_tokens"] or 0  # no figure: 0


def _price(provider: Provider, model: str, recovered: Recovered) -> ModelPrice | None:
    """The price the cost must be computed from (see :data:`PINNED_PRICES`)."""
    entry: ProviderEntry = provider.entry
    family = _family(model)
    if entry.compatible is not None:
        return entry.prices.get(model) or entry.prices.get(family)
    if entry.wire in UNPRICED_WIRES:
        return None
    pinned = PINNED_PRICES.get(entry.wire, {}).get(family)
    metadata = recovered.stream.cost_metadata
    calculate_cost(metadata)  # fills in the price the stream's cost was computed from
    used = metadata.price
    if pinned is not None:
        assert used == pinned, (model, used, pinned)
        return pinned
    assert used is not None, f"{provider.key} has no price for {model}"
    price: ModelPrice = used
    return price


def _cost(wire: str, usage: dict[str, Any], price: ModelPrice) -> float:
    """USD for the fixture's usage at ``price``, by the wire's own counting rule."""
    if wire == "cohere":  # billed units are what is charged
        billed = usage["raw"]["billed_units"]
        return (billed["input_tokens"] * price.input + billed["output_tokens"] * price.output) / 1e6
    cached = usage["cached_tokens"] or 0
    cached_rate = price.input if price.cached_input is None else price.cached_input
    if wire == "anthropic":  # input_tokens excludes cache reads and writes
        written = usage["cache_creation_input_tokens"]
        write_rate = price.input if price.cache_write is None else price.cache_write
        total = usage["input_tokens"] * price.input + written * write_rate
    else:
        total = (usage["input_tokens"] - cached) * price.input
    total += cached * cached_rate
    output = usage["output_tokens"]
    if wire == "gemini":  # thinking is billed as output, and not counted in it
        output += usage["reasoning_tokens"]
    return (total + output * price.output) / 1e6


def _expected(provider: Provider, fixture: WireFixture, recovered: Recovered) -> Expected:
    """The harness's :class:`Expected` for a fixture (ids the wire lacks: the made-up ones)."""
    e, wire = fixture.expected, provider.wire
    calls = [(c["id"], c["name"], c["arguments"]) for c in e["tool_calls"]]
    prefix = SYNTHESIZED_IDS.get(wire)
    if prefix is not None:
        got_ids = [i for i, _, _ in recovered.yielded_tools]
        assert len(got_ids) == len(calls), recovered.yielded_tools
        assert all(i and i.startswith(prefix) for i in got_ids), got_ids
        assert len(set(got_ids)) == len(got_ids), got_ids
        calls = [(i, n, a) for i, (_, n, a) in zip(got_ids, calls, strict=True)]
    usage = e["usage"]
    input_tokens, output_tokens, cached_tokens = _tokens(wire, usage)
    cost: Any = None
    model = e["model"] or provider.model
    if usage is not None and output_tokens is not None:
        price = _price(provider, model, recovered)
        if price is not None:
            cost = _cost(wire, usage, price)
    return Expected(
        text=e["text"],
        thinking=e["reasoning_text"] or "",
        tool_calls=tuple(calls),
        finish_reasons=None if e["finish_reason"] is None else [e["finish_reason"]],
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached_tokens,
        reasoning_tokens=(usage or {}).get("reasoning_tokens", ...),
        error=None if e["error"] is None else StreamError,
        error_match=None if e["error"] is None else e["error"]["message"],
        ids_in_messages=wire not in IDS_NOT_IN_MESSAGES,
        cost=cost,
    )


# -- the test -----------------------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("chunking", CHUNKINGS, ids=["whole", "1-byte", "random"])
@pytest.mark.parametrize(("provider", "fixture"), CASES)
def test_fixture_through_the_call_layer(
    server: ReplayServer,
    provider: str,
    fixture: WireFixture,
    chunking: Chunking,
    asynchronous: bool,
) -> None:
    p = PROVIDERS[provider]
    r = run_call(server, provider, fixture.body, chunking, asynchronous=asynchronous)
    e = fixture.expected
    want = _expected(p, fixture, r)
    check(r, want)  # stream and response: text, thinking, tools, finish, tokens, cost, messages
    _same_response(r, want)
    _stream_facts(p, r, e, want)
    _wire_extras(p, r, e)


def _same_response(r: Recovered, want: Expected) -> None:
    """What the harness's check does not compare: the response's counts and message."""
    stream, response = r.stream, r.response
    counts = (response.input_tokens, response.output_tokens, response.cached_tokens)
    assert counts == (r.input_tokens, r.output_tokens, r.cached_tokens), counts
    assert response.message_param == stream.message_param
    assert response.finish_reasons == stream.finish_reasons
    assert response.common_finish_reasons == stream.common_finish_reasons
    if want.text:
        assert want.text in "".join(_strings(stream.message_param)), stream.message_param
    for _, name, _ in want.tool_calls:
        assert name in repr(stream.message_param), (name, stream.message_param)


def _strings(value: Any) -> list[str]:
    """Every string in ``message_param`` (some providers' messages are pydantic models)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def _stream_facts(p: Provider, r: Recovered, e: dict[str, Any], want: Expected) -> None:
    stream = r.stream
    spec = p.spec
    assert type(stream) is spec.stream_type, type(stream)
    assert type(r.response) is spec.response_type, type(r.response)
    assert r.chunk_types <= {spec.stream_type._chunk_type}, r.chunk_types
    # The neutral finish reason: stop, tool_calls, or an error.
    if e["finish_reason"] is None:
        assert r.common_finish_reasons is None, r.common_finish_reasons
    elif e["error"] is not None:
        assert r.common_finish_reasons == ["error"], r.common_finish_reasons
    else:
        neutral = ["tool_calls"] if e["tool_calls"] else ["stop"]
        assert r.common_finish_reasons == neutral, r.common_finish_reasons
    assert r.id == e["response_id"], (r.id, e["response_id"])
    assert r.model == (e["model"] or p.model), (r.model, e["model"])
    # The arguments as the wire wrote them.
    assert [json.loads(text) for text in r.tool_calls_json] == [
        c["arguments"] for c in e["tool_calls"]
    ]
    if p.wire not in STRING_ARGUMENTS_EXCEPT:
        assert r.tool_calls_json == [c["arguments_json"] for c in e["tool_calls"]]
    # Without usage, no count is made up (never 0, never a crash).
    if e["usage"] is None:
        assert (r.input_tokens, r.output_tokens, r.cost) == (None, None, None)
    else:
        assert stream.cost_metadata.input_tokens == want.input_tokens
    if want.cost is not None:
        assert r.cost is not None
        assert r.cost > 0
        assert math.isclose(r.cost, want.cost, rel_tol=1e-9), (r.cost, want.cost)
    assert stream.start_time > 0
    assert stream.end_time >= stream.start_time


def _wire_extras(p: Provider, r: Recovered, e: dict[str, Any]) -> None:
    """What only one wire format carries."""
    stream, response = r.stream, r.response
    if p.wire == "cohere":
        # Billed units are the counts; what the model processed is kept alongside.
        usage = e["usage"]
        common = stream.common_usage
        assert (common.processed_input_tokens, common.processed_output_tokens) == (
            usage["input_tokens"],
            usage["output_tokens"],
        )
        if e["tool_calls"]:
            assert stream.tool_plan == e["tool_plan"]
            assert response.tool_plan == stream.tool_plan
        if e.get("citations"):
            assert [c.text for c in stream.citations] == [c["text"] for c in e["citations"]]


# -- the next turn ------------------------------------------------------------------------------

OK_CASES = [c for c in CASES if c.values[1].expected["error"] is None]


@pytest.mark.parametrize(("provider", "fixture"), OK_CASES)
def test_message_param_goes_back_in_the_next_request(
    server: ReplayServer, provider: str, fixture: WireFixture
) -> None:
    """``message_param`` and ``tool_message_params`` are sent back as the next turn: the next
    request carries the answer's text, its tool calls (ids where the messages have them) and
    the tools' outputs (the answer served again is of no interest)."""
    p = PROVIDERS[provider]
    reply = Reply(body=fixture.body, content_type=p.content_type)
    url = server.route(reply, reply)
    client = p.make_client(url)

    @p.decorator(p.model, stream=True, tools=p.tools, client=client)
    def chat(history: list[Any]) -> list[Any]:
        return [{"role": "user", "content": "Use the tools."}, *history]

    try:
        first = chat([])
        tools = [tool for _, tool in first if tool is not None]
        param = first.message_param
        outputs = [(tool, f"output {i}") for i, tool in enumerate(tools)]
        history = [*(param if isinstance(param, list) else [param])]
        second = chat([*history, *first.tool_message_params(outputs)])
        for _ in second:
            pass
    finally:
        client.close()
    sent = server.requests(url)[1].json()
    strings = "\n".join(_strings(sent))
    e = fixture.expected
    if e["text"]:
        assert e["text"] in strings, sent
    for i, tool in enumerate(tools):
        assert tool._name() in strings, sent
        assert f"output {i}" in strings, sent
        if p.wire not in IDS_NOT_IN_MESSAGES:
            assert tool.tool_call_id in strings, sent
