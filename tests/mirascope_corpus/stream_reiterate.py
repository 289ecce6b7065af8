"""Iterate a stream, then iterate the same stream object again."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("classic")
first = "".join(chunk.content for chunk, _ in stream)
second = "".join(chunk.content for chunk, _ in stream)
print("first pass:", len(first), "characters")
print("second pass:", len(second), "characters")
print("stream content:", len(stream.content), "characters")
