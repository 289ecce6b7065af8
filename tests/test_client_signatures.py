"""The provider clients' call signatures: one declaration per provider, kept by every method.

Each provider's sync/async, streamed/whole methods take their keywords as ``**params`` typed by
one ``TypedDict``. These tests check that every method of a provider unpacks the same one, that
an unknown keyword is still a ``TypeError``, and that every body parameter and the per-call
headers, given to any of the methods, reach the request.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from streamcall.clients._params import ClientOptions, LineClientOptions, StreamClientOptions
from streamcall.clients.anthropic import Anthropic
from streamcall.clients.anthropic.params import MessageArgs, MessageCreateParams
from streamcall.clients.azure import AzureOpenAI
from streamcall.clients.cohere import ClientV2
from streamcall.clients.cohere.params import ChatArgs as CohereArgs
from streamcall.clients.cohere.params import CohereChatParams
from streamcall.clients.gemini import Gemini
from streamcall.clients.gemini.params import ContentArgs, GenerateContentParams
from streamcall.clients.mistral import Mistral
from streamcall.clients.mistral.params import ChatArgs as MistralArgs
from streamcall.clients.mistral.params import MistralChatParams
from streamcall.clients.ollama import Ollama
from streamcall.clients.ollama.params import ChatArgs as OllamaArgs
from streamcall.clients.ollama.params import OllamaChatParams
from streamcall.clients.openai import AsyncOpenAI, OpenAI
from streamcall.clients.openai.params import (
    ChatArgs,
    ChatCompletionParams,
    ResponseArgs,
    ResponseCreateParams,
)
from streamcall.errors import APIStatusError
from tests.replay import ReplayServer, Reply

MESSAGES = [{"role": "user", "content": "hi"}]
UNUSED_URL = "http://127.0.0.1:9"  # never reached: these calls fail before sending


def _keys(typed_dict: Any) -> frozenset[str]:
    return frozenset(typed_dict.__required_keys__ | typed_dict.__optional_keys__)


@dataclass(frozen=True)
class Method:
    """One way to call one provider method: its client, the method, its fixed arguments."""

    id: str
    client: Callable[[str], Any]  # base URL -> client
    method: Callable[[Any], Callable[..., Any]]  # client -> the bound method
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Provider:
    """A provider's methods and the declarations they share."""

    id: str
    methods: list[Method]
    unpacked: Any  # the TypedDict every method unpacks
    body: Any  # the TypedDict of its body parameters
    headers_option: str


def _mistral(url: str) -> Mistral:
    return Mistral(api_key="k", server_url=url, retries=0)


def _cohere(url: str) -> ClientV2:
    return ClientV2(api_key="k", base_url=url, retries=0)


def _openai(url: str) -> OpenAI:
    return OpenAI(api_key="k", base_url=url, retries=0)


def _async_openai(url: str) -> AsyncOpenAI:
    return AsyncOpenAI(api_key="k", base_url=url, retries=0)


def _azure(url: str) -> AzureOpenAI:
    return AzureOpenAI(api_key="k", azure_endpoint=url, retries=0)


def _anthropic(url: str) -> Anthropic:
    return Anthropic(api_key="k", base_url=url, retries=0)


def _gemini(url: str) -> Gemini:
    return Gemini(api_key="k", base_url=url, retries=0)


def _ollama(url: str) -> Ollama:
    return Ollama(base_url=url, retries=0)


CHAT = {"model": "m", "messages": MESSAGES}
ANTHROPIC = {"model": "m", "max_tokens": 5, "messages": MESSAGES}
GEMINI = {"model": "m", "contents": "hi"}
RESPONSES = {"model": "m", "input": "hi"}


def _create_style(
    prefix: str, client: Callable[[str], Any], method: Callable[[Any], Any], fixed: dict[str, Any]
) -> list[Method]:
    """``create`` / ``create_async`` (or their likes), each with and without ``stream``."""
    sync = method
    asynchronous: Callable[[Any], Any] = lambda c: getattr(  # noqa: E731
        method(c).__self__, method(c).__name__ + "_async"
    )
    return [
        Method(f"{prefix}{suffix}", client, fn, kwargs={**fixed, "stream": stream})
        for suffix, fn, stream in (
            ("", sync, False),
            ("-stream", sync, True),
            ("_async", asynchronous, False),
            ("_async-stream", asynchronous, True),
        )
    ]


