"""A toolkit: tools that share state, described by templated docstrings."""

# replay: mistral.tool_toolkit.sse

import os

from mirascope.core import BaseToolKit, mistral, toolkit_tool

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


class BookTools(BaseToolKit):
    reading_level: str

    @toolkit_tool
    def suggest_author(self, genre: str) -> str:
        """Suggest an author of {genre} books for a {self.reading_level} reader.

        Args:
            genre: The genre of books.
        """
        return f"Terry Pratchett ({genre}, {self.reading_level})"


toolkit = BookTools(reading_level="beginner")


@mistral.call("mistral-small-latest", stream=True, tools=toolkit.create_tools())
def recommend_author(genre: str) -> str:
    return f"Which {genre} author should I read?"


for _, tool in recommend_author("fantasy"):
    if tool:
        print("tool:", tool._name(), tool.args)
        print("result:", tool.call())
