"""Pass the official OpenAI SDK client pointed at a compatible server."""

# replay: openai_chat.text.sse

import os

from mirascope.core import openai
from openai import OpenAI

client = OpenAI(api_key="test-key", base_url=os.environ["REPLAY_URL"])


@openai.call("gpt-4.1-mini", stream=True, client=client)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("fantasy")
print("".join(chunk.content for chunk, _ in stream))
print("finish reasons:", stream.finish_reasons)
