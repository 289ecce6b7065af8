"""A tool call whose arguments do not validate raises a validation error."""

# replay: mistral.tool_recommend.sse

import os

from mirascope.core import BaseTool, mistral
from pydantic import ValidationError

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


class RecommendBook(BaseTool):
    """Recommend a book of a genre for a reader's age."""

    genre: str
    age: int


@mistral.call("mistral-small-latest", stream=True, tools=[RecommendBook])
def recommend(request: str) -> str:
    return request


try:
    for _, tool in recommend("A fantasy book for a 10 year old"):
        print("tool:", tool)
except ValidationError as error:
    print("invalid tool call:", error.error_count(), "error(s)")
except Exception as error:
    print("failed:", type(error).__name__)
