"""Read a stream's usage object, cached tokens and cost metadata."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("classic")
for _ in stream:
    pass
response = stream.construct_call_response()
usage = response.usage
print("usage:", usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
print("cached tokens:", stream.cached_tokens)
metadata = stream.cost_metadata
print("cost metadata tokens:", metadata.input_tokens, metadata.output_tokens)
print("provider:", response._provider)
