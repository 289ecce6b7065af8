"""Cost in USD from maintained prices (USD per million tokens).

A model's price comes from, in order: its registry entry's ``prices`` (OpenAI-compatible
services), pydantic's ``genai-prices`` database where it is installed and lists the model
(price history and long-context tiers, see ``_prices_db``), and the bundled ``prices.json``.
Unknown models cost ``None`` (never a silent 0); in ``prices.json`` dated or ``-latest`` ids map
to their family (``mistral-large-2411`` -> ``mistral-large``, ``command-r-plus-08-2024`` ->
``command-r-plus``) when the exact id is not listed.

A tier (Anthropic's and Gemini's long context) prices every token of a call whose input, cached
and cache-write tokens included, is over its start, as the providers bill it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from functools import cache
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from streamcall.core.base._accumulate import Usage

__all__ = [
    "CostMetadata",
    "ModelPrice",
    "PriceTier",
    "calculate_cost",
    "price_for",
    "price_table_version",
]

_SUFFIX = re.compile(r"-(latest|\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-\d{4}|\d{4})$")


@dataclass(slots=True, frozen=True)
class PriceTier:
    """The prices of every token of a call whose input is over ``start`` tokens."""

    start: int
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None


@dataclass(slots=True, frozen=True)
class ModelPrice:
    """USD per million tokens; ``cached_input`` is ``None`` where the provider gives no discount;
    ``tiers`` (ascending) replace these prices for calls with long inputs."""

    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    tiers: tuple[PriceTier, ...] = ()

    def at(self, input_tokens: int) -> ModelPrice:
        """The prices that apply to a call with ``input_tokens`` of input (all of it: cached
        and cache-write tokens included)."""
        applied: ModelPrice | PriceTier = self
        for tier in self.tiers:
            if input_tokens > tier.start:
                applied = tier
        if applied is self:
            return self
        return ModelPrice(applied.input, applied.output, applied.cached_input, applied.cache_write)


@dataclass(slots=True)
class CostMetadata:
    """What a cost is computed from: the model, its price entry, and the token counts.

    ``provider`` and ``model`` may be left out when they are given to :func:`calculate_cost`
    (``calculate_cost("mistral", "mistral-small", CostMetadata(input_tokens=...))``, as in
    Mirascope v1). Once a cost is computed, ``price_model`` is the id the price is listed
    under, ``price`` the prices applied (a long-context tier's where one applies) and
    ``table_version`` where they come from: ``"genai-prices <version>"`` or the date of the
    bundled table.
    """

    provider: str = ""
    model: str | None = None
    price_model: str | None = None
    input_tokens: int | None = None
    cached_tokens: int | None = None
    output_tokens: int | None = None
    price: ModelPrice | None = None
    table_version: str | None = None
    billed_input_tokens: int | None = None
    billed_output_tokens: int | None = None
    cache_write_tokens: int | None = None
    input_includes_cached: bool = True
    reasoning_tokens: int | None = None
    output_includes_reasoning: bool = True

    @classmethod
    def of(cls, provider: str, model: str | None, usage: Usage | None) -> CostMetadata:
        """Cost metadata for a model and its usage (each count this class and the usage
        both have, under its name)."""
        if usage is None:
            return cls(provider, model)
        counts = {name: getattr(usage, name) for name in _counted_fields()}
        return cls(provider, model, **counts)


@cache
def _counted_fields() -> tuple[str, ...]:
    from streamcall.core.base._accumulate import Usage

    counted = {f.name for f in fields(Usage)}
    return tuple(f.name for f in fields(CostMetadata) if f.name in counted)


@cache
def _table() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("streamcall.core.base").joinpath("prices.json").read_text("utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


def price_table_version() -> str:
    """The version (date) of the bundled price table."""
    return str(_table()["version"])


def fallback_providers(provider: str) -> tuple[str, ...]:
    """The providers whose prices also apply to ``provider``'s models (``prices.json``'s
    ``fallbacks``: DeepSeek's models through the OpenAI client, OpenAI's through Azure)."""
    return tuple(_table().get("fallbacks", {}).get(provider.lower(), ()))


def price_for(provider: str, model: str | None) -> tuple[str, ModelPrice] | None:
    """The price entry for ``model``: the registry's, else ``genai-prices``' (where installed),
    else the bundled table's (exact id, else its family); ``None`` if unknown."""
    found = _price_and_source(provider, model)
    return None if found is None else found[:2]


def _price_and_source(provider: str, model: str | None) -> tuple[str, ModelPrice, str] | None:
    if not model:
        return None
    key = provider.lower()
    from streamcall.registry import PROVIDERS

    registered = PROVIDERS.get(key)
    if registered is not None and registered.prices:
        for name in _families(model):
            if name in registered.prices:
                return name, registered.prices[name], price_table_version()
    bundled = _bundled(key, model)
    if bundled is not None and bundled[1].get("over_database"):
        return bundled[0], _from_entry(bundled[1]), str(_table()["version"])
    from streamcall.core.base import _prices_db

    found = _prices_db.lookup(key, model)
    if found is not None:
        return *found, _prices_db.database_version() or ""
    if bundled is not None:
        return bundled[0], _from_entry(bundled[1]), str(_table()["version"])
    return None


