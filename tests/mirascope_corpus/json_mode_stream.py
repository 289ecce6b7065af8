"""JSON mode without a response model: stream the JSON text, then parse it."""

# replay: mistral.json_book.sse

import json
import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", json_mode=True, stream=True)
def book_as_json(genre: str) -> str:
    return f"Recommend a {genre} book. Reply with title, author and year as JSON."


stream = book_as_json("science fiction")
text = ""
for chunk, _ in stream:
    text += chunk.content
print("raw:", text)
print("parsed:", json.loads(text))
print("finish reasons:", stream.finish_reasons)
