"""Stream a book recommendation token by token, then look at the stream's totals."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("classic")
for chunk, _ in stream:
    print(chunk.content, end="", flush=True)
print()
print("model:", stream.model)
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens)
print("output tokens:", stream.output_tokens)
print("cost:", stream.cost)
print("role:", stream.message_param.role)
print("content == streamed:", stream.message_param.content == stream.content)
