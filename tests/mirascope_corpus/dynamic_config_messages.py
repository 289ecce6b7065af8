"""Dynamic config: return messages and call params from the function."""

# replay: mistral.text.sse

import os

from mirascope.core import BaseDynamicConfig, Messages, mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
def recommend_book(genre: str, creative: bool) -> BaseDynamicConfig:
    return {
        "messages": [Messages.User(f"Recommend a {genre} book")],
        "call_params": {"temperature": 0.9 if creative else 0.1, "max_tokens": 200},
        "metadata": {"tags": {"genre:" + genre}},
    }


stream = recommend_book("classic", creative=False)
print("".join(chunk.content for chunk, _ in stream))
print("call params:", stream.call_params)
print("metadata:", stream.metadata)
print("finish reasons:", stream.finish_reasons)
