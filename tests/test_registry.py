"""The provider registry says what the code does: paths import, variables match the clients,
capabilities match the specs, compatible providers keep their own name and prices."""

from __future__ import annotations

from typing import Any

import pytest

from streamcall import llm, registry
from streamcall.core.base._lazy import load
from streamcall.errors import MissingAPIKeyError
from streamcall.registry import PROVIDERS, ProviderEntry

ENTRIES = list(PROVIDERS.values())
IDS = [e.name for e in ENTRIES]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_every_path_imports(entry: ProviderEntry) -> None:
    assert isinstance(entry.client_class(), type)
    decorator = registry.call_decorator(entry.name)
    assert callable(decorator)
    if entry.compatible is None:
        assert entry.spec is not None
        assert entry.call is not None
        assert load(entry.call) is decorator
        assert load(entry.spec)().provider in (entry.name, entry.name.split("-")[0])
    else:
        assert entry.compatible in PROVIDERS
        assert entry.default_base_url
        assert entry.default_base_url.startswith("https://")


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.compatible is None and e.key_variable])
def test_variables_are_the_clients_own(entry: ProviderEntry) -> None:
    """The registry and the client read the same variables (the client works on its own)."""
    cls = entry.client_class()
    assert cls.env_api_key == entry.key_variable
    assert cls.env_base_url == entry.base_url_variable


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.spec is not None], ids=str)
def test_forced_tools_capability_matches_the_spec(entry: ProviderEntry) -> None:
    assert entry.spec is not None
    spec = load(entry.spec)()
    kwargs: dict[str, Any] = {"model": "m", "messages": [], "config": {}}
    before = {
        key: (dict(value) if isinstance(value, dict) else value) for key, value in kwargs.items()
    }
    spec.force_tool(kwargs, "get_weather")
    assert (kwargs != before) is entry.capabilities.forced_tools


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.compatible], ids=str)
def test_a_compatible_provider_needs_its_key(
    entry: ProviderEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(MissingAPIKeyError, match=str(entry.key_variable)):
        entry.make_client()
    assert entry.key_variable
    monkeypatch.setenv(entry.key_variable, "k")
    client = entry.make_client()
    assert client.base_url == entry.default_base_url
    assert client.api_key() == "k"
    client.close()


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.compatible], ids=str)
def test_a_compatible_provider_is_priced_from_its_own_table(entry: ProviderEntry) -> None:
    from streamcall.core.base.cost import price_for

    for model, price in entry.prices.items():
        assert price_for(entry.name, model) == (model, price)
    assert price_for(entry.name, "gpt-4.1-mini") is None  # never at OpenAI's prices


def test_unknown_provider_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="openrouter"):
        registry.entry("nope")
    with pytest.raises(ValueError, match="unknown provider 'nope'"):

        @llm.call(provider="nope", model="m")
        def f() -> str:
            return "hi"
