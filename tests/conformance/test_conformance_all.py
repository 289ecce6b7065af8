"""The conformance properties, for every registry provider whose wire format has a writer.

The providers come from ``streamcall.registry.PROVIDERS``: a provider added there alone (an
OpenAI-compatible one, say) gets ``test_<name>_conformance`` and ``test_<name>_errors`` here
with no other change, run with its wire's writer (:data:`WIRE_WRITERS`). A compatible
provider's answers report the models of its entry's own price list (and models it has no price
for, its base provider's among them: no cost), and it runs fewer examples
(:data:`COMPATIBLE_EXAMPLES`); the wire's own provider runs the counts of
:data:`NATIVE_EXAMPLES`. Explicit examples pinned for a wire (regressions found by these
properties) run for every provider of that wire (:data:`PINNED`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from hypothesis import example

from streamcall.registry import PROVIDERS as REGISTRY
from streamcall.registry import ProviderEntry
from tests.conformance.answer import Answer
from tests.conformance.harness import (
    NO_HTTP_WIRES,
    Expected,
    Writer,
    conformance_property,
    error_property,
)
from tests.conformance.test_azure import ASYNC_FILTER_ERROR, ASYNC_FILTER_TEXT
from tests.conformance.test_gemini import CALL_THEN_EMPTY_TEXT, THOUGHT_ONLY
from tests.conformance.test_openai_responses import FAILED_EMPTY
from tests.conformance.writers.anthropic import AnthropicWriter
from tests.conformance.writers.cohere import CohereWriter
from tests.conformance.writers.gemini import GeminiWriter
from tests.conformance.writers.mistral import MistralWriter
from tests.conformance.writers.ollama import OllamaWriter
from tests.conformance.writers.openai_chat import AZURE_VARIANTS, OPENAI_MODELS, OpenAIChatWriter
from tests.conformance.writers.openai_responses import OpenAIResponsesWriter
from tests.replay import Chunking

WIRE_WRITERS: dict[str, Callable[[], Writer]] = {
    "openai-chat": OpenAIChatWriter,
    "azure": lambda: OpenAIChatWriter("azure", ("official", *AZURE_VARIANTS)),
    "anthropic": AnthropicWriter,
    "mistral": MistralWriter,
    "gemini": GeminiWriter,
    "cohere": CohereWriter,
    "ollama": OllamaWriter,
    "openai-responses": OpenAIResponsesWriter,
}
"""The writer of each wire format, as its own provider's (``writer.provider`` is that name)."""

NATIVE_EXAMPLES: dict[str, tuple[int, int]] = {"azure": (150, 50)}
"""``(conformance, errors)`` example counts of a wire's own provider (default: 200, 100)."""

COMPATIBLE_EXAMPLES = (50, 25)
"""The same for a provider that speaks another's protocol (its wire's code is tested above)."""

PINNED: dict[str, tuple[list[tuple[Answer, str]], list[tuple[Answer, str]]]] = {
    "azure": (
        [(ASYNC_FILTER_TEXT, "azure_async_filter")],
        [(ASYNC_FILTER_ERROR, "azure_async_filter")],
    ),
    "gemini": ([(THOUGHT_ONLY, "single"), (CALL_THEN_EMPTY_TEXT, "trailer")], []),
    "openai-responses": ([], [(FAILED_EMPTY, "items")]),
}
"""``wire -> (conformance examples, error examples)``: ``(answer, variant)``, run whole and
synchronously before the generated ones (each case is explained where it is defined)."""


# -- a compatible provider's writer -------------------------------------------------------------


def _compatible_models(entry: ProviderEntry) -> dict[str, tuple[str, str] | None]:
    """The models a compatible provider's answers report: those of its own price list (priced
    from it), and the base provider's priced ones it does not list, which must cost nothing."""
    models: dict[str, tuple[str, str] | None] = {m: (entry.name, m) for m in entry.prices}
    for model, price in OPENAI_MODELS.items():
        if model not in models:
            priced = price is not None and price[1] in entry.prices
            models[model] = (entry.name, price[1]) if priced and price else None
    return models


