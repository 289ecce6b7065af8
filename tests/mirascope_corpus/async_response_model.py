"""Async: stream partial response models with async for."""

# replay: openai.tool_book.sse

import asyncio
import os

from mirascope.core import openai
from pydantic import BaseModel

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


class Book(BaseModel):
    title: str
    author: str
    year: int


@openai.call("gpt-4o-mini", response_model=Book, stream=True)
async def extract_book(text: str) -> str:
    return f"Extract the book from: {text}"


async def main() -> None:
    stream = await extract_book("Dune, the 1965 novel by Frank Herbert")
    last = None
    async for partial in stream:
        last = partial
    print("last partial:", last.model_dump() if last else None)
    print("final:", stream.constructed_response_model.model_dump())


asyncio.run(main())
