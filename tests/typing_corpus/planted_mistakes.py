"""Four mistakes a type checker must report, each marked with a "planted" comment."""

from __future__ import annotations

from streamcall.core import mistral


@mistral.call("mistral-small-latest", stream=True)
def recommend(genre: str, year: int) -> str:
    return f"Recommend a {genre} book from {year}."


stream = recommend("fantasy", 2000)
print(stream.costt)  # planted: attribute
recommend("fantasy", "2000")  # planted: argument-type
recommend("fantasy")  # planted: missing-argument
for chunk, _tool in stream:
    x: int = chunk.content  # planted: assignment
    print(x)