def _models_method(name: str) -> Callable[[Any], Any]:
    return lambda client: getattr(client.models, name)


PROVIDERS = [
    Provider(
        "mistral",
        [
            Method("stream", _mistral, lambda c: c.chat.stream, ("m", MESSAGES)),
            Method("stream_async", _mistral, lambda c: c.chat.stream_async, ("m", MESSAGES)),
            Method("complete", _mistral, lambda c: c.chat.complete, ("m", MESSAGES)),
            Method("complete_async", _mistral, lambda c: c.chat.complete_async, ("m", MESSAGES)),
        ],
        MistralArgs,
        MistralChatParams,
        "http_headers",
    ),
    Provider(
        "cohere",
        [
            Method("chat_stream", _cohere, lambda c: c.chat_stream, ("m", MESSAGES)),
            Method("chat_stream_async", _cohere, lambda c: c.chat_stream_async, ("m", MESSAGES)),
            Method("chat", _cohere, lambda c: c.chat, ("m", MESSAGES)),
            Method("chat_async", _cohere, lambda c: c.chat_async, ("m", MESSAGES)),
        ],
        CohereArgs,
        CohereChatParams,
        "http_headers",
    ),
    Provider(
        "openai",
        [
            *_create_style("create", _openai, lambda c: c.chat.completions.create, CHAT),
            Method("async-client", _async_openai, lambda c: c.chat.completions.create, (), CHAT),
            Method("azure", _azure, lambda c: c.chat.completions.create, (), CHAT),
        ],
        ChatArgs,
        ChatCompletionParams,
        "extra_headers",
    ),
    Provider(
        "openai-responses",
        _create_style("create", _openai, lambda c: c.responses.create, RESPONSES),
        ResponseArgs,
        ResponseCreateParams,
        "extra_headers",
    ),
    Provider(
        "anthropic",
        _create_style("create", _anthropic, lambda c: c.messages.create, ANTHROPIC),
        MessageArgs,
        MessageCreateParams,
        "extra_headers",
    ),
    Provider(
        "gemini",
        [
            Method(name, _gemini, _models_method(name), kwargs=GEMINI)
            for name in (
                "generate_content_stream",
                "generate_content_stream_async",
                "generate_content",
                "generate_content_async",
            )
        ],
        ContentArgs,
        GenerateContentParams,
        "http_headers",
    ),
    Provider(
        "ollama",
        _create_style("chat", _ollama, lambda c: c.chat, CHAT),
        OllamaArgs,
        OllamaChatParams,
        "http_headers",
    ),
]

ALL_METHODS = [
    pytest.param(provider, method, id=f"{provider.id}-{method.id}")
    for provider in PROVIDERS
    for method in provider.methods
]


def _unpacked(function: Callable[..., Any]) -> Any:
    """The ``TypedDict`` a function's ``**params`` unpacks (its annotation names it)."""
    function = inspect.unwrap(function)
    kwargs = [p for p in inspect.signature(function).parameters.values() if p.kind is p.VAR_KEYWORD]
    assert len(kwargs) == 1, f"{function.__qualname__} takes no **params"
    annotation = kwargs[0].annotation
    match = re.fullmatch(r"Unpack\[(\w+)\]", str(annotation))
    assert match, f"{function.__qualname__}: **{kwargs[0].name}: {annotation}"
    return getattr(sys.modules[function.__module__], match[1])


async def _call(method: Method, client: Any, **extra: Any) -> Any:
    result = method.method(client)(*method.args, **method.kwargs, **extra)
    if inspect.isawaitable(result):
        result = await result
    return result


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.id)
def test_every_method_of_a_provider_unpacks_the_same_declaration(provider: Provider) -> None:
    for method in provider.methods:
        function = method.method(method.client(UNUSED_URL))
        assert _unpacked(function) is provider.unpacked, method.id
        explicit = set(inspect.signature(function).parameters) - {"params"}
        assert not explicit & _keys(provider.unpacked), method.id
    assert _keys(provider.body) <= _keys(provider.unpacked)
    options = _keys(provider.unpacked) - _keys(provider.body)
    assert {"timeout_ms", "retries", provider.headers_option} <= options


