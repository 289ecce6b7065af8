"""The names Mirascope exports from its root, used together."""

# replay: mistral.name.sse

import os

from mirascope import BaseMessageParam, Messages, llm, prompt_template

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@llm.call(provider="mistral", model="mistral-small-latest", stream=True)
@prompt_template(
    """
    MESSAGES: {history}
    USER: {question}
    """
)
def chat(question: str, history: list[BaseMessageParam]): ...


history = [Messages.User("Hi, I'm Ada."), Messages.Assistant("Hello Ada!")]
stream = chat("What's my name?", history)
print("".join(chunk.content for chunk, _ in stream))
print("finish reasons:", stream.finish_reasons)
