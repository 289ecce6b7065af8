"""Return Messages.System and Messages.User from the call function."""

# replay: mistral.text.sse

import os

from mirascope.core import Messages, mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str) -> Messages.Type:
    return [
        Messages.System("You are a librarian. Answer in two sentences."),
        Messages.User(f"Recommend a {genre} book"),
    ]


stream = recommend_book("classic")
for chunk, _ in stream:
    print(chunk.content, end="")
print()
print("roles:", [m.role for m in stream.messages])
print("user message:", stream.user_message_param)
