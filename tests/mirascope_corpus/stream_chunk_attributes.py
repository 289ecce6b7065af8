"""Look at every chunk: its text, finish reasons and the usage it carries."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


for i, (chunk, tool) in enumerate(recommend_book("classic")):
    print(i, repr(chunk.content), chunk.finish_reasons, chunk.input_tokens, chunk.output_tokens)
    assert tool is None
