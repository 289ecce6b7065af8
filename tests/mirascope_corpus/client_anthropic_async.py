"""Pass the official async Anthropic client to an async call."""

# replay: anthropic.text.sse

import asyncio
import os

from anthropic import AsyncAnthropic
from mirascope.core import anthropic

client = AsyncAnthropic(api_key="test-key", base_url=os.environ["REPLAY_URL"])


@anthropic.call("claude-sonnet-4-5", stream=True, client=client, call_params={"max_tokens": 512})
async def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


async def main() -> None:
    stream = await recommend_book("literary")
    text = "".join([chunk.content async for chunk, _ in stream])
    print(text[:60])
    print("input tokens:", stream.input_tokens)


asyncio.run(main())
