"""A function or model used as a tool is converted to a tool class once, not on every call."""

from __future__ import annotations

import functools
import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

import streamcall.core.base.tool as tool_module
from streamcall import llm
from streamcall.core import BaseDynamicConfig
from streamcall.core.base.tool import to_tool_type
from streamcall.core.mistral import MistralTool, mistral_call
from streamcall.core.openai import OpenAITool


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city name.
    """
    return f"sunny in {city}"


class Book(BaseModel):
    """A book."""

    title: str


class _Chat:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def stream(self, **kwargs: Any) -> Any:
        self.sent.append(kwargs)
        return iter(())


class FakeMistral:
    """Records what the call layer sends; streams nothing."""

    def __init__(self) -> None:
        self.chat = _Chat()


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    made: list[Any] = []
    for name in ("_from_function", "_from_model"):
        original = getattr(tool_module, name)

        def counting(tool: Any, base: Any, _original: Any = original) -> Any:
            made.append(tool)
            return _original(tool, base)

        monkeypatch.setattr(tool_module, name, counting)
    return made


def _local_function() -> Callable[[str], str]:
    def lookup(city: str) -> str:
        """Look a city up."""
        return city

    return lookup


def test_a_function_is_converted_once_per_tool_base(conversions: list[Any]) -> None:
    fn = _local_function()
    first = to_tool_type(fn, MistralTool)
    assert to_tool_type(fn, MistralTool) is first
    other = to_tool_type(fn, OpenAITool)
    assert other is not first
    assert issubclass(other, OpenAITool)
    assert to_tool_type(fn, OpenAITool) is other
    assert conversions == [fn, fn]
    assert first.model_validate({"city": "Paris"}).call() == "Paris"


def test_a_model_is_converted_once(conversions: list[Any]) -> None:
    class Local(BaseModel):
        """Local."""

        name: str

    made = to_tool_type(Local, MistralTool)
    assert to_tool_type(Local, MistralTool) is made
    assert conversions == [Local]
    assert made._description() == "Local."


def test_a_wrapper_is_not_taken_for_the_function_it_wraps() -> None:
    fn = _local_function()
    inner = to_tool_type(fn, MistralTool)

    @functools.wraps(fn)
    def shout(city: str) -> str:
        return str(fn(city)).upper()

    outer = to_tool_type(shout, MistralTool)
    assert outer is not inner
    assert outer.model_validate({"city": "Paris"}).call() == "PARIS"
    assert to_tool_type(fn, MistralTool) is inner


def test_the_conversion_does_not_keep_the_function_alive() -> None:
    fn = _local_function()
    to_tool_type(fn, MistralTool)
    alive = weakref.ref(fn)
    del fn
    gc.collect()
    assert alive() is None


def test_a_decorated_function_converts_its_tools_once_across_calls(
    conversions: list[Any],
) -> None:
    client = FakeMistral()

    @mistral_call("mistral-small-latest", stream=True, tools=[get_weather, Book], client=client)
    def answer(question: str) -> str:
        return question

    for _ in range(3):
        answer("Weather in Paris?")
    assert conversions == [get_weather, Book]
    assert len(client.chat.sent) == 3
    assert all(len(sent["tools"]) == 2 for sent in client.chat.sent)


def test_through_llm_call_a_function_tool_is_converted_once(conversions: list[Any]) -> None:
    client = FakeMistral()

    def lookup(city: str) -> str:
        """Look a city up."""
        return city

    @llm.call(provider="mistral", model="mistral-small-latest", stream=True, tools=[lookup])
    def answer(question: str) -> BaseDynamicConfig:
        return {"messages": [{"role": "user", "content": question}], "client": client}

    for _ in range(3):
        answer("Where?")
    assert conversions == [lookup]
    assert len(client.chat.sent) == 3
