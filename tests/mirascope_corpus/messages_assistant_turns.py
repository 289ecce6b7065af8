"""A few-shot conversation built with Messages.User and Messages.Assistant."""

# replay: mistral.name.sse

import os

from mirascope.core import Messages, mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def chat(name: str, question: str) -> Messages.Type:
    return [
        Messages.User(f"Hi, I'm {name}."),
        Messages.Assistant(f"Nice to meet you, {name}!"),
        Messages.User(question),
    ]


stream = chat("Ada", "What's my name?")
print("".join(chunk.content for chunk, _ in stream))
print("roles:", [m.role for m in stream.messages])
print("input tokens:", stream.input_tokens)
