"""Anthropic: stream text and read tokens, finish reasons and cost."""

# replay: anthropic.text.sse

import os

from mirascope.core import anthropic

os.environ["ANTHROPIC_API_KEY"] = "test-key"
os.environ["ANTHROPIC_BASE_URL"] = os.environ["REPLAY_URL"]


@anthropic.call("claude-sonnet-4-5", stream=True, call_params={"max_tokens": 1024})
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("literary")
for chunk, _ in stream:
    print(chunk.content, end="")
print()
print("model:", stream.model)
print("id:", stream.id)
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens)
print("output tokens:", stream.output_tokens)
print("cost:", stream.cost)
