"""Anthropic: text first, then two tool uses whose JSON arrives in pieces."""

# replay: anthropic.tool_use.sse

import os

from mirascope.core import anthropic

os.environ["ANTHROPIC_API_KEY"] = "test-key"
os.environ["ANTHROPIC_BASE_URL"] = os.environ["REPLAY_URL"]


def get_weather(city: str, unit: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def format_book(title: str, author: str, year: int) -> str:
    """Format a book for a reading list."""
    return f"{title} by {author} ({year})"


@anthropic.call(
    "claude-sonnet-4-5",
    stream=True,
    tools=[get_weather, format_book],
    call_params={"max_tokens": 1024},
)
def plan(request: str) -> str:
    return request


stream = plan("Weather in Lisbon, and format One Hundred Years of Solitude")
for chunk, tool in stream:
    if tool:
        print("tool:", tool._name(), tool.args, "->", tool.call())
    elif chunk.content:
        print("text:", chunk.content)
print("finish reasons:", stream.finish_reasons)
print("blocks:", [block["type"] for block in stream.message_param["content"]])
