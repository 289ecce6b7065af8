"""Mistral sends two whole tool calls in one delta: both must come out."""

# replay: mistral.tools.sse

import os

from mirascope.core import mistral

os.environ["MISTRAL_API_KEY"] = "test-key"
os.environ["MISTRAL_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book for a reading list."""
    return f"{title} by {author} ({year})"


@mistral.call("mistral-small-latest", stream=True, tools=[get_weather, format_book])
def plan(request: str) -> str:
    return request


stream = plan("Weather in Lisbon, and format One Hundred Years of Solitude")
for _, tool in stream:
    if tool:
        print("tool:", tool._name(), "->", tool.call())
print("tool calls in message:", len(stream.message_param.tool_calls or []))
print("input tokens:", stream.input_tokens, "output tokens:", stream.output_tokens)
