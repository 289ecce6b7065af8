"""Async functions, response models (whole and streamed), output parsers, toolkits."""

from __future__ import annotations

import asyncio
from typing import ClassVar, assert_type

from pydantic import BaseModel

from streamcall.core import BaseToolKit, mistral, openai, toolkit_tool
from streamcall.core.base.structured import StructuredStream


class Book(BaseModel):
    title: str
    author: str


@mistral.call("mistral-small-latest", stream=True)
async def recommend(genre: str) -> str:
    return f"Recommend a {genre} book."


@mistral.call("mistral-small-latest")
async def recommend_whole(genre: str) -> str:
    return f"Recommend a {genre} book."


@mistral.call("mistral-small-latest", response_model=Book)
def extract(text: str) -> str:
    return f"Extract the book: {text}"


@mistral.call("mistral-small-latest", response_model=Book, stream=True)
def extract_stream(text: str) -> str:
    return f"Extract the book: {text}"


@openai.call("gpt-4o-mini", response_model=Book, json_mode=True)
async def extract_async(text: str) -> str:
    return f"Extract the book: {text}"


class BookTools(BaseToolKit):
    __namespace__: ClassVar[str | None] = "typing_books"
    reading_level: str

    @toolkit_tool
    def format_book(self, title: str, author: str) -> str:
        """Returns the title and author nicely formatted.

        Reading level: {self.reading_level}
        """
        return f"{title} by {author}"


@mistral.call("mistral-small-latest", stream=True)
def with_toolkit(genre: str) -> mistral.MistralDynamicConfig:
    return {
        "messages": [{"role": "user", "content": genre}],
        "tools": BookTools(reading_level="beginner").create_tools(),
    }


async def main() -> None:
    stream = await recommend("fantasy")
    assert_type(stream, mistral.MistralStream)
    async for chunk, tool in stream:
        assert_type(chunk, mistral.MistralCallResponseChunk)
        assert_type(tool, mistral.MistralTool | None)
    assert_type(stream.cost, float | None)
    assert_type(await recommend_whole("fantasy"), mistral.MistralCallResponse)
    assert_type(await extract_async("..."), Book)


book = extract("The Name of the Wind by Patrick Rothfuss")
assert_type(book, Book)
assert_type(book.title, str)
partials = extract_stream("...")
assert_type(partials, StructuredStream[Book])
for partial in partials:
    assert_type(partial, Book)
for _chunk, maybe_tool in with_toolkit("fantasy"):
    if maybe_tool is not None:
        print(maybe_tool.call())
asyncio.run(main())
