"""A pydantic response model: the answer as a validated object, whole or streamed."""

from pydantic import BaseModel

from streamcall.core.mistral import mistral_call


class Book(BaseModel):
    """A book."""

    title: str
    author: str
    year: int


@mistral_call("mistral-small-latest", response_model=Book)
def extract(text: str) -> str:
    return f"Extract the book: {text}"


@mistral_call("mistral-small-latest", response_model=Book, json_mode=True, stream=True)
def extract_streamed(text: str) -> str:
    return f"Extract the book as JSON: {text}"


def main() -> None:
    book = extract("Dune by Frank Herbert, 1965")
    print(f"whole: {book.title} by {book.author} ({book.year})")
    for partial in extract_streamed("Dune by Frank Herbert, 1965"):
        print(f"partial: {partial.title!r}")


if __name__ == "__main__":
    main()
