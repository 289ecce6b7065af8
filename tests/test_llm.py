"""The provider-agnostic layer: one function, every provider, the same common shape."""

from __future__ import annotations

from typing import Any

import pytest

from streamcall import llm
from streamcall.clients.anthropic import Anthropic
from streamcall.clients.cohere import ClientV2
from streamcall.clients.mistral import Mistral
from streamcall.clients.openai import OpenAI
from tests.replay import ReplayServer, Reply
from tests.wire_fixtures import fixtures

BODIES = {
    "mistral": "mistral.text.sse",
    "cohere": "cohere_v2.text.sse",
    "openai": "openai_chat.usage.sse",
    "anthropic": "anthropic.text.sse",
    "gemini": "gemini.text.sse",
    "ollama": "ollama_chat.text.ndjson",
    "azure": "openai_chat.usage.sse",
    "openai-responses": "openai_responses.text.sse",
}
MODELS = {
    "mistral": "mistral-small-latest",
    "cohere": "command-r-plus",
    "openai": "gpt-5-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
    "ollama": "llama3.2",
    "azure": "my-deployment",
    "openai-responses": "gpt-4.1-mini",
}
PRICED = set(BODIES) - {"ollama"}  # no price for a model served by Ollama


def fixture(name: str) -> Any:
    return next(f for f in fixtures("") if f.name == name)


def client_for(provider: str, url: str) -> Any:
    from streamcall.clients.azure import AzureOpenAI
    from streamcall.clients.gemini import Gemini
    from streamcall.clients.ollama import Ollama

    return {
        "mistral": lambda: Mistral(api_key="k", server_url=url),
        "cohere": lambda: ClientV2(api_key="k", base_url=url),
        "openai": lambda: OpenAI(api_key="k", base_url=url),
        "anthropic": lambda: Anthropic(api_key="k", base_url=url),
        "gemini": lambda: Gemini(api_key="k", base_url=url),
        "ollama": lambda: Ollama(base_url=url),
        "azure": lambda: AzureOpenAI(api_key="k", azure_endpoint=url),
        "openai-responses": lambda: OpenAI(api_key="k", base_url=url),
    }[provider]()


@llm.call(provider="mistral", model="mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


@pytest.mark.parametrize("provider", sorted(BODIES))
def test_same_function_same_common_shape_on_every_provider(
    server: ReplayServer, provider: str
) -> None:
    wire = fixture(BODIES[provider])
    url = server.route(Reply(body=wire.body))
    with llm.context(provider=provider, model=MODELS[provider], client=client_for(provider, url)):
        stream = recommend_book("fantasy")
    assert isinstance(stream, llm.Stream)
    text = ""
    for chunk, tool in stream:
        assert isinstance(chunk, llm.CallResponseChunk)
        assert tool is None
        text += chunk.content
    assert text == stream.content == wire.expected["text"]
    assert stream.finish_reasons == ["stop"]
    assert stream.provider_finish_reasons == [wire.expected["finish_reason"]]
    usage = stream.usage
    assert usage is not None
    counts = wire.expected["usage"]
    billed = provider == "cohere"  # Cohere: billed units, as Mirascope v1 reports them
    assert usage.input_tokens == counts["billed_input_tokens" if billed else "input_tokens"]
    assert usage.output_tokens == counts["billed_output_tokens" if billed else "output_tokens"]
    assert usage.cached_tokens == (counts["cached_tokens"] or 0)
    assert (stream.cost is not None) == (provider in PRICED)
    assert stream.provider == provider.split("-")[0]
    assert stream.construct_call_response().content == wire.expected["text"]


def test_override_switches_provider_model_and_params(server: ReplayServer) -> None:
    wire = fixture(BODIES["anthropic"])
    url = server.route(Reply(body=wire.body))
    on_claude = llm.override(
        recommend_book,
        provider="anthropic",
        model="claude-haiku-4-5",
        call_params={"max_tokens": 64},
        client=client_for("anthropic", url),
    )
    stream = on_claude("mystery")
    assert "".join(chunk.content for chunk, _ in stream) == wire.expected["text"]
    sent = server.requests(url)[0].json()
    assert isinstance(sent, dict)
    assert (sent["model"], sent["max_tokens"]) == ("claude-haiku-4-5", 64)
    assert sent["messages"] == [{"role": "user", "content": "Recommend a mystery book"}]


def test_unknown_provider_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        llm.call(provider="nope", model="m")
    with (
        pytest.raises(ValueError, match="unknown provider"),
        llm.context(provider="nope", model="m"),
    ):
        pass
    with pytest.raises(TypeError, match=r"not an @llm\.call function"):
        llm.override(print, provider="mistral")


@pytest.mark.anyio
async def test_async_llm_call(server: ReplayServer) -> None:
    wire = fixture(BODIES["openai"])
    url = server.route(Reply(body=wire.body))
    client = client_for("openai", url)

    @llm.call(provider="openai", model="gpt-5-mini", stream=True, client=client)
    async def ask(question: str) -> str:
        return question

    stream = await ask("?")
    text = "".join([chunk.content async for chunk, _ in stream])
    assert text == wire.expected["text"]
    assert stream.usage is not None
    assert stream.usage.cached_tokens == wire.expected["usage"]["cached_tokens"]
    await client.aclose()
