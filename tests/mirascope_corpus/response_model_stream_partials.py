"""Stream a response model: partial Books fill in as the arguments arrive."""

# replay: openai.tool_book.sse

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


@openai.call("gpt-4o-mini", response_model=Book, stream=True)
def extract_book(text: str) -> str:
    return f"Extract the book from: {text}"


stream = extract_book("Dune, the 1965 novel by Frank Herbert")
for partial in stream:
    print("partial:", partial.title, "|", partial.author, "|", partial.year)
final = stream.constructed_response_model
print("final:", type(final).__name__, final.model_dump())
