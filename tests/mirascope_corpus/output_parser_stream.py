"""An output parser cannot be combined with a stream: the call says so."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def first_sentence(response: mistral.MistralCallResponse) -> str:
    return response.content.split(". ")[0] + "."


try:

    @mistral.call("mistral-small-latest", stream=True, output_parser=first_sentence)
    def recommend_book(genre: str) -> str:
        return f"Recommend a {genre} book"

    print("decorated:", recommend_book.__name__)
except ValueError as error:
    print("refused:", error)
