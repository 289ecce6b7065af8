"""Pass the official Mistral SDK client."""

# replay: mistral.text.sse
# sdk-from-mirascope: mistralai opentelemetry

import os

from mirascope.core import mistral
from mistralai import Mistral

client = Mistral(api_key="test-key", server_url=os.environ["REPLAY_URL"])


@mistral.call("mistral-small-latest", stream=True, client=client)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("classic")
print("".join(chunk.content for chunk, _ in stream))
print("tokens:", stream.input_tokens, stream.output_tokens)
