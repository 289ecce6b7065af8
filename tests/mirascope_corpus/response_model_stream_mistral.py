"""Mistral: stream a response model (the whole tool call arrives at once)."""

# replay: mistral.tool_book.sse

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


@mistral.call("mistral-small-latest", response_model=Book, stream=True)
def extract_book(text: str) -> str:
    return f"Extract the book from: {text}"


stream = extract_book("Dune, the 1965 novel by Frank Herbert")
partials = list(stream)
print("partials:", len(partials) > 0)
print("last:", partials[-1].model_dump())
print("constructed:", stream.constructed_response_model.model_dump())
