"""A prompt template with SYSTEM and USER sections, streamed."""

# replay: mistral.text.sse

import os

from mirascope.core import mistral, prompt_template

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


@mistral.call("mistral-small-latest", stream=True)
@prompt_template(
    """
    SYSTEM: You are a librarian who recommends {era} books.
    USER: Recommend a {genre} book.
    """
)
def recommend_book(genre: str, era: str): ...


stream = recommend_book(genre="adventure", era="19th-century")
print("".join(chunk.content for chunk, _ in stream))
print("user message:", stream.user_message_param)
print("finish reasons:", stream.finish_reasons)
