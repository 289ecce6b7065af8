"""The provider registry: one record per provider, read by ``llm``, the CLI, costs and the tests.

A provider with its own wire protocol is one folder (``clients/<name>/`` and
``core/<name>/``) plus one :class:`ProviderEntry` here. A provider that speaks another's
protocol (an OpenAI-compatible service such as Groq or OpenRouter) is one entry alone: it names
the provider whose call layer it reuses (``compatible``), its key and URL variables, its
default model and its prices, and :func:`call_decorator` builds its decorator::

    from streamcall import llm

    @llm.call(provider="groq", model="llama-3.3-70b-versatile", stream=True)
    def answer(question: str) -> str:
        return question

Nothing here imports a provider module: entries name modules as strings, imported on first use.
"""

from __future__ import annotations

import copy
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from streamcall.core.base.cost import ModelPrice
from streamcall.errors import MissingAPIKeyError

__all__ = [
    "PROVIDERS",
    "Capabilities",
    "ProviderEntry",
    "call_decorator",
    "entry",
    "native",
]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider's API can do (read by tests and adapters; never guessed at run time)."""

    usage_in_stream: bool = True
    """Streams report token usage (OpenAI-compatible servers may not: then usage is ``None``)."""
    forced_tools: bool = True
    """A call can force a named tool (``response_model`` relies on it)."""
    parallel_tools: bool = True
    """One answer can call several tools."""
    thinking: bool = False
    """Streams can carry reasoning apart from the answer."""


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """One provider.

    Args:
        name: The name ``llm.call(provider=...)`` and ``streamcall chat --provider`` take.
        client: ``module:Class`` of its client (imported on first use).
        default_model: The model the CLI uses when none is given.
        spec: ``module:Class`` of its call-layer spec (how calls are encoded and streams
            decoded); ``None`` with ``compatible``: the other provider's spec.
        call: ``module:name`` of its call decorator (``mistral_call``); ``None``: built from
            the spec by :func:`call_decorator`.
        compatible: The provider whose protocol this one speaks (``"openai"``).
        key_variable, base_url_variable: The environment variables of its key and URL.
        default_base_url: Its API root, where the client class does not already know it.
        url_argument: The client's keyword for the API root (``server_url`` for Mistral).
        wire: Its stream format (``openai-chat``, ``anthropic``, ...): which writer the
            conformance tests use.
        prices: USD per million tokens of models the bundled price table does not list.
        capabilities: See :class:`Capabilities`.
        auto_select: The CLI picks it when its key is set (in registry order).
    """

    name: str
    client: str
    default_model: str
    spec: str | None = None
    call: str | None = None
    compatible: str | None = None
    key_variable: str | None = None
    base_url_variable: str | None = None
    default_base_url: str | None = None
    url_argument: str = "base_url"
    wire: str = "openai-chat"
    prices: Mapping[str, ModelPrice] = field(default_factory=dict)
    capabilities: Capabilities = Capabilities()
    auto_select: bool = False

    def client_class(self) -> type[Any]:
        """The client class (imports its module)."""
        cls: type[Any] = _load(self.client)
        return cls

    def make_client(
        self, *, api_key: str | None = None, base_url: str | None = None, **options: Any
    ) -> Any:
        """A client for this provider: key and URL from the arguments, else the entry's
        environment variables, else its default URL; ``options`` go to the client as given.

        A compatible provider's key is required where its URL is the default one (the other
        provider's client would otherwise send the request without one)."""
        if api_key is None and self.key_variable:
            api_key = os.environ.get(self.key_variable) or None
        if base_url is None and self.base_url_variable:
            base_url = os.environ.get(self.base_url_variable) or None
        if base_url is None and self.compatible is not None:
            if api_key is None and self.key_variable:
                raise MissingAPIKeyError(
                    f"No {self.name} API key: set the {self.key_variable} environment variable "
                    f"or pass client=... to the call"
                )
            base_url = self.default_base_url
        kwargs = dict(options)
        if api_key is not None:
            kwargs["api_key"] = api_key
        if base_url is not None:
            kwargs[self.url_argument] = base_url
        return self.client_class()(**kwargs)


def native(
    name: str,
    client: str,
    default_model: str,
    spec: str,
    *,
    variables: str | None = None,
    call: str | None = None,
    **fields: Any,
) -> ProviderEntry:
    """The entry of a provider with its own folders, by their convention: its client in
    ``streamcall.clients.<name>``, its spec in ``streamcall.core.<name>._types`` (a
    ``module:Class`` path where it lives elsewhere), its decorator ``<name>_call`` in
    ``streamcall.core.<name>``, its variables ``<VARIABLES>_API_KEY`` / ``<VARIABLES>_BASE_URL``
    (``variables`` defaults to the name; ``""``: none)."""
    stem = (name if variables is None else variables).upper()
    return ProviderEntry(
        name,
        f"streamcall.clients.{name.split('-')[0]}:{client}",
        default_model,
        spec=spec if ":" in spec else f"streamcall.core.{name}._types:{spec}",
        call=call or f"streamcall.core.{name}:{name}_call",
        key_variable=f"{stem}_API_KEY" if stem else None,
        base_url_variable=f"{stem}_BASE_URL" if stem else None,
        **fields,
    )


