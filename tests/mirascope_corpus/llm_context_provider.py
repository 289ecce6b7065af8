"""llm.context runs calls inside it on another provider."""

# replay: anthropic.text.sse

import os

from mirascope import llm

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]
os.environ["OPENAI_API_KEY"] = "test-key"
os.environ["OPENAI_BASE_URL"] = os.environ["REPLAY_URL"]
os.environ["ANTHROPIC_API_KEY"] = "test-key"
os.environ["ANTHROPIC_BASE_URL"] = os.environ["REPLAY_URL"]


@llm.call(provider="mistral", model="mistral-small-latest", stream=True)
def recommend_book(genre: str) -> str:
    return f"Recommend a {genre} book"


with llm.context(provider="anthropic", model="claude-sonnet-4-5", call_params={"max_tokens": 512}):
    stream = recommend_book("literary")
    text = "".join(chunk.content for chunk, _ in stream)
print(text[:60])
print("model:", stream.model)
print("input tokens:", stream.input_tokens)