def _bundled(provider: str, model: str) -> tuple[str, dict[str, Any]] | None:
    """The bundled table's entry for ``model`` (its own provider's, then the fallbacks'). An
    entry marked ``over_database`` is preferred to the price database: where the database is
    known to be out of date (DeepSeek: its V3.2 prices since 2025-09, where genai-prices 0.2.3
    still has V3's time-of-day prices)."""
    table = _table()
    for source in (provider, *fallback_providers(provider)):
        models: dict[str, dict[str, Any]] = table["providers"].get(source, {})
        for name in _families(model):
            entry = models.get(name)
            if entry is not None:
                return name, entry
    return None


def _from_entry(entry: dict[str, Any]) -> ModelPrice:
    rates = (entry["input"], entry["output"], entry.get("cached_input"), entry.get("cache_write"))
    tiers = tuple(
        PriceTier(
            tier["start"],
            tier["input"],
            tier["output"],
            tier.get("cached_input"),
            tier.get("cache_write"),
        )
        for tier in entry.get("tiers", ())
    )
    return ModelPrice(*rates, tiers=tiers)


def _families(model: str) -> list[str]:
    """``model``, then the ids without its date or ``-latest`` suffixes, longest first."""
    names = [model]
    while (shorter := _SUFFIX.sub("", names[-1])) != names[-1]:
        names.append(shorter)
    return names


@overload
def calculate_cost(metadata: CostMetadata, /) -> float | None: ...


@overload
def calculate_cost(
    provider: str, model: str, metadata: CostMetadata | None = None
) -> float | None: ...


def calculate_cost(
    provider: str | CostMetadata, model: str | None = None, metadata: CostMetadata | None = None
) -> float | None:
    """USD for the tokens in ``metadata``; ``None`` when the model or the counts are unknown.

    Call it with one ``CostMetadata`` that names its provider and model, or as Mirascope v1
    does: ``calculate_cost(provider, model, metadata)`` (the metadata's own provider and model
    are then replaced; no metadata means no tokens: ``None``).

    Billed counts, where the provider reports them, are what is charged; otherwise input
    tokens (cached ones at the cached rate) and output tokens.
    """
    if isinstance(provider, CostMetadata):
        metadata = provider
    else:
        metadata = metadata or CostMetadata()
        metadata.provider, metadata.model = provider, model
    found = _price_and_source(metadata.provider, metadata.model)
    if found is None:
        return None
    metadata.price_model, listed, metadata.table_version = found
    metadata.price = price = listed.at(_all_input(metadata))
    # As Mirascope v1 computes it, so that the same counts give the same float: each count
    # times its price per token, summed input, cached, (cache writes,) output.
    per_token = _per_token
    if metadata.billed_input_tokens is not None and metadata.billed_output_tokens is not None:
        billed = metadata.billed_input_tokens * per_token(price.input)
        return billed + metadata.billed_output_tokens * per_token(price.output)
    if metadata.input_tokens is None or metadata.output_tokens is None:
        return None
    cached = metadata.cached_tokens or 0
    cached_rate = price.input if price.cached_input is None else price.cached_input
    if metadata.input_includes_cached:
        uncached = max(metadata.input_tokens - cached, 0)
    else:  # Anthropic: input_tokens excludes cache reads and writes
        uncached = metadata.input_tokens
    written = metadata.cache_write_tokens or 0
    write_rate = price.input if price.cache_write is None else price.cache_write
    total = uncached * per_token(price.input) + cached * per_token(cached_rate)
    if written:
        total += written * per_token(write_rate)
    output = metadata.output_tokens
    if not metadata.output_includes_reasoning:  # Gemini bills thinking tokens as output
        output += metadata.reasoning_tokens or 0
    return total + output * per_token(price.output)


def _all_input(metadata: CostMetadata) -> int:
    """The input a tier is chosen by: every input token, cached and cache-write ones included."""
    if metadata.billed_input_tokens is not None:
        return metadata.billed_input_tokens
    counted = metadata.input_tokens or 0
    if not metadata.input_includes_cached:
        counted += (metadata.cached_tokens or 0) + (metadata.cache_write_tokens or 0)
    return counted


@cache
def _per_token(per_million: float) -> float:
    """USD per token, as its decimal literal reads (``0.1`` -> ``1e-07``, the float that
    ``0.000_000_1`` is; ``0.1 / 1e6`` rounds twice and is one bit off)."""
    return float(f"{per_million!r}e-6")
