"""JSON mode with a response model: partial Books parsed from streamed JSON."""

# replay: openai.json_book.sse

import os

from mirascope.core import openai
from pydantic import BaseModel

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


class Book(BaseModel):
    """A book recommendation."""

    title: str
    author: str
    year: int


@openai.call("gpt-4o-mini", response_model=Book, json_mode=True, stream=True)
def recommend(genre: str) -> str:
    return f"Recommend a {genre} book."


stream = recommend("science fiction")
for partial in stream:
    print("partial:", partial.title, "|", partial.author, "|", partial.year)
print("final:", stream.constructed_response_model)