@pytest.mark.anyio
@pytest.mark.parametrize(("provider", "method"), ALL_METHODS)
async def test_an_unknown_keyword_is_a_type_error(provider: Provider, method: Method) -> None:
    client = method.client(UNUSED_URL)
    qualname = inspect.unwrap(method.method(client)).__qualname__
    message = f"^{re.escape(qualname)}\\(\\) got an unexpected keyword argument 'temprature'$"
    with pytest.raises(TypeError, match=message):
        await _call(method, client, temprature=0.5)


def _value(key: str) -> Any:
    return {"extra_body": {"extra_key": 1}, "config": {"temperature": 0.5}}.get(key, f"v-{key}")


@pytest.mark.anyio
@pytest.mark.parametrize(("provider", "method"), ALL_METHODS)
async def test_every_body_parameter_and_the_headers_reach_the_request(
    server: ReplayServer, provider: Provider, method: Method
) -> None:
    reply = Reply(body=b'{"error": {"message": "no"}}', status=400, content_type="application/json")
    url = server.route(reply)
    client = method.client(url)
    params = {key: _value(key) for key in _keys(provider.body)}
    params[provider.headers_option] = {"X-Signature-Test": "yes"}
    with pytest.raises(APIStatusError):
        await _call(method, client, **params)
    sent = server.requests(url)[0]
    body = sent.json()
    assert isinstance(body, dict)
    assert sent.headers["x-signature-test"] == "yes"
    for key in _keys(provider.body) - {"extra_body", "config"}:
        assert body[key] == f"v-{key}", key
    if "extra_body" in params:
        assert body["extra_key"] == 1
    if "config" in params:
        assert body["generationConfig"] == {"temperature": 0.5}
    client.close()
    await client.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize(("provider", "method"), ALL_METHODS)
async def test_none_is_not_sent(server: ReplayServer, provider: Provider, method: Method) -> None:
    reply = Reply(body=b'{"error": {"message": "no"}}', status=400, content_type="application/json")
    url = server.route(reply)
    client = method.client(url)
    body_keys = _keys(provider.body) - {"extra_body"}
    with pytest.raises(APIStatusError):
        await _call(method, client, **dict.fromkeys(body_keys))
    body = server.requests(url)[0].json()
    assert isinstance(body, dict)
    assert not body_keys & body.keys() - {"stream_options"}
    client.close()
    await client.aclose()


@pytest.mark.parametrize(
    ("cls", "options"),
    [
        (Mistral, StreamClientOptions),
        (ClientV2, StreamClientOptions),
        (OpenAI, ClientOptions),
        (AsyncOpenAI, ClientOptions),
        (AzureOpenAI, ClientOptions),
        (Anthropic, ClientOptions),
        (Gemini, ClientOptions),
        (Ollama, LineClientOptions),
    ],
)
def test_constructors_take_the_shared_options_and_reject_others(cls: Any, options: Any) -> None:
    assert _unpacked(cls.__init__) is options
    kwargs = {"azure_endpoint": UNUSED_URL} if cls is AzureOpenAI else {}
    client = cls(**kwargs, timeout_ms=1000, retries=0, default_headers={"X-A": "b"})
    assert client.timeouts.total == 1.0
    assert client.retry_policy.max_retries == 0
    assert client.default_headers["X-A"] == "b"
    with pytest.raises(
        TypeError, match=r"__init__\(\) got an unexpected keyword argument 'tiemout'"
    ):
        cls(**kwargs, tiemout=1)


def test_public_constructor_positions_are_kept() -> None:
    def positional(cls: Any) -> list[str]:
        parameters = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD][1:]

    assert positional(Mistral) == ["api_key", "server_url", "timeout_ms", "retries"]
    assert positional(ClientV2) == ["api_key", "base_url", "timeout_ms", "retries"]
    assert positional(OpenAI) == ["api_key", "base_url"]
    assert positional(AzureOpenAI) == ["api_key", "azure_endpoint"]
    assert positional(Anthropic) == ["api_key", "base_url"]
    assert positional(Gemini) == ["api_key", "base_url"]
    assert positional(Ollama) == ["base_url", "api_key"]
    assert Mistral(None, "http://h", 2000, 1).timeouts.total == 2.0
    assert Ollama("http://h:1").base_url == "http://h:1"
    assert Ollama(max_line_size=10).max_line_size == 10
