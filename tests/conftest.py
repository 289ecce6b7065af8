from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.replay import ReplayServer


@pytest.fixture(scope="session")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Variables the clients read besides the registry's key and URL variables.
OTHER_VARIABLES = (
    "CO_API_KEY",
    "GOOGLE_API_KEY",
    "OLLAMA_HOST",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
)


@pytest.fixture(autouse=True)
def _no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a real key or URL from the developer's environment."""
    from streamcall.registry import PROVIDERS

    for entry in PROVIDERS.values():
        for name in (entry.key_variable, entry.base_url_variable):
            if name:
                monkeypatch.delenv(name, raising=False)
    for name in OTHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
