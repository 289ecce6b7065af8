"""MESSAGES: puts a conversation history into the prompt as messages."""

# replay: mistral.name.sse

import os

from mirascope.core import BaseMessageParam, mistral, prompt_template

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
@prompt_template(
    """
    SYSTEM: You are a friendly assistant.
    MESSAGES: {history}
    USER: {question}
    """
)
def chat(question: str, history: list[BaseMessageParam]): ...


history = [
    BaseMessageParam(role="user", content="Hi, I'm Ada."),
    BaseMessageParam(role="assistant", content="Nice to meet you, Ada!"),
]
stream = chat("What's my name?", history)
print("".join(chunk.content for chunk, _ in stream))
print("messages sent:", len(stream.messages))
print("roles:", [m.role for m in stream.messages])
