"""Streams from the provider decorators keep their types: stream, chunk, tool, cost."""

from __future__ import annotations

from typing import assert_type

from streamcall.clients.mistral.models import UserMessage
from streamcall.core import (
    anthropic,
    azure,
    cohere,
    gemini,
    local,
    mistral,
    ollama,
    openai,
    prompt_template,
)
from streamcall.core.mistral import (
    MistralCallResponse,
    MistralCallResponseChunk,
    MistralStream,
    MistralTool,
    mistral_call,
)


class GetWeather(MistralTool):
    """Current weather for a city."""

    city: str

    def call(self) -> str:
        return f"sunny in {self.city}"


@mistral_call("mistral-small-latest", stream=True, tools=[GetWeather])
def recommend(genre: str, year: int = 2000) -> str:
    return f"Recommend a {genre} book from {year}."


stream = recommend("fantasy")
assert_type(stream, MistralStream)
for chunk, tool in stream:
    assert_type(chunk, MistralCallResponseChunk)
    assert_type(tool, MistralTool | None)
    assert_type(chunk.content, str)
    if tool is not None:
        print(tool.call())
assert_type(stream.cost, float | None)
assert_type(stream.content, str)
assert_type(stream.input_tokens, int | None)
assert_type(stream.construct_call_response(), MistralCallResponse)
recommend("sci-fi", year=1990)


@mistral.call("mistral-small-latest")
def whole(genre: str) -> str:
    return f"Recommend a {genre} book."


response = whole("fantasy")
assert_type(response, MistralCallResponse)
assert_type(response.content, str)
assert_type(response.cost, float | None)


@mistral.call("mistral-small-latest", stream=True)
@prompt_template("Recommend a {genre} book.")
def templated(genre: str) -> None: ...


assert_type(templated("fantasy"), MistralStream)


@mistral.call("mistral-small-latest", stream=True)
def configured(genre: str) -> mistral.MistralDynamicConfig:
    return {
        "messages": [{"role": "user", "content": f"Recommend a {genre} book."}],
        "call_params": {"temperature": 0.5},
    }


assert_type(configured("fantasy"), MistralStream)


@mistral.call("mistral-small-latest", stream=True, call_params={"max_tokens": 100})
def messages(genre: str) -> list[mistral.MistralMessageParam]:
    return [UserMessage(content=f"Recommend a {genre} book.")]


assert_type(messages("fantasy"), MistralStream)


@mistral.call("mistral-small-latest", output_parser=lambda r: r.content.upper())
def parsed(genre: str) -> str:
    return genre


assert_type(parsed("fantasy"), str)


@cohere.call("command-r-plus", stream=True)
def c(q: str) -> str:
    return q


@openai.call("gpt-4o-mini", stream=True)
def o(q: str) -> str:
    return q


@anthropic.call("claude-3-5-haiku-latest", stream=True)
def a(q: str) -> str:
    return q


@gemini.call("gemini-2.0-flash", stream=True)
def g(q: str) -> str:
    return q


@ollama.call("llama3.2", stream=True)
def ol(q: str) -> str:
    return q


@azure.call("my-deployment", stream=True)
def az(q: str) -> str:
    return q


@local.call(stream=True)
def lo(q: str) -> str:
    return q


@openai.openai_responses_call("gpt-5-mini", stream=True)
def resp(q: str) -> str:
    return q


assert_type(c("q"), cohere.CohereStream)
assert_type(o("q"), openai.OpenAIStream)
assert_type(a("q"), anthropic.AnthropicStream)
assert_type(g("q"), gemini.GeminiStream)
assert_type(ol("q"), ollama.OllamaStream)
assert_type(az("q"), azure.AzureStream)
assert_type(lo("q"), local.LocalStream)
assert_type(resp("q"), openai.OpenAIResponsesStream)
for cc, ct in c("q"):
    assert_type(cc, cohere.CohereCallResponseChunk)
    assert_type(ct, cohere.CohereTool | None)
for ac, at in a("q"):
    assert_type(ac, anthropic.AnthropicCallResponseChunk)
    assert_type(at, anthropic.AnthropicTool | None)
for gc, gt in g("q"):
    assert_type(gc, gemini.GeminiCallResponseChunk)
    assert_type(gt, gemini.GeminiTool | None)
for zc, zt in az("q"):
    assert_type(zc, azure.AzureCallResponseChunk)
    assert_type(zt, azure.AzureTool | None)
for lc, lt in lo("q"):
    assert_type(lc, local.LocalCallResponseChunk)
    assert_type(lt, local.LocalTool | None)
assert_type(az("q").construct_call_response(), azure.AzureCallResponse)


@mistral_call("mistral-small-latest", stream={"replay": False})
def lean(genre: str) -> str:
    return f"Recommend a {genre} book."


assert_type(lean("fantasy"), MistralStream)


@anthropic.call("claude-sonnet-4-5", stream={"replay": False}, response_model=None)
def lean_claude(genre: str) -> str:
    return f"Recommend a {genre} book."


assert_type(lean_claude("fantasy"), anthropic.AnthropicStream)
