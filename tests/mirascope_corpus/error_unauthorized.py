"""A rejected key: the error reaches the caller with its status code."""

# replay: mistral.unauthorized.json@401

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


try:
    for chunk, _ in recommend_book("classic"):
        print(chunk.content, end="")
except Exception as error:
    print("failed with status", getattr(error, "status_code", None))
    print("mentions Unauthorized:", "Unauthorized" in str(error))
