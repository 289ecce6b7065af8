"""JSON mode with a response model, not streamed."""

# replay: mistral.json_book_whole.json

import os

from mirascope.core import mistral
from pydantic import BaseModel

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


class Book(BaseModel):
    """A book recommendation."""

    title: str
    author: str
    year: int


@mistral.call("mistral-small-latest", response_model=Book, json_mode=True)
def recommend(genre: str) -> str:
    return f"Recommend a {genre} book."


book = recommend("science fiction")
print(repr(book))
print("raw:", book._response.content)
print("finish reasons:", book._response.finish_reasons)
