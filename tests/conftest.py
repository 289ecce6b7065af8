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


@pytest.fixture(autouse=True)
def _clients_closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every sync client a test makes is closed when the test ends. A client freed by reference
    counting closes its pooled sockets itself (tests/test_client_lifetime.py); one caught in a
    reference cycle (an exception's traceback holds the frames that hold it) is finalized by the
    cyclic GC in a later test, in no set order with its sockets, and an unclosed-socket warning
    would fail whatever test happened to be running then."""
    import functools
    import weakref

    from streamcall.clients._base import BaseClient

    made: weakref.WeakSet[BaseClient] = weakref.WeakSet()
    init = BaseClient.__init__

    @functools.wraps(init)
    def remembering(self: BaseClient, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.add(self)

    monkeypatch.setattr(BaseClient, "__init__", remembering)
    yield
    for client in list(made):
        client.close()
