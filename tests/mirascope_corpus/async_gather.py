"""Async: several streams at once with asyncio.gather."""

# replay: openai_chat.text.sse

import asyncio
import os

from mirascope.core import openai

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


@openai.call("gpt-4.1-mini", stream=True)
async def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


async def collect(genre: str) -> str:
    stream = await recommend_book(genre)
    return "".join([chunk.content async for chunk, _ in stream])


async def main() -> None:
    texts = await asyncio.gather(*(collect(g) for g in ["fantasy", "mystery", "poetry"]))
    for text in texts:
        print(len(text), text[:40])


asyncio.run(main())
