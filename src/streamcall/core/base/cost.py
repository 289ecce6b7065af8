"""Cost in USD from a versioned price table (``prices.json``, USD per million tokens).

Unknown models cost ``None`` (never a silent 0); dated or ``-latest`` ids map to their family
(``mistral-large-2411`` -> ``mistral-large``, ``command-r-plus-08-2024`` -> ``command-r-plus``)
when the exact id is not listed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from functools import cache
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from streamcall.core.base._accumulate import Usage

__all__ = ["CostMetadata", "ModelPrice", "calculate_cost", "price_for", "price_table_version"]

_SUFFIX = re.compile(r"-(latest|\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-\d{4}|\d{4})$")


@dataclass(slots=True, frozen=True)
class ModelPrice:
    """USD per million tokens; ``cached_input`` is ``None`` where the provider gives no discount."""

    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None


@dataclass(slots=True)
class CostMetadata:
    """What a cost is computed from: the model, its price entry, and the token counts.

    ``provider`` and ``model`` may be left out when they are given to :func:`calculate_cost`
    (``calculate_cost("mistral", "mistral-small", CostMetadata(input_tokens=...))``, as in
    Mirascope v1).
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


def price_for(provider: str, model: str | None) -> tuple[str, ModelPrice] | None:
    """The price entry for ``model`` (exact id, else its family), or ``None`` if unknown."""
    if not model:
        return None
    key = provider.lower()
    from streamcall.registry import PROVIDERS

    registered = PROVIDERS.get(key)
    if registered is not None and registered.prices:
        for name in _families(model):
            if name in registered.prices:
                return name, registered.prices[name]
    table = _table()
    for source in (key, *table.get("fallbacks", {}).get(key, ())):
        models: dict[str, dict[str, float]] = table["providers"].get(source, {})
        for name in _families(model):
            entry = models.get(name)
            if entry is not None:
                price = ModelPrice(
                    entry["input"],
                    entry["output"],
                    entry.get("cached_input"),
                    entry.get("cache_write"),
                )
                return name, price
    return None


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
    found = price_for(metadata.provider, metadata.model)
    if found is None:
        return None
    metadata.price_model, metadata.price = found
    metadata.table_version = price_table_version()
    price = metadata.price
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


@cache
def _per_token(per_million: float) -> float:
    """USD per token, as its decimal literal reads (``0.1`` -> ``1e-07``, the float that
    ``0.000_000_1`` is; ``0.1 / 1e6`` rounds twice and is one bit off)."""
    return float(f"{per_million!r}e-6")
