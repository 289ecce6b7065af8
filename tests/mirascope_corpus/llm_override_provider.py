"""llm.override switches a call to another provider and model."""

# replay: openai_chat.usage.sse

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
    return f"Recommend a short {genre} book"


with_openai = llm.override(
    recommend_book,
    provider="openai",
    model="gpt-5-mini",
    call_params={"stream_options": {"include_usage": True}},
)
stream = with_openai("fantasy")
print("".join(chunk.content for chunk, _ in stream))
print("model:", stream.model)
print("input tokens:", stream.input_tokens, "output tokens:", stream.output_tokens)
