"""llm.call with a streamed response model."""

# replay: openai.tool_book.sse

import os

from mirascope import llm
from pydantic import BaseModel

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


class Book(BaseModel):
    title: str
    author: str
    year: int


@llm.call(provider="openai", model="gpt-4o-mini", response_model=Book, stream=True)
def extract_book(text: str) -> str:
    return f"Extract the book from: {text}"


stream = extract_book("Dune, the 1965 novel by Frank Herbert")
count = 0
for partial in stream:
    count += 1
    last = partial
print("partials:", count)
print("last:", last.model_dump())
