"""The provider-agnostic llm.call: stream with Mistral."""

# replay: mistral.text.sse

import os

from mirascope import llm

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@llm.call(provider="mistral", model="mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("classic")
for chunk, _ in stream:
    print(chunk.content, end="")
print()
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens, "output tokens:", stream.output_tokens)
print("cost:", stream.cost)
print("response content:", stream.construct_call_response().content[:20])
