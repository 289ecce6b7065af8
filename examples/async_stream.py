"""The streamed call with ``async`` / ``await``: a coroutine gives an async stream."""

import asyncio

from streamcall.core.mistral import mistral_call


@mistral_call("mistral-large-latest", stream=True)
async def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


async def main() -> None:
    stream = await recommend_book("fantasy")
    async for chunk, _ in stream:
        print(chunk.content, end="", flush=True)
    print()
    print(f"tokens: {stream.input_tokens} in, {stream.output_tokens} out")


if __name__ == "__main__":
    asyncio.run(main())
