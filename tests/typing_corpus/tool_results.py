"""Tool results go back in a list of (tool, output) pairs typed with the provider's own tool
class (a list is invariant: the parameter is a ``Sequence``)."""

from __future__ import annotations

from typing import Any

from streamcall import llm
from streamcall.core import cohere, openai
from streamcall.core.cohere import CohereTool
from streamcall.core.openai import OpenAITool


class LookUp(CohereTool):
    """Look a word up."""

    word: str

    def call(self) -> str:
        return f"{self.word}: a word"


class Search(OpenAITool):
    """Search the web."""

    query: str

    def call(self) -> str:
        return f"results for {self.query}"


@cohere.call("command-r", tools=[LookUp])
def define(word: str) -> str:
    return f"Define {word}."


@cohere.call("command-r", stream=True, tools=[LookUp])
def define_streamed(word: str) -> str:
    return f"Define {word}."


@openai.call("gpt-4o-mini", tools=[Search])
def search(query: str) -> str:
    return f"Search {query}."


@llm.call("openai", "gpt-4o-mini", tools=[Search])
def search_anywhere(query: str) -> str:
    return f"Search {query}."


def answer() -> list[Any]:
    response = define("ephemeral")
    looked_up: list[tuple[LookUp, str]] = [(LookUp(word="ephemeral"), "lasting a short time")]
    messages = response.tool_message_params(looked_up)
    stream = define_streamed("ephemeral")
    messages += stream.tool_message_params(looked_up)
    searched: list[tuple[Search, str]] = [(Search(query="books"), "a list")]
    messages += search("books").tool_message_params(searched)
    messages += search_anywhere("books").tool_message_params(searched)
    return messages
