"""Costs from genai-prices, and from the bundled prices.json when it is absent.

Expected values are computed by hand from the providers' published prices (USD per million
tokens): Claude Sonnet 4.5 $3 / $15 (cache read $0.30), over 200K input tokens $6 / $22.50
(cache read $0.60); gpt-4.1-mini $0.40 / $1.60 (cached $0.10); mistral-large $2 / $6;
gemini-2.5-flash $0.30 / $2.50.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from streamcall.core.base import _prices_db
from streamcall.core.base.cost import CostMetadata, calculate_cost

COMMON_MODELS = [
    ("openai", "gpt-5.1"),
    ("openai", "gpt-5"),
    ("openai", "gpt-5-mini"),
    ("openai", "gpt-4.1"),
    ("openai", "gpt-4.1-mini"),
    ("openai", "gpt-4o-mini"),
    ("openai", "o3-mini"),
    ("openai", "o4-mini"),
    ("anthropic", "claude-opus-4-5-20251101"),
    ("anthropic", "claude-sonnet-4-5-20250929"),
    ("anthropic", "claude-haiku-4-5-20251001"),
    ("mistral", "mistral-large-latest"),
    ("mistral", "mistral-medium-latest"),
    ("mistral", "mistral-small-latest"),
    ("mistral", "codestral-latest"),
    ("gemini", "gemini-3-pro-preview"),
    ("gemini", "gemini-2.5-pro"),
    ("gemini", "gemini-2.5-flash"),
    ("cohere", "command-a-03-2025"),
    ("cohere", "command-a-reasoning-08-2025"),
    ("cohere", "command-r7b-12-2024"),
    ("openai", "deepseek-chat"),
    ("openai", "deepseek-reasoner"),
]


@pytest.fixture(params=["genai-prices", "prices.json"])
def source(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs with genai-prices installed and as if it were not."""
    if request.param == "prices.json":
        monkeypatch.setitem(sys.modules, "genai_prices", None)
    _prices_db._snapshot.cache_clear()
    _prices_db._model.cache_clear()
    yield str(request.param)
    _prices_db._snapshot.cache_clear()
    _prices_db._model.cache_clear()


def cost(provider: str, model: str, **counts: int | bool) -> float | None:
    return calculate_cost(provider, model, CostMetadata(**counts))  # type: ignore[arg-type]


def test_long_context_tier_prices_every_token(source: str) -> None:
    model = "claude-sonnet-4-5-20250929"
    under = cost("anthropic", model, input_tokens=100_000, output_tokens=1_000)
    assert under == pytest.approx(100_000 * 3e-6 + 1_000 * 15e-6)  # 0.315
    at = cost("anthropic", model, input_tokens=200_000, output_tokens=0)
    assert at == pytest.approx(0.6)
    over = cost("anthropic", model, input_tokens=300_000, output_tokens=1_000)
    assert over == pytest.approx(300_000 * 6e-6 + 1_000 * 22.5e-6)  # 1.8225


def test_anthropic_cache_reads_count_toward_the_tier(source: str) -> None:
    # input_tokens excludes cache reads: 150K + 60K read from the cache is over 200K
    metadata = CostMetadata(
        input_tokens=150_000, cached_tokens=60_000, output_tokens=0, input_includes_cached=False
    )
    assert calculate_cost("anthropic", "claude-sonnet-4-5", metadata) == pytest.approx(
        150_000 * 6e-6 + 60_000 * 0.6e-6  # 0.936
    )
    assert metadata.price is not None
    assert metadata.price.input == 6.0
    small = CostMetadata(
        input_tokens=1_000, cached_tokens=4_000, output_tokens=100, input_includes_cached=False
    )
    assert calculate_cost("anthropic", "claude-sonnet-4-5", small) == pytest.approx(
        1_000 * 3e-6 + 4_000 * 0.3e-6 + 100 * 15e-6  # 0.0057
    )


def test_openai_prompt_tokens_include_the_cached_ones(source: str) -> None:
    value = cost("openai", "gpt-4.1-mini", input_tokens=1_000, cached_tokens=500, output_tokens=200)
    assert value == pytest.approx(500 * 0.4e-6 + 500 * 0.1e-6 + 200 * 1.6e-6)  # 0.00057


def test_mistral_large_latest(source: str) -> None:
    value = cost("mistral", "mistral-large-latest", input_tokens=1_000, output_tokens=1_000)
    assert value == pytest.approx(1_000 * 2e-6 + 1_000 * 6e-6)  # 0.008


def test_gemini_thinking_tokens_are_billed_as_output(source: str) -> None:
    value = cost(
        "gemini",
        "gemini-2.5-flash",
        input_tokens=1_000,
        output_tokens=100,
        reasoning_tokens=50,
        output_includes_reasoning=False,
    )
    assert value == pytest.approx(1_000 * 0.3e-6 + 150 * 2.5e-6)  # 0.000675


def test_a_latest_alias_is_priced_as_the_model_it_names_then() -> None:
    _prices_db._model.cache_clear()
    before = _prices_db.lookup("mistral", "mistral-small-latest", datetime(2026, 1, 1, tzinfo=UTC))
    after = _prices_db.lookup("mistral", "mistral-small-latest", datetime(2026, 4, 1, tzinfo=UTC))
    assert before is not None
    assert after is not None
    assert (before[1].input, before[1].output) == (0.1, 0.3)  # Mistral Small 3.2
    assert (after[1].input, after[1].output) == (0.15, 0.6)  # Small 4, from 2026-03-16
    now = cost("mistral", "mistral-small-latest", input_tokens=1_000, output_tokens=1_000)
    assert now == pytest.approx(1_000 * 0.15e-6 + 1_000 * 0.6e-6)


@pytest.mark.parametrize(("provider", "model"), COMMON_MODELS, ids=[m for _, m in COMMON_MODELS])
def test_common_models_have_a_cost(source: str, provider: str, model: str) -> None:
    metadata = CostMetadata(input_tokens=1_000, output_tokens=1_000)
    value = calculate_cost(provider, model, metadata)
    assert value is not None, (source, provider, model)
    assert value > 0
    if source == "prices.json":  # with genai-prices, the table still prices what it lacks
        assert metadata.table_version is not None
        assert metadata.table_version.startswith("2026-")


def test_unpriced_providers_and_models_stay_none(source: str) -> None:
    assert cost("ollama", "llama3.2", input_tokens=10, output_tokens=10) is None
    assert cost("mistral", "mystery-model-9", input_tokens=10, output_tokens=10) is None
    assert cost("anthropic", "claude-sonnet-4-5") is None  # no counts


def test_a_provider_module_does_not_import_the_price_database() -> None:
    code = (
        "import sys, streamcall.core.anthropic, streamcall.core.mistral, streamcall.llm\n"
        "print('genai_prices' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_an_entry_over_the_database_wins_at_any_hour() -> None:
    """DeepSeek's flat V3.2 prices (the bundled table) over the database's time-of-day ones."""
    from streamcall.core.base.cost import price_for

    for model in ("deepseek-chat", "deepseek-reasoner"):
        found = price_for("deepseek", model)
        assert found is not None
        _, price = found
        assert (price.input, price.output, price.cached_input) == (0.28, 0.42, 0.028)


def test_warm_up_loads_the_price_database() -> None:
    """A service's first cost should not pay the database's load (~0.1-0.2 s)."""
    import subprocess
    import sys

    code = (
        "import streamcall, sys; from streamcall.core.base import _prices_db; "
        "streamcall.warm_up(); print(_prices_db._snapshot.cache_info().currsize, "
        "'genai_prices' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["1", "True"], out
