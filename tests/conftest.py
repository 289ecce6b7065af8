from __future__ import annotations

import gc
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


@pytest.fixture
def no_cyclic_gc() -> Iterator[None]:
    """Only reference counting frees objects during the test: what a reference cycle keeps
    alive stays alive (and what nothing holds goes at once)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture(params=[True, False], ids=["replay", "default"])
def replay(request: pytest.FixtureRequest) -> bool:
    """The call-layer stream mode a test runs in: ``stream={"replay": True}`` (True) or the
    default ``stream=True`` (see ``tests/replay_modes.py``)."""
    return bool(request.param)


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


# -- which body reader the transport uses (streamcall.transport.body) --------------------------
#
# `--body-reader=streamcall` or `=httpx` forces one HTTP/1.1 body path (ours, or httpx2's body
# iterator) for every test. By default (`both`) tests/faults runs twice, once over each path,
# and tests/conformance alternates them response by response (every other response through
# httpx2's iterator, on the same pooled connections), so that its properties cover both paths
# without doubling their time; every other test runs over the library's default.


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--body-reader",
        choices=("both", "streamcall", "httpx"),
        default="both",
        help="the HTTP/1.1 body path of every test: 'streamcall' (read by streamcall) or "
        "'httpx' (httpx2's body iterator); 'both' (default): tests/faults runs over each, "
        "tests/conformance alternates them, the rest use the library's default",
    )


def _suite(path: object) -> str:
    from pathlib import Path

    return Path(str(path)).parent.name


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    both = metafunc.config.getoption("--body-reader") == "both"
    if both and _suite(metafunc.definition.path) == "faults":
        readers = ["streamcall", "httpx"]
        metafunc.parametrize("_body_reader", readers, indirect=True, ids=lambda r: f"body={r}")


@pytest.fixture(autouse=True)
def _body_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the body path this test runs over (see ``--body-reader``)."""
    import itertools

    from streamcall.transport import body

    option = request.config.getoption("--body-reader")
    reader = getattr(request, "param", None) or (None if option == "both" else option)
    if reader is not None:
        monkeypatch.setattr(body, "BODY_READER", reader)
    elif _suite(request.node.path) == "conformance":
        responses, ours = itertools.count(), body.network_body
        monkeypatch.setattr(
            body, "network_body", lambda response: None if next(responses) % 2 else ours(response)
        )
