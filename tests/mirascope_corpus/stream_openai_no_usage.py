"""OpenAI without a usage chunk: tokens and cost are unknown."""

# replay: openai_chat.text.sse

import os

from mirascope.core import openai

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


@openai.call("gpt-4.1-mini", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("fantasy")
text = "".join(chunk.content for chunk, _ in stream)
print(text)
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens)
print("output tokens:", stream.output_tokens)
print("cost:", stream.cost)
