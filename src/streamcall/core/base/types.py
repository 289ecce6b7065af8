"""Typed dictionaries of the call layer: call params, dynamic config, metadata.

Annotations here are evaluated when the module is imported (no ``from __future__ import
annotations``): a ``TypedDict`` compiles each string annotation into a ``ForwardRef``.
"""

from typing import Any, Literal, TypeAlias, TypedDict

__all__ = [
    "BaseCallParams",
    "BaseDynamicConfig",
    "CommonCallParams",
    "LocalProvider",
    "Metadata",
    "Provider",
    "StreamConfig",
]

Provider: TypeAlias = Literal[
    "anthropic",
    "azure",
    "cohere",
    "gemini",
    "local",
    "mistral",
    "ollama",
    "openai",
    "openai-responses",
]
"""The providers streamcall ships with; ``llm.call`` also takes any other name registered in
``streamcall.registry.PROVIDERS`` (typed ``Provider | str``)."""

LocalProvider: TypeAlias = Literal["local", "ollama"]
"""The providers that run on this machine (no API key)."""


class StreamConfig(TypedDict, total=False):
    """``stream=`` as a dict, Mirascope v1's ``StreamConfig`` (``stream={"replay": True}``).

    Keys: ``replay`` (default ``False``): whether the stream keeps its chunks so that it can be
    iterated again once consumed (about 1 KB an event). Without it a second iteration yields
    nothing (a ``ReplayWarning``); the accumulated text, tool calls, usage, ``message_param``
    and ``construct_call_response()`` stay either way. ``partial_tools`` (Mirascope v1's key):
    streaming partial tools is not supported; ``True`` is a ``ConfigurationError``.
    """

    replay: bool
    partial_tools: bool


class BaseCallParams(TypedDict, total=False):
    """Provider call parameters (each provider's ``*CallParams`` adds its own keys)."""


class Metadata(TypedDict, total=False):
    """Free-form metadata attached to a call (``tags`` by convention)."""

    tags: set[str]


class BaseDynamicConfig(TypedDict, total=False):
    """What a decorated function may return instead of a prompt.

    Keys: ``messages`` (the messages to send), ``call_params`` (merged over the decorator's),
    ``tools`` (added to the decorator's), ``metadata``, ``computed_fields`` (extra template
    values), ``client`` (a provider client for this call).
    """

    messages: list[Any]
    call_params: dict[str, Any]
    tools: list[Any]
    metadata: Metadata
    computed_fields: dict[str, Any]
    client: Any


class CommonCallParams(TypedDict, total=False):
    """Call parameters every provider understands (Mirascope v1's ``CommonCallParams``, plus
    the tool settings). Give them in ``call_params`` to any call decorator or ``llm.call``."""

    max_tokens: int
    temperature: float
    top_p: float
    stop: str | list[str]
    seed: int
    presence_penalty: float
    frequency_penalty: float
    tool_choice: Literal["auto", "none", "required"]
    parallel_tool_calls: bool
