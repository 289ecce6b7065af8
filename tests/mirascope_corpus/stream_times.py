"""A stream records when it started and ended."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


stream = recommend_book("classic")
for _ in stream:
    pass
print("started:", stream.start_time > 0)
print("ended after start:", stream.end_time >= stream.start_time)
print("provider:", stream._provider)
