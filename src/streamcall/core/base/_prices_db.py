"""Prices from pydantic's ``genai-prices`` database: per-model history and long-context tiers.

Imported only when a cost is asked for (the database is a 1.6 MB module, ~150 ms to import):
importing a provider module never loads it. Without ``genai-prices`` installed, or for a model
it does not list, :func:`lookup` returns ``None`` and the bundled ``prices.json`` decides.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamcall.core.base.cost import ModelPrice

__all__ = ["database_version", "lookup"]

# streamcall's provider names -> genai-prices provider ids (names not listed are looked up as
# they are); Ollama and the in-process model have no list price.
_PROVIDER_IDS = {"gemini": "google", "openai-responses": "openai", "ollama": "", "local": ""}
_CONVERTED: dict[int, tuple[Any, ModelPrice | None]] = {}


def lookup(provider: str, model: str, at: datetime | None = None) -> tuple[str, ModelPrice] | None:
    """The database's id and current price (with its tiers) for ``model`` at ``provider``
    (or at the providers ``prices.json`` lists as its fallbacks), or ``None``.

    The price is the one in force ``at`` (default: now): a ``-latest`` alias is priced as the
    model it names then, and a time-of-day price (DeepSeek's) as at that minute."""
    found = _model(provider.lower(), model)
    if found is None:
        return None
    name, info = found
    listed = info.get_prices(at or datetime.now(tz=UTC))
    # The database's price objects live as long as the process: each is converted once.
    key = id(listed)
    if key not in _CONVERTED:
        _CONVERTED[key] = listed, _convert(listed)
    price = _CONVERTED[key][1]
    return None if price is None else (name, price)


@cache
def database_version() -> str | None:
    """``genai-prices <version>``, or ``None`` when it is not installed."""
    snapshot = _snapshot()
    if snapshot is None:
        return None
    from importlib.metadata import version

    return f"genai-prices {version('genai-prices')}"


@cache
def _snapshot() -> Any:
    try:
        from genai_prices import data_snapshot
    except ImportError:
        return None
    return data_snapshot.get_snapshot()


@cache
def _model(provider: str, model: str) -> tuple[str, Any] | None:
    snapshot = _snapshot()
    if snapshot is None:
        return None
    from streamcall.core.base.cost import fallback_providers

    for source in (provider, *fallback_providers(provider)):
        provider_id = _PROVIDER_IDS.get(source, source)
        if not provider_id:
            return None
        try:
            _, info = snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
        return str(info.id), info
    return None


def _convert(prices: Any) -> ModelPrice | None:
    """The database's token prices as a :class:`ModelPrice` (tiers included); ``None`` for a
    model not priced by input and output tokens (images, audio, per request)."""
    from streamcall.core.base.cost import ModelPrice, PriceTier

    rates = {
        name: getattr(prices, key, None)
        for name, key in (
            ("input", "input_mtok"),
            ("output", "output_mtok"),
            ("cached_input", "cache_read_mtok"),
            ("cache_write", "cache_write_mtok"),
        )
    }
    if rates["input"] is None or rates["output"] is None:
        return None
    tiered = [rate.tiers for rate in rates.values() if rate is not None and hasattr(rate, "tiers")]
    starts = sorted({tier.start for tiers in tiered for tier in tiers})
    tiers = tuple(
        PriceTier(start, **{name: _rate(rate, start) for name, rate in rates.items()})  # type: ignore[arg-type]
        for start in starts
    )
    base = {name: _rate(rate, 0) for name, rate in rates.items()}
    return ModelPrice(**base, tiers=tiers)  # type: ignore[arg-type]


def _rate(rate: Any, input_tokens: int) -> float | None:
    """USD per million tokens at ``input_tokens`` of input, as its decimal literal reads."""
    if rate is None:
        return None
    if isinstance(rate, Decimal):
        return float(rate)
    value: Decimal = rate.base
    for tier in rate.tiers:
        if input_tokens >= tier.start:
            value = tier.price
    return float(value)
