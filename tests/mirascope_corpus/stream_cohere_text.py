"""Cohere: stream text and read the token counts and cost."""

# replay-mirascope: cohere_v1.text.ndjson
# replay-streamcall: cohere_v2.text.sse

import os

# The Cohere SDK reads its base URL when it is imported.
os.environ["CO_API_KEY"] = os.environ["COHERE_API_KEY"] = "test-key"
os.environ["CO_API_URL"] = os.environ["COHERE_BASE_URL"] = os.environ["REPLAY_URL"]

from mirascope.core import cohere


@cohere.call("command-r-plus", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book for a book club"


stream = recommend_book("contemporary")
for chunk, _ in stream:
    print(chunk.content, end="")
print()
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens)
print("output tokens:", stream.output_tokens)
print("cost:", stream.cost)
