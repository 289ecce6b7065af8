"""Extract a Book from a (non-streamed) call with response_model."""

# replay: mistral.book_whole.json

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


@mistral.call("mistral-small-latest", response_model=Book)
def extract_book(text: str) -> str:
    return f"Extract the book from: {text}"


book = extract_book("Dune, the 1965 novel by Frank Herbert")
print(type(book).__name__, book.title, "/", book.author, "/", book.year)
print("dump:", book.model_dump())
print("usage:", book._response.input_tokens, book._response.output_tokens)
print("cost:", book._response.cost)