@dataclasses.dataclass
class _Renamed:
    """A wire's writer for a compatible provider with no writer of its own: the bodies of the
    wire's own provider, served to this provider; the cost is not checked (prices differ)."""

    writer: Any
    provider: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)

    def expected(self, answer: Answer, variant: str) -> Expected:
        expected: Expected = self.writer.expected(answer, variant)
        return dataclasses.replace(expected, cost=...)


def writer_for(entry: ProviderEntry) -> Writer:
    """The writer a registry provider's conformance properties run with."""
    if entry.compatible is None:
        return WIRE_WRITERS[entry.wire]()
    if entry.wire == "openai-chat":
        return OpenAIChatWriter(entry.name, models=_compatible_models(entry))
    return _Renamed(WIRE_WRITERS[entry.wire](), entry.name)  # type: ignore[return-value]


# -- the tests, one pair per provider -----------------------------------------------------------


def _pinned(test: Callable[..., None], cases: list[tuple[Answer, str]]) -> Callable[..., None]:
    for answer, variant in cases:
        for replay in (True, False):
            test = example(
                case=(answer, variant), chunking=Chunking.whole(), asynchronous=False, replay=replay
            )(test)
    return test


def _tests() -> dict[str, Callable[..., None]]:
    out = {}
    for name, entry in REGISTRY.items():
        if entry.wire in NO_HTTP_WIRES or entry.wire not in WIRE_WRITERS:
            continue
        writer = writer_for(entry)
        if entry.compatible is None:
            n_ok, n_errors = NATIVE_EXAMPLES.get(entry.wire, (200, 100))
        else:
            n_ok, n_errors = COMPATIBLE_EXAMPLES
        pinned_ok, pinned_errors = PINNED.get(entry.wire, ([], []))
        key = name.replace("-", "_")
        ok = _pinned(conformance_property(writer, max_examples=n_ok), pinned_ok)
        ok.__name__ = f"test_{key}_conformance"
        out[ok.__name__] = ok
        if getattr(writer, "errors", True):
            errors = _pinned(error_property(writer, max_examples=n_errors), pinned_errors)
            errors.__name__ = f"test_{key}_errors"
            out[errors.__name__] = errors
    return out


globals().update(_tests())


def test_every_http_provider_has_a_writer() -> None:
    """A provider whose wire has no writer gets no property: none may go unnoticed."""
    missing = [
        name
        for name, entry in REGISTRY.items()
        if entry.wire not in NO_HTTP_WIRES and entry.wire not in WIRE_WRITERS
    ]
    assert missing == []
    for name, entry in REGISTRY.items():
        if entry.wire in WIRE_WRITERS:
            assert f"test_{name.replace('-', '_')}_conformance" in globals(), name


def test_a_compatible_provider_is_priced_by_its_own_entry() -> None:
    """An OpenAI-compatible entry's answers report its own priced models (priced from its
    entry) and OpenAI's (no price: never billed at another provider's list price); on another
    wire, the wire's writer serves it with the cost left unchecked."""
    from streamcall.core.base.cost import ModelPrice

    entry = dataclasses.replace(
        REGISTRY["openai"],
        name="example-compatible",
        spec=None,
        call=None,
        compatible="openai",
        prices={"example-model": ModelPrice(1.0, 2.0)},
    )
    writer = writer_for(entry)
    assert isinstance(writer, OpenAIChatWriter)
    assert writer.provider == "example-compatible"
    assert writer.models["example-model"] == ("example-compatible", "example-model")
    assert all(writer.models[m] is None for m in OPENAI_MODELS)
    other = dataclasses.replace(REGISTRY["anthropic"], name="example-claude", compatible="x")
    renamed = writer_for(other)
    assert renamed.provider == "example-claude"
    assert renamed.variants == AnthropicWriter().variants
    answer = Answer(text=("Hi",))
    variant = renamed.variants[0]
    assert renamed.expected(answer, variant).cost is ...
    assert renamed.write(answer, variant) == AnthropicWriter().write(answer, variant)
