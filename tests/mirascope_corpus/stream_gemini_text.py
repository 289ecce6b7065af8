"""Gemini: stream text and read the token counts."""

# replay-mirascope: gemini.text.json_stream
# replay-streamcall: gemini.text.sse

import os

from mirascope.core import gemini

os.environ["GEMINI_API_KEY"] = "test-key"
os.environ["GEMINI_BASE_URL"] = os.environ["REPLAY_URL"]


@gemini.call("gemini-2.5-flash", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("mystery")
for chunk, _ in stream:
    print(chunk.content, end="")
print()
print("finish reasons:", stream.finish_reasons)
print("input tokens:", stream.input_tokens)
print("output tokens:", stream.output_tokens)
print("cost:", stream.cost)
