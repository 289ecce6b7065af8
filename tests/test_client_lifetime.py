"""A client that is dropped frees itself and its pooled connections at once, by reference
counting alone: no reference cycle waits for the cyclic garbage collector (which, run later,
finalizes the sockets first and warns about an unclosed socket). The resources (``chat``,
``messages``, ``models``, ``responses``) point at their client; the client does not keep them.
"""

from __future__ import annotations

import gc
import os
import time
import weakref

import pytest

from tests.conformance.harness import PROVIDERS, Provider
from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import fixtures

WIRE_FIXTURE = {
    "openai-chat": "openai_chat.text",
    "azure": "openai_chat.text",  # Azure streams OpenAI's chunks
    "anthropic": "anthropic.text",
    "mistral": "mistral.text",
    "gemini": "gemini.text",
    "cohere": "cohere_v2.text",
    "ollama": "ollama_chat.text",
    "openai-responses": "openai_responses.text",
}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settle(expected: int) -> int:
    """The open descriptors once the server thread has closed its side (or 2 s)."""
    deadline = time.monotonic() + 2
    while (now := open_fds()) > expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return now


def one_call(provider: Provider, url: str) -> weakref.ref[object]:
    """Stream one answer through the call layer with a client of its own; a weak reference
    to that client, once nothing here holds it."""
    client = provider.make_client(url)

    @provider.decorator(provider.model, stream=True, client=client)
    def ask() -> str:
        return "Hello?"

    stream = ask()
    for _ in stream:
        pass
    assert stream.content or stream.tool_calls or stream.finish_reasons
    return weakref.ref(client)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_a_dropped_client_closes_its_connection_without_the_cyclic_gc(
    server: ReplayServer, name: str, no_cyclic_gc: None
) -> None:
    provider = PROVIDERS[name]
    body = fixtures(WIRE_FIXTURE[provider.wire])[0].body
    url = server.route(Reply(body=body, content_type=provider.content_type))
    before = open_fds()
    alive = one_call(provider, url)
    assert alive() is None, gc.get_referrers(alive())
    assert server.connections(url) == 1
    assert settle(before) <= before  # both ends of the pooled connection are closed


def test_resources_do_not_keep_their_client(no_cyclic_gc: None) -> None:
    from streamcall.registry import PROVIDERS as REGISTRY

    for name, entry in REGISTRY.items():
        if name == "local":
            continue
        client = entry.make_client(api_key="k", base_url="http://127.0.0.1:9")
        resources = [
            getattr(client, attribute)
            for attribute in ("chat", "messages", "models", "responses")
            if hasattr(client, attribute)
        ]
        assert resources, name
        alive = weakref.ref(client)
        del client
        assert alive() is not None  # a resource someone holds keeps its client
        del resources
        assert alive() is None, name
