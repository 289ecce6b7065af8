"""Neutral call parameters reach every provider under its own names (checked in the request).

One function, moved to each provider of the registry with ``llm.override`` and the same
neutral ``call_params``; the body the local server receives must carry each parameter where
that provider takes it, and a parameter the provider cannot take is dropped with a warning.
Providers registered as compatible with another are checked against that one's names.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcall import llm
from streamcall.core.base.params import NeutralParamWarning, to_provider_params
from streamcall.errors import StreamcallError
from streamcall.registry import PROVIDERS
from tests.replay import ReplayServer, Reply

NEUTRAL = {"max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "stop": "END", "seed": 3}
OPENAI_CHAT = {"max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "stop": "END", "seed": 3}

# What each protocol's request body must contain (a subset check), and what it drops.
SENT: dict[str, tuple[dict[str, Any], set[str]]] = {
    "openai": (OPENAI_CHAT, set()),
    "azure": (OPENAI_CHAT, set()),
    "openai-responses": (
        {"max_output_tokens": 7, "temperature": 0.5, "top_p": 0.9},
        {"stop", "seed"},
    ),
    "mistral": (
        {"max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "stop": "END", "random_seed": 3},
        set(),
    ),
    "cohere": (
        {"max_tokens": 7, "temperature": 0.5, "p": 0.9, "stop_sequences": ["END"], "seed": 3},
        set(),
    ),
    "anthropic": (
        {"max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "stop_sequences": ["END"]},
        {"seed"},
    ),
    "gemini": (
        {
            "generationConfig": {
                "maxOutputTokens": 7,
                "temperature": 0.5,
                "topP": 0.9,
                "stopSequences": ["END"],
                "seed": 3,
            }
        },
        set(),
    ),
    "ollama": (
        {
            "options": {
                "num_predict": 7,
                "temperature": 0.5,
                "top_p": 0.9,
                "stop": ["END"],
                "seed": 3,
            }
        },
        set(),
    ),
}

TOOLS_SENT: dict[str, tuple[dict[str, Any], set[str]]] = {
    "openai": ({"tool_choice": "required", "parallel_tool_calls": False}, set()),
    "azure": ({"tool_choice": "required", "parallel_tool_calls": False}, set()),
    "openai-responses": ({"tool_choice": "required", "parallel_tool_calls": False}, set()),
    "mistral": ({"tool_choice": "required", "parallel_tool_calls": False}, set()),
    "cohere": ({"tool_choice": "REQUIRED"}, {"parallel_tool_calls"}),
    "anthropic": ({"tool_choice": {"type": "any", "disable_parallel_tool_use": True}}, set()),
    "gemini": ({"toolConfig": {"functionCallingConfig": {"mode": "ANY"}}}, {"parallel_tool_calls"}),
    "ollama": ({}, {"tool_choice", "parallel_tool_calls"}),
}

HTTP = [name for name, entry in PROVIDERS.items() if name != "local"]


def protocol(name: str) -> str:
    entry = PROVIDERS[name]
    return entry.compatible or name


@llm.call(provider="mistral", model="mistral-small-latest")
def ask(question: str) -> str:
    return question


def get_weather(city: str) -> str:
    """Say the weather in a city."""
    return f"sunny in {city}"


def sent_body(
    server: ReplayServer, provider: str, params: dict[str, Any], tools: bool = False
) -> tuple[dict[str, Any], set[str]]:
    """The JSON body ``provider`` received for ``ask`` with ``params``, and the names of the
    parameters that were dropped with a warning."""
    url = server.route(Reply(status=400, body=b'{"error": {"message": "stop here"}}'))
    client = PROVIDERS[provider].make_client(api_key="test-key", base_url=url)
    fn: Any = ask
    if tools:

        @llm.call(provider="mistral", model="m", tools=[get_weather])
        def ask_with_tools(question: str) -> str:
            return question

        fn = ask_with_tools
    moved = llm.override(
        fn, provider=provider, model="some-model", call_params=params, client=client
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(StreamcallError):
            moved("Hello?")
    dropped = {
        str(w.message).split("'")[1] for w in caught if issubclass(w.category, NeutralParamWarning)
    }
    body = server.requests(url)[0].json()
    assert isinstance(body, dict)
    return body, dropped


def contains(body: dict[str, Any], expected: dict[str, Any]) -> bool:
    for key, value in expected.items():
        if isinstance(value, dict):
            if not isinstance(body.get(key), dict) or not contains(body[key], value):
                return False
        elif body.get(key) != value:
            return False
    return True


@pytest.mark.parametrize("provider", HTTP)
def test_neutral_params_reach_each_provider_under_its_names(
    server: ReplayServer, provider: str
) -> None:
    expected, dropped = SENT[protocol(provider)]
    body, warned = sent_body(server, provider, dict(NEUTRAL))
    assert contains(body, expected), body
    assert warned == dropped
    for name in dropped:
        assert name not in body


@pytest.mark.parametrize("provider", HTTP)
def test_neutral_tool_settings_reach_each_provider(server: ReplayServer, provider: str) -> None:
    expected, dropped = TOOLS_SENT[protocol(provider)]
    params = {"tool_choice": "required", "parallel_tool_calls": False}
    body, warned = sent_body(server, provider, params, tools=True)
    assert contains(body, expected), body
    assert warned == dropped


# A parameter of each protocol's own, and where its request carries it.
OWN: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "openai": ({"logprobs": True}, {"logprobs": True}),
    "azure": ({"logprobs": True}, {"logprobs": True}),
    "openai-responses": ({"store": False}, {"store": False}),
    "mistral": ({"safe_prompt": True}, {"safe_prompt": True}),
    "cohere": ({"k": 5}, {"k": 5}),
    "anthropic": ({"top_k": 5}, {"top_k": 5}),
    "gemini": ({"topK": 5}, {"generationConfig": {"topK": 5}}),
    "ollama": ({"keep_alive": "5m"}, {"keep_alive": "5m"}),
}


@pytest.mark.parametrize("provider", HTTP)
def test_provider_specific_params_pass_through(server: ReplayServer, provider: str) -> None:
    given, expected = OWN[protocol(provider)]
    body, warned = sent_body(server, provider, {**given, "temperature": 0.5})
    assert not warned
    assert contains(body, expected), body


def test_the_provider_own_form_wins() -> None:
    from streamcall.core.anthropic._types import AnthropicSpec
    from streamcall.core.ollama._types import OllamaSpec

    native = {"tool_choice": {"type": "tool", "name": "x"}, "parallel_tool_calls": False}
    mapped = to_provider_params(native, AnthropicSpec.common_params, "anthropic")
    assert mapped == {
        "tool_choice": {"type": "tool", "name": "x", "disable_parallel_tool_use": True}
    }
    mixed = {"options": {"num_ctx": 4096, "temperature": 0.1}, "temperature": 0.9}
    mapped = to_provider_params(mixed, OllamaSpec.common_params, "ollama")
    assert mapped == {"options": {"num_ctx": 4096, "temperature": 0.1}}
    assert mixed == {"options": {"num_ctx": 4096, "temperature": 0.1}, "temperature": 0.9}


def test_local_takes_the_openai_names() -> None:
    from streamcall.core.local import LocalSpec
    from streamcall.core.openai._types import OpenAISpec

    assert LocalSpec.common_params == OpenAISpec.common_params
    assert to_provider_params(NEUTRAL, LocalSpec.common_params, "local") == OPENAI_CHAT


SPECS = sorted({e.spec for e in PROVIDERS.values() if e.spec is not None})
NEUTRAL_VALUES = {
    "max_tokens": st.integers(1, 10_000),
    "temperature": st.floats(0, 2),
    "top_p": st.floats(0, 1),
    "stop": st.one_of(st.text(min_size=1), st.lists(st.text(min_size=1), min_size=1)),
    "seed": st.integers(0, 2**31),
    "presence_penalty": st.floats(-2, 2),
    "frequency_penalty": st.floats(-2, 2),
    "tool_choice": st.sampled_from(["auto", "none", "required"]),
    "parallel_tool_calls": st.booleans(),
}


def dig(params: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        params = params[part]
    return params


@pytest.mark.parametrize("spec_path", SPECS)
@given(
    neutral=st.fixed_dictionaries({}, optional=NEUTRAL_VALUES),
    own=st.dictionaries(st.sampled_from(["own_flag", "vendor_x", "k2"]), st.integers()),
)
def test_any_mix_of_neutral_and_own_params(
    spec_path: str, neutral: dict[str, Any], own: dict[str, int]
) -> None:
    """Any neutral parameters beside any provider-specific ones: own ones pass unchanged, each
    neutral one goes where the spec says (or is dropped with a warning), none is lost
    silently, and the input is not changed."""
    from streamcall.core.base._lazy import load

    mapping = load(spec_path).common_params
    given_params = {**own, **neutral}
    before = dict(given_params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sent = to_provider_params(given_params, mapping, "p")
    assert given_params == before
    for key, value in own.items():
        assert sent[key] == value
    dropped = {str(w.message).split("'")[1] for w in caught}
    for key, value in neutral.items():
        target = mapping.get(key)
        if target is None:
            assert key in dropped
        elif isinstance(target, str):
            assert dig(sent, target) == value
        else:
            fragment = target(value)
            for name in fragment:
                assert name in sent
    assert dropped == {k for k in neutral if mapping.get(k) is None}