_THINKS = Capabilities(thinking=True)

PROVIDERS: dict[str, ProviderEntry] = {
    e.name: e
    for e in (
        native(
            "openai", "OpenAI", "gpt-4.1-mini", "OpenAISpec", capabilities=_THINKS, auto_select=True
        ),
        native(
            "anthropic",
            "Anthropic",
            "claude-haiku-4-5",
            "AnthropicSpec",
            wire="anthropic",
            capabilities=_THINKS,
            auto_select=True,
        ),
        native(
            "mistral",
            "Mistral",
            "mistral-small-latest",
            "MistralSpec",
            url_argument="server_url",
            wire="mistral",
            capabilities=_THINKS,
            auto_select=True,
        ),
        native(
            "gemini",
            "Gemini",
            "gemini-2.5-flash",
            "GeminiSpec",
            wire="gemini",
            capabilities=_THINKS,
            auto_select=True,
        ),
        native(
            "cohere",
            "ClientV2",
            "command-r-plus",
            "CohereSpec",
            wire="cohere",
            capabilities=_THINKS,
            auto_select=True,
        ),
        ProviderEntry(
            "groq",
            "streamcall.clients.openai:OpenAI",
            "llama-3.3-70b-versatile",
            compatible="openai",
            key_variable="GROQ_API_KEY",
            base_url_variable="GROQ_BASE_URL",
            default_base_url="https://api.groq.com/openai/v1",
            prices={
                "llama-3.3-70b-versatile": ModelPrice(0.59, 0.79),
                "llama-3.1-8b-instant": ModelPrice(0.05, 0.08),
                "openai/gpt-oss-120b": ModelPrice(0.15, 0.75),
                "openai/gpt-oss-20b": ModelPrice(0.10, 0.50),
            },
            auto_select=True,
        ),
        ProviderEntry(
            "openrouter",
            "streamcall.clients.openai:OpenAI",
            "openai/gpt-4.1-mini",
            compatible="openai",
            key_variable="OPENROUTER_API_KEY",
            base_url_variable="OPENROUTER_BASE_URL",
            default_base_url="https://openrouter.ai/api/v1",
            prices={
                "openai/gpt-4.1-mini": ModelPrice(0.40, 1.60),
                "openai/gpt-4o-mini": ModelPrice(0.15, 0.60),
                "anthropic/claude-sonnet-4.5": ModelPrice(3.0, 15.0),
                "google/gemini-2.5-flash": ModelPrice(0.30, 2.50),
            },
            auto_select=True,
        ),
        native(
            "ollama",
            "Ollama",
            "llama3.2",
            "OllamaSpec",
            wire="ollama",
            capabilities=Capabilities(forced_tools=False, thinking=True),
        ),
        native(
            "azure",
            "AzureOpenAI",
            "",
            "streamcall.core.azure:AzureSpec",
            url_argument="azure_endpoint",
            wire="azure",
        ),
        native(
            "openai-responses",
            "OpenAI",
            "gpt-4.1-mini",
            "streamcall.core.openai.responses:OpenAIResponsesSpec",
            variables="openai",
            call="streamcall.core.openai:openai_responses_call",
            wire="openai-responses",
            capabilities=_THINKS,
        ),
        native(
            "local",
            "LocalModel",
            "SmolLM2-135M-Instruct",
            "streamcall.core.local:LocalSpec",
            variables="",
            wire="local",
            capabilities=Capabilities(parallel_tools=False),
        ),
    )
}
"""Every provider, by name. The order is the CLI's order of preference among set keys."""


def entry(name: str) -> ProviderEntry:
    """The entry of ``name``; a ``ValueError`` naming the known providers otherwise."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(PROVIDERS)
        raise ValueError(f"unknown provider {name!r}; known: {known}") from None


@cache
def call_decorator(name: str) -> Callable[..., Any]:
    """The call decorator of provider ``name`` (``mistral_call`` for ``"mistral"``); for a
    compatible provider, the other provider's call layer with this provider's name, client
    and prices."""
    found = entry(name)
    if found.call is not None:
        decorator: Callable[..., Any] = _load(found.call)
        return decorator
    base = entry(found.compatible or "")
    if base.spec is None:
        raise ValueError(f"provider {name!r} names no spec and no compatible provider")
    from streamcall.core.base._call import make_call_decorator

    spec = copy.copy(_load(base.spec)())
    spec.provider = found.name
    spec.client_provider = base.name
    spec.default_client = found.make_client
    return make_call_decorator(spec)
