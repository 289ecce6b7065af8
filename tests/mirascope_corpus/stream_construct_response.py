"""After streaming, build the whole call response and read it like a non-streamed one."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("classic")
pieces = [chunk.content for chunk, _ in stream]
response = stream.construct_call_response()
print("chunks with text:", sum(1 for p in pieces if p))
print("content:", response.content)
print("finish reasons:", response.finish_reasons)
print("model:", response.model)
print("id:", response.id)
print("input tokens:", response.input_tokens)
print("output tokens:", response.output_tokens)
print("cost:", response.cost)
print("tools:", response.tools)
print("message param content:", response.message_param.content[:30])
