"""Async: await the call, then iterate the stream with async for."""

# replay: mistral.text.sse

import asyncio
import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
async def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


async def main() -> None:
    stream = await recommend_book("classic")
    async for chunk, _ in stream:
        print(chunk.content, end="", flush=True)
    print()
    print("finish reasons:", stream.finish_reasons)
    print("tokens:", stream.input_tokens, stream.output_tokens)
    print("cost:", stream.cost)
    print("timed:", stream.start_time > 0, stream.end_time >= stream.start_time)


asyncio.run(main())
