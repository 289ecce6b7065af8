"""OpenAI: ask for usage in the stream and read tokens and cost."""

# replay: openai_chat.usage.sse

import os

from mirascope.core import openai

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


@openai.call("gpt-5-mini", stream=True, call_params={"stream_options": {"include_usage": True}})
def recommend_book(genre: str) -> str:
    return f"Recommend a short {genre} book"


stream = recommend_book("fantasy")
for chunk, _ in stream:
    print(chunk.content, end="")
print()
print("model:", stream.model)
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens)
print("cached tokens:", stream.cached_tokens)
print("output tokens:", stream.output_tokens)
print("cost:", stream.cost)
