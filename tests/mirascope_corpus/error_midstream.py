"""A stream that breaks off with an error: the text so far is kept, the error raised."""

# replay: openai_chat.error_midstream.sse

import os

from mirascope.core import openai

os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]


@openai.call("gpt-4.1-mini", stream=True)
def recommend_books(genre: str) -> str:
    return f"Recommend three {genre} books"


stream = recommend_books("cozy mystery")
received = ""
try:
    for chunk, _ in stream:
        received += chunk.content
except Exception as error:
    print("stream failed:", "server had an error" in str(error))
print("received:", received)
