"""Dynamic config with a template: computed fields fill the template."""

# replay: mistral.text.sse

import os

from mirascope.core import BaseDynamicConfig, mistral, prompt_template

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
@prompt_template("Recommend a {genre} book for a {reader} reader")
def recommend_book(genre: str, age: int) -> BaseDynamicConfig:
    reader = "young" if age < 16 else "grown-up"
    return {"computed_fields": {"reader": reader}}


stream = recommend_book("classic", 40)
print("".join(chunk.content for chunk, _ in stream))
print("prompt:", stream.user_message_param)
print("fn args:", sorted(stream.fn_args))
