"""``llm.call`` streams, responses and overrides are typed."""

from __future__ import annotations

from typing import Any, assert_type

from pydantic import BaseModel

from streamcall import llm
from streamcall.core import BaseTool, Usage
from streamcall.core.base.structured import StructuredStream


class Book(BaseModel):
    title: str


@llm.call(provider="mistral", model="mistral-small-latest", stream=True)
def recommend(genre: str) -> str:
    return f"Recommend a {genre} book."


@llm.call(provider="openai", model="gpt-4o-mini")
def recommend_whole(genre: str) -> str:
    return f"Recommend a {genre} book."


@llm.call(provider="anthropic", model="claude-3-5-haiku-latest", response_model=Book)
def extract(text: str) -> str:
    return text


@llm.call(provider="gemini", model="gemini-2.0-flash", response_model=Book, stream=True)
def extract_stream(text: str) -> str:
    return text


@llm.call(provider="mistral", model="mistral-small-latest", stream=True)
async def recommend_async(genre: str) -> str:
    return f"Recommend a {genre} book."


stream = recommend("fantasy")
assert_type(stream, llm.Stream)
for chunk, tool in stream:
    assert_type(chunk, llm.CallResponseChunk)
    assert_type(chunk.content, str)
    assert_type(tool, BaseTool | None)
assert_type(stream.cost, float | None)
assert_type(stream.usage, Usage | None)
assert_type(stream.input_tokens, int | None)
assert_type(recommend_whole("fantasy"), llm.CallResponse)
whole = recommend_whole("fantasy")
assert_type(whole.tool, BaseTool | None)
assert_type(whole.tools, list[BaseTool] | None)
assert_type(whole.content, str)
assert_type(stream.call_params, dict[str, Any])
assert_type(stream.end_time, float)
assert_type(extract("..."), Book)
assert_type(extract_stream("..."), StructuredStream[Book])

on_claude = llm.override(recommend, provider="anthropic", model="claude-3-5-haiku-latest")
assert_type(on_claude("fantasy"), llm.Stream)
with llm.context(provider="cohere", model="command-r-plus"):
    assert_type(recommend("fantasy"), llm.Stream)


async def main() -> None:
    s = await recommend_async("fantasy")
    assert_type(s, llm.Stream)
    async for c, _t in s:
        assert_type(c, llm.CallResponseChunk)


cost = llm.calculate_cost("mistral", "mistral-small", llm.CostMetadata(input_tokens=1))
assert_type(cost, float | None)
provider: llm.Provider = "mistral"


@llm.call(provider="mistral", model="mistral-small-latest", stream={"replay": False})
def recommend_lean(genre: str) -> str:
    return f"Recommend a {genre} book."


assert_type(recommend_lean("fantasy"), llm.Stream)
